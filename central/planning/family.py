"""A family's view: each child's unit, today's presence and the coming days' plans.

What a guardian's Översikt shows, and what ``GET /guardian/overview`` answers: one function
for both, so the page and the API cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.db.schema import Child, ChildGuardian, Department, Unit
from central.planning import loader
from central.planning.presence import events_by_child
from central.rules import PlanEntry, day_status, plan_for_department, presence_intervals


@dataclass
class ChildOverview:
    child_id: str
    first_name: str
    last_name: str
    department_id: str
    department_name: str
    unit_name: str | None
    unit_kind: str
    unit_phone: str | None = None
    """The number to call the unit (absence by phone), as the unit writes it."""
    status: str = "absent"
    """``present`` (närvarande), ``absent`` (ej anländ) or ``gone`` (gått hem) today."""
    checked_in_at: dt.datetime | None = None
    checked_out_at: dt.datetime | None = None
    days: list[PlanEntry] = field(default_factory=list)
    """Today first, then the following days."""
    has_schedule: bool = False
    """Whether any schedule covers these days (else the page offers to register one)."""


def children_of(session: Session, guardian_id: str) -> list[Child]:
    q = (
        select(Child)
        .join(ChildGuardian, ChildGuardian.child_id == Child.id)
        .where(ChildGuardian.guardian_id == guardian_id)
        .order_by(Child.first_name, Child.id)
    )
    return list(session.scalars(q))


def overview(
    session: Session, child_ids: Collection[str], today: dt.date, days: int = 7
) -> list[ChildOverview]:
    """The children's overview from ``today`` for ``days`` days (four plan queries and one of events)."""
    ids = list(child_ids)
    if not ids:
        return []
    rows = session.execute(
        select(Child, Department.name, Unit.name, Unit.kind, Unit.phone)
        .join(Department, Department.id == Child.department_id)
        .outerjoin(Unit, Unit.id == Department.unit_id)
        .where(Child.id.in_(ids))
        .order_by(Child.first_name, Child.id)
    ).all()
    last = today + dt.timedelta(days=days - 1)
    inputs = loader.load(session, today, last, child_ids=ids)
    events = events_by_child(session, ids, today, today)
    out = []
    for child, dept_name, unit_name, unit_kind, unit_phone in rows:
        ov = ChildOverview(
            child.id,
            child.first_name,
            child.last_name,
            child.department_id,
            dept_name,
            unit_name,
            unit_kind or "preschool",
            unit_phone,
        )
        intervals = presence_intervals(events.get(child.id, []), today)
        ov.status = day_status(intervals)
        real = [iv for iv in intervals if not iv.is_anomaly]
        if real:
            ov.checked_in_at = real[-1].start
            ov.checked_out_at = real[-1].end
        ov.has_schedule = child.id in inputs.schedules
        for n in range(days):
            day = today + dt.timedelta(days=n)
            ov.days.extend(
                plan_for_department([child.id], day, inputs.schedules, inputs.agreements, inputs.leaves)
            )
        out.append(ov)
    return out
