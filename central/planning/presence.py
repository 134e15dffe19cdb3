"""Presence (närvaro) and deviations (avvikelser) of a department's day, and staff corrections.

Events are read in one query per department and day and handed to
:func:`central.rules.presence_intervals`, which orders them itself: an event that arrives late
or out of order (a Pi's outbox draining after an outage) lands in the right place.

A staff correction (checking a child in or out by hand) is stored like any device event, with
method ``staff_override``, a server-made event id, device id ``web`` and the next sequence
number of that pseudo-device, updates the presence cache the roster reads, and is audited
with the staff member's id and reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central import audit
from central.db.schema import Child, EventRow, Presence
from central.planning import units
from central.planning.provider import plans_for_departments
from central.rules import (
    Deviation,
    Interval,
    PlanEntry,
    PresenceEvent,
    day_bounds,
    deviations,
    local_date,
    presence_intervals,
)

WEB_DEVICE_ID = "web"
"""The device id of events made through the API (staff corrections); never a real Pi's id."""


def events_by_child(
    session: Session, child_ids: Collection[str], first: dt.date, last: dt.date
) -> dict[str, list[PresenceEvent]]:
    """The children's events on local dates ``first``..``last`` (one query)."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    out: dict[str, list[PresenceEvent]] = defaultdict(list)
    if not child_ids:
        return out
    q = select(
        EventRow.event_id, EventRow.child_id, EventRow.type, EventRow.occurred_at, EventRow.clock_synced
    )
    q = q.where(
        EventRow.child_id.in_(list(child_ids)), EventRow.occurred_at >= start, EventRow.occurred_at < end
    )
    for event_id, child_id, type_, occurred_at, synced in session.execute(q):
        out[child_id].append(PresenceEvent(event_id, child_id, type_, occurred_at, synced))
    return out


@dataclass(frozen=True, slots=True)
class DepartmentDay:
    """One department's plan, events and presence on one local date."""

    department_id: str
    day: dt.date
    children: list[str]
    plan: list[PlanEntry]
    events: dict[str, list[PresenceEvent]]
    presence: dict[str, list[Interval]]
    closing_time: dt.time


def department_day(session: Session, department_id: str, day: dt.date) -> DepartmentDay:
    """Everything staff see about a department's day (five queries)."""
    plan = plans_for_departments(session, [department_id], day).get(department_id, [])
    children = [e.child_id for e in plan]
    events = events_by_child(session, children, day, day)
    presence = {cid: presence_intervals(evs, day) for cid, evs in events.items()}
    closing = units.for_department(session, department_id).closing_time
    return DepartmentDay(department_id, day, children, plan, dict(events), presence, closing)


def department_deviations(
    session: Session, department_id: str, now: dt.datetime, *, auto_close: bool = False
) -> tuple[DepartmentDay, list[Deviation]]:
    """The deviations staff should see at ``now`` (aware) in a department."""
    info = department_day(session, department_id, local_date(now))
    found = deviations(
        info.plan, info.presence, info.events, now, info.closing_time, day=info.day, auto_close=auto_close
    )
    return info, found


def record_correction(
    session: Session,
    *,
    child_id: str,
    type_: str,
    staff_id: str,
    reason: str,
    occurred_at: dt.datetime,
    now: dt.datetime,
) -> EventRow:
    """Check a child in or out by hand: an event, the presence cache and an audit entry."""
    seq = (session.scalar(select(func.max(EventRow.seq)).where(EventRow.device_id == WEB_DEVICE_ID)) or 0) + 1
    row = EventRow(
        event_id=str(uuid.uuid4()),
        device_id=WEB_DEVICE_ID,
        seq=seq,
        type=type_,
        child_id=child_id,
        actor_kind="staff",
        actor_id=staff_id,
        method="staff_override",
        occurred_at=occurred_at,
        clock_synced=True,
        received_at=now,
    )
    session.add(row)
    status = "present" if type_ == "check_in" else "gone"
    p = session.get(Presence, child_id)
    if p is None:
        session.add(Presence(child_id=child_id, status=status, since=occurred_at, event_id=row.event_id))
    elif (occurred_at, row.event_id) > (p.since, p.event_id):
        # As on ingest: presence follows the latest event by occurred_at, so a back-dated
        # correction does not overwrite a newer tap.
        p.status, p.since, p.event_id = status, occurred_at, row.event_id
    session.flush()
    audit.record(
        session,
        actor_role="staff",
        actor_id=staff_id,
        action=f"presence.{type_}",
        entity="child",
        entity_id=child_id,
        after={"event_id": row.event_id, "type": type_, "occurred_at": occurred_at},
        reason=reason,
        at=now,
    )
    return row


def department_of(session: Session, child_id: str) -> str | None:
    """The department a child belongs to, or ``None`` for an unknown child."""
    return session.scalar(select(Child.department_id).where(Child.id == child_id))
