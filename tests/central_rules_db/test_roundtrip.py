"""Database round trips: rows → rules dataclasses → plan, roster and reports, on SQLite and PostgreSQL.

The database path must give exactly what the rules engine gives on the same data built by hand.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from central import reports
from central.db.schema import AgreementRow, EventRow, LeaveRow, ScheduleRow
from central.planning import PlanProvider, plans_for_departments
from central.planning.changes import Actor, add_agreement, add_leave, save_schedule
from central.rules import (
    Agreement,
    Author,
    Leave,
    Period,
    Person,
    PresenceEvent,
    Schedule,
    make_week,
    monthly_hours,
    plan_for_department,
)
from central.store import CentralStore
from protocol.codec import encode
from protocol.messages import Roster

T = dt.time
ANNA = Actor("guardian", "g-anna")
MARIA = Actor("guardian", "g-maria")
TODAY = dt.date(2026, 3, 2)
A_WEEK = [(T(7, 30), T(16)), (T(8), T(15)), (T(8), T(15)), (T(8), T(15)), (T(8), T(14)), None, None]
B_WEEK = [None, (T(9), T(13)), None, (T(9), T(13)), None, None, None]


@pytest.fixture
def store(seeded: tuple[str, bytes]) -> CentralStore:
    s = CentralStore(seeded[0])
    with s.session() as ses, ses.begin():
        save_schedule(ses, ANNA, "c-alva", dt.date(2026, 3, 2), None, [A_WEEK], today=TODAY)
        save_schedule(
            ses, ANNA, "c-alva", dt.date(2026, 3, 16), dt.date(2026, 3, 2), [A_WEEK, B_WEEK], today=TODAY
        )
        save_schedule(ses, MARIA, "c-elsa", dt.date(2026, 3, 9), None, [B_WEEK], today=TODAY)
        add_agreement(
            ses,
            ANNA,
            "c-alva",
            kind="early_pickup",
            first=dt.date(2026, 3, 2),
            last=dt.date(2026, 3, 31),
            weekdays=[4],
            time=T(13),
            person=None,
            text=None,
            today=TODAY,
        )
        add_agreement(
            ses,
            ANNA,
            "c-alva",
            kind="pickup_by",
            first=dt.date(2026, 3, 20),
            last=dt.date(2026, 3, 20),
            weekdays=None,
            time=None,
            person=Person("Eva Ek", "mormor", "070-1"),
            text="efter gympa",
            today=TODAY,
        )
        add_leave(
            ses,
            MARIA,
            "c-elsa",
            first=dt.date(2026, 3, 23),
            last=dt.date(2026, 3, 27),
            weekdays=None,
            text="fjällen",
            today=TODAY,
        )
    yield s
    s.close()


def _by_hand(store: CentralStore) -> tuple[dict, dict, dict]:
    """The same rows as rules dataclasses, built without the loader."""
    with store.session() as s:
        sch = {r.valid_from: r.id for r in s.query(ScheduleRow)}
        ag = {r.kind: r.id for r in s.query(AgreementRow)}
        lv = next(r.id for r in s.query(LeaveRow))
    wa, wb = (
        make_week({i: d for i, d in enumerate(A_WEEK) if d}),
        make_week({i: d for i, d in enumerate(B_WEEK) if d}),
    )
    schedules = {
        "c-alva": [
            Schedule("c-alva", dt.date(2026, 3, 2), (wa,), schedule_id=sch[dt.date(2026, 3, 2)]),
            Schedule(
                "c-alva",
                dt.date(2026, 3, 16),
                (wa, wb),
                cycle_start=dt.date(2026, 3, 2),
                schedule_id=sch[dt.date(2026, 3, 16)],
            ),
        ],
        "c-elsa": [Schedule("c-elsa", dt.date(2026, 3, 9), (wb,), schedule_id=sch[dt.date(2026, 3, 9)])],
    }
    anna = Author("g-anna", "Anna S.")
    agreements = {
        "c-alva": [
            Agreement(
                ag["early_pickup"],
                "c-alva",
                "early_pickup",
                Period.recurring(dt.date(2026, 3, 2), dt.date(2026, 3, 31), [4]),
                anna,
                time=T(13),
            ),
            Agreement(
                ag["pickup_by"],
                "c-alva",
                "pickup_by",
                Period.day(dt.date(2026, 3, 20)),
                anna,
                person=Person("Eva Ek", "mormor", "070-1"),
                text="efter gympa",
            ),
        ]
    }
    leaves = {
        "c-elsa": [
            Leave(
                lv,
                "c-elsa",
                Period.days(dt.date(2026, 3, 23), dt.date(2026, 3, 27)),
                Author("g-maria", "Maria L."),
                "fjällen",
            )
        ]
    }
    return schedules, agreements, leaves


def test_rows_to_rules_to_plan_equals_the_engine(store: CentralStore) -> None:
    schedules, agreements, leaves = _by_hand(store)
    day = dt.date(2026, 3, 1)
    while day <= dt.date(2026, 3, 31):
        with store.session() as s:
            got = plans_for_departments(s, ["solen"], day)["solen"]
        children = [e.child_id for e in got]
        assert got == plan_for_department(children, day, schedules, agreements, leaves), day
        day += dt.timedelta(days=1)


def test_roster_carries_the_plan_with_reasons(store: CentralStore) -> None:
    provider = PlanProvider(store)
    day = dt.date(
        2026, 3, 20
    )  # Friday: early pickup every Friday, Eva picks up, week B of the cycle? no: week A
    plan = provider("solen", day)
    now = dt.datetime(2026, 3, 20, 6, 0, tzinfo=dt.UTC)
    roster = store.build_roster("solen", now=now, plan=plan)
    again = Roster.model_validate_json(encode(roster))  # the constructed entries survive validation
    alva = next(e for e in again.plan if e.child_id == "c-alva")
    assert (alva.arrive, alva.leave, alva.pickup_by) == (T(8), T(13), "Eva Ek (mormor)")
    assert [(n.kind, n.source) for n in alva.notes] == [
        ("schedule", "schedule 2026-03-16"),
        ("early_pickup", "agreement by guardian Anna S."),
        ("pickup_by", "agreement by guardian Anna S."),
    ]
    assert alva.notes[2].text == "Eva Ek (mormor): efter gympa"
    assert "070-1" not in encode(roster).decode(), "a pickup person's phone stays at central"
    elsa = provider("solen", dt.date(2026, 3, 24))
    assert next(e for e in elsa if e.child_id == "c-elsa").on_leave
    assert provider.all_departments(day)["manen"][0].child_id == "c-saga"


def test_month_report_equals_the_engine_across_dst(store: CentralStore) -> None:
    """March 2026 has the spring-forward Sunday; events include a late one and an open interval."""
    events = [
        ("c-alva", "check_in", dt.datetime(2026, 3, 3, 6, 55, tzinfo=dt.UTC)),
        ("c-alva", "check_out", dt.datetime(2026, 3, 3, 14, 10, tzinfo=dt.UTC)),
        ("c-alva", "check_out", dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC)),
        ("c-alva", "check_in", dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)),
        ("c-elsa", "check_in", dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)),  # never checked out
        ("c-elsa", "check_in", dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC)),  # 1 March local
    ]
    rows = []
    with store.session() as s, s.begin():
        for i, (cid, typ, at) in enumerate(events, start=1):
            eid = str(uuid.uuid4())
            s.add(
                EventRow(
                    event_id=eid,
                    device_id="dev-a",
                    seq=i,
                    type=typ,
                    child_id=cid,
                    actor_kind="guardian",
                    actor_id="g-anna",
                    method="tag",
                    occurred_at=at,
                    clock_synced=True,
                    received_at=at,
                )
            )
            rows.append(PresenceEvent(eid, cid, typ, at))
    schedules, agreements, leaves = _by_hand(store)
    with store.session() as s:
        got = {r.child_id: r for r in reports.monthly_hours(s, 2026, 3, ["solen"])}
    for cid in ("c-alva", "c-elsa", "c-omar"):
        want = monthly_hours(
            cid,
            2026,
            3,
            schedules.get(cid, []),
            agreements.get(cid, []),
            leaves.get(cid, []),
            [e for e in rows if e.child_id == cid],
            T(18),
        )
        assert got[cid] == want, cid
    assert got["c-alva"].attended > dt.timedelta(0) and got["c-elsa"].open_intervals == 2
    csv_text = reports.to_csv(type(got["c-alva"]), got.values())
    assert csv_text.splitlines()[0] == "child_id,year,month,scheduled,planned,attended,open_intervals"


def test_expected_counts(store: CentralStore) -> None:
    with store.session() as s:
        rows = reports.expected(s, dt.date(2026, 3, 23), dt.date(2026, 3, 24), ["solen"])
    # The week of 23 March is week B of Alva's cycle (no Monday care); Elsa is on leave all week.
    assert [(r.date.isoformat(), r.expected) for r in rows] == [("2026-03-23", 0), ("2026-03-24", 1)]
