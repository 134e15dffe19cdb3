"""Seeds a SQLite database with 10,000 children in 500 departments and mixed plan data
(one- and two-week schedules, agreements of every kind, leave), for bench/plan.py and bench/report.py."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from sqlalchemy import insert

from central.db.schema import (
    AgreementRow,
    Child,
    ChildGuardian,
    Department,
    EventRow,
    Guardian,
    LeaveRow,
    ScheduleRow,
)
from central.store import CentralStore

DEPARTMENTS = 500
PER_DEPT = 20
DAY = dt.date(2026, 3, 25)  # a Wednesday in a month with a DST change
TIMES = [("06:30", "16:00"), ("07:00", "16:30"), ("07:30", "16:00"), ("08:00", "15:00"), ("08:30", "14:00")]


def _week(rng: random.Random, days: int = 5) -> list[Any]:
    t = list(rng.choice(TIMES))
    return [t if i < days else None for i in range(7)]


def seed(url: str, *, events_month: tuple[int, int] | None = None, seed_: int = 4) -> int:
    """Fill the database; with ``events_month`` also a check-in and check-out per child per weekday."""
    rng = random.Random(seed_)
    store = CentralStore(url)
    now = dt.datetime.now(dt.UTC)
    depts, children, guardians, links, schedules, agreements, leaves = [], [], [], [], [], [], []
    for d in range(DEPARTMENTS):
        depts.append({"id": f"d{d}", "name": f"Avdelning {d}", "unit_id": None})
        for i in range(PER_DEPT):
            cid, gid = f"c{d}-{i}", f"g{d}-{i}"
            children.append(
                {"id": cid, "first_name": "Barn", "last_name": f"Nummer{i}", "department_id": f"d{d}"}
            )
            guardians.append({"id": gid, "name": f"Förälder Nummer{i}", "phone": None, "email": None})
            links.append({"child_id": cid, "guardian_id": gid})
            r = rng.random()
            if r < 0.9:  # 10 % have no schedule
                weeks = [_week(rng)] if r < 0.6 else [_week(rng), _week(rng, 3)]
                schedules.append(
                    dict(
                        id=str(uuid.uuid4()),
                        child_id=cid,
                        valid_from=dt.date(2025, 8, 1),
                        cycle_start=None,
                        weeks=weeks,
                        created_by=gid,
                        created_at=now,
                    )
                )
                if rng.random() < 0.2:  # a newer schedule taking over later
                    schedules.append(
                        dict(
                            id=str(uuid.uuid4()),
                            child_id=cid,
                            valid_from=dt.date(2026, 3, 16),
                            cycle_start=None,
                            weeks=[_week(rng)],
                            created_by=gid,
                            created_at=now,
                        )
                    )
            if rng.random() < 0.3:
                kind = rng.choice(["early_pickup", "pickup_by", "walk_home_alone", "late_dropoff", "note"])
                agreements.append(
                    dict(
                        id=str(uuid.uuid4()),
                        child_id=cid,
                        kind=kind,
                        first=dt.date(2026, 3, 1),
                        last=dt.date(2026, 3, 31),
                        weekdays=rng.choice([None, [2], [0, 4]]),
                        time=dt.time(14, 0) if kind not in ("pickup_by", "note") else None,
                        person_name="Mormor Eva" if kind == "pickup_by" else None,
                        person_relation="mormor",
                        person_phone=None,
                        text="matsäck" if kind == "note" else None,
                        created_by=gid,
                        created_at=now,
                    )
                )
            if rng.random() < 0.1:
                first = DAY - dt.timedelta(days=rng.randint(0, 10))
                leaves.append(
                    dict(
                        id=str(uuid.uuid4()),
                        child_id=cid,
                        first=first,
                        last=first + dt.timedelta(days=5),
                        weekdays=None,
                        text=None,
                        created_by=gid,
                        created_at=now,
                    )
                )
    events: list[dict[str, Any]] = []
    if events_month is not None:
        year, month = events_month
        day = dt.date(year, month, 1)
        seq = 0
        while day.month == month:
            if day.weekday() < 5:
                base = dt.datetime.combine(day, dt.time(6, 0), dt.UTC)
                for c in children:
                    for typ, offset in (
                        ("check_in", rng.randint(0, 120)),
                        ("check_out", rng.randint(420, 600)),
                    ):
                        seq += 1
                        at = base + dt.timedelta(minutes=offset)
                        events.append(
                            dict(
                                event_id=str(uuid.uuid4()),
                                device_id="bench",
                                seq=seq,
                                type=typ,
                                child_id=c["id"],
                                actor_kind="guardian",
                                actor_id="g",
                                method="tag",
                                occurred_at=at,
                                clock_synced=True,
                                received_at=at,
                            )
                        )
            day += dt.timedelta(days=1)
    with store.session() as s, s.begin():
        for model, rows in (
            (Department, depts),
            (Guardian, guardians),
            (Child, children),
            (ChildGuardian, links),
            (ScheduleRow, schedules),
            (AgreementRow, agreements),
            (LeaveRow, leaves),
            (EventRow, events),
        ):
            if rows:
                s.execute(insert(model), rows)
    store.close()
    return len(children)
