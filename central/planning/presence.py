"""Presence (närvaro) and deviations (avvikelser) of a department's day, and staff corrections.

Events are read in one query per department and day and handed to
:func:`central.rules.intervals_intervals`, which orders them itself: an event that arrives late
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
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central import audit
from central.db.schema import Child, DeadLetter, EventRow, Presence
from central.planning import units
from central.planning.changes import ChangeError
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
from central.rules.intervals import EventType

WEB_DEVICE_ID = "web"
"""The device id of events made through the API (staff corrections); never a real Pi's id."""

MAX_BACKDATE = dt.timedelta(days=7)
"""How far back a staff correction may go."""
MAX_AHEAD = dt.timedelta(minutes=5)
"""How far ahead of central's clock a correction may be (clocks of browsers differ a little)."""

UNCONFIRMED_HANDOVER = "unconfirmed_handover"
"""A deviation kind of this module (not of :mod:`central.rules`): a guardian's self-service
handover that ingest stored from a ``staff_confirmed`` unit without a staff confirmation."""
_FLAG_PREFIX = "flag:"  # central.ingest.FLAG_PREFIX; not imported, ingest must not need planning


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
        out[child_id].append(PresenceEvent(event_id, child_id, cast(EventType, type_), occurred_at, synced))
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


@dataclass(frozen=True, slots=True)
class EventFlag:
    """A deviation about one stored event that ingest flagged (same fields as
    :class:`central.rules.Deviation`, with ``kind`` a plain string such as
    :data:`UNCONFIRMED_HANDOVER`)."""

    kind: str
    child_id: str
    detail: str
    expected: dt.time | None = None
    since: dt.datetime | None = None
    event_ids: tuple[str, ...] = ()
    auto_closed: bool = False


def unconfirmed_handovers(session: Session, info: DepartmentDay) -> list[EventFlag]:
    """The day's events ingest stored with an ``unconfirmed_handover`` flag (one query)."""
    by_id = {e.event_id: e for evs in info.events.values() for e in evs}
    if not by_id:
        return []
    q = select(DeadLetter.event_id, DeadLetter.reason).where(
        DeadLetter.event_id.in_(list(by_id)),
        DeadLetter.reason.startswith(f"{_FLAG_PREFIX}{UNCONFIRMED_HANDOVER}:"),
    )
    out = []
    for event_id, reason in session.execute(q):
        if event_id is None or event_id not in by_id:
            continue
        ev = by_id[event_id]
        detail = reason.split(":", 2)[-1].strip()
        out.append(
            EventFlag(UNCONFIRMED_HANDOVER, ev.child_id, detail, since=ev.occurred_at, event_ids=(event_id,))
        )
    return sorted(out, key=lambda f: (f.child_id, f.since or dt.datetime.min.replace(tzinfo=dt.UTC)))


def department_deviations(
    session: Session, department_id: str, now: dt.datetime, *, auto_close: bool = False
) -> tuple[DepartmentDay, list[Deviation | EventFlag]]:
    """The deviations staff should see at ``now`` (aware) in a department: the rules' kinds,
    then handovers a ``staff_confirmed`` unit's staff never confirmed."""
    info = department_day(session, department_id, local_date(now))
    found: list[Deviation | EventFlag] = list(
        deviations(
            info.plan, info.presence, info.events, now, info.closing_time, day=info.day, auto_close=auto_close
        )
    )
    found.extend(unconfirmed_handovers(session, info))
    return info, found


def record_correction(
    session: Session,
    *,
    child_id: str,
    type_: str,
    staff_id: str,
    reason: str,
    occurred_at: dt.datetime | None,
    now: dt.datetime,
) -> EventRow:
    """Check a child in or out by hand: an event, the presence cache and an audit entry.

    ``occurred_at`` (aware; None: ``now``) may be at most :data:`MAX_AHEAD` after ``now`` and
    :data:`MAX_BACKDATE` before it; otherwise, or if it has no UTC equivalent (year 1 at
    +14:00), :class:`~central.planning.changes.ChangeError` and nothing is written.
    """
    occurred_at = correction_time(occurred_at, now)
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


def correction_time(occurred_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The UTC instant a correction is stored at, or ChangeError (the rule the API and the web
    pages share)."""
    if occurred_at is None:
        return now.astimezone(dt.UTC)
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ChangeError("occurred_at needs a UTC offset")
    try:
        at = occurred_at.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ChangeError("occurred_at is out of range") from None
    if at > now + MAX_AHEAD:
        raise ChangeError("occurred_at is in the future")
    if at < now - MAX_BACKDATE:
        raise ChangeError("a correction can go back at most 7 days")
    return at


def department_of(session: Session, child_id: str) -> str | None:
    """The department a child belongs to, or ``None`` for an unknown child."""
    return session.scalar(select(Child.department_id).where(Child.id == child_id))
