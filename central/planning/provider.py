"""Today's plan per department, and its form in the roster (:class:`RosterPlanEntry`).

:class:`PlanProvider` is what :class:`central.service.CentralService` calls for each roster it
builds: ``provider(department_id, local_date) -> list[RosterPlanEntry]``.  Every entry keeps
its reasons as notes whose ``source`` says where they come from ("schedule 2026-08-01",
"agreement by guardian Anna S.", "leave by guardian Erik S."): adults by first name and
initial, never an identity number.

:meth:`PlanProvider.complete_roster` adds the unit's settings (handover mode, closing time) and
the hallway notices active on the roster's date and the department's blocked tags, for the devices
that understand them (receivers-first, docs/protocol.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from central.db.schema import Device, NoticeRow, Tag
from central.planning import loader, units
from central.rules import PlanEntry, plan_for_department
from central.rules import PlanNote as RulesNote
from central.store import CentralStore
from protocol.codec import for_receivers
from protocol.messages import PlanNote, Roster, RosterNotice, RosterPlanEntry, RosterUnit

logger = logging.getLogger(__name__)

TEXT_MAX = 200
SOURCE_MAX = 120
#: The roster carries at most this many notices (newest first); the screen shows three.
NOTICES_MAX = 20


def plans_for_departments(
    session: Session, department_ids: Collection[str] | None, day: dt.date
) -> dict[str, list[PlanEntry]]:
    """The plan of every child of the departments (all if ``None``) on local ``day``, in roster order."""
    inputs = loader.load(session, day, day, department_ids=department_ids)
    return {
        dept: plan_for_department(children, day, inputs.schedules, inputs.agreements, inputs.leaves)
        for dept, children in inputs.children_by_department.items()
    }


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _note(note: RulesNote) -> PlanNote:
    text = note.text
    if note.person is not None:
        text = f"{note.person.display}: {text}" if text else note.person.display
    # Built from validated rules objects and clipped to the protocol's limits: skip re-validation
    # (this runs for every child of every department at each roster refresh).
    return PlanNote.model_construct(
        kind=note.kind, time=note.time, text=_clip(text, TEXT_MAX), source=_clip(note.source, SOURCE_MAX)
    )


def roster_entry(entry: PlanEntry) -> RosterPlanEntry:
    """The roster's form of a plan entry (the schedule's own times stay at central, for reports)."""
    return RosterPlanEntry.model_construct(
        child_id=entry.child_id,
        arrive=entry.arrive,
        leave=entry.leave,
        on_leave=entry.on_leave,
        pickup_by=_clip(entry.pickup_by, SOURCE_MAX),
        walk_home_alone_from=entry.walk_home_alone_from,
        notes=[_note(n) for n in entry.notes],
    )


class PlanProvider:
    """``CentralService``'s ``plan_provider``: today's plan of one department, read fresh each time."""

    def __init__(self, store: CentralStore) -> None:
        self.store = store

    def __call__(self, department_id: str, day: dt.date) -> list[RosterPlanEntry]:
        with self.store.session() as s:
            plans = plans_for_departments(s, [department_id], day)
        entries = [roster_entry(e) for e in plans.get(department_id, [])]
        logger.debug("plan for department %s on %s: %d entries", department_id, day, len(entries))
        return entries

    def all_departments(self, day: dt.date) -> dict[str, list[RosterPlanEntry]]:
        """Every department's plan in one go (four queries in all)."""
        with self.store.session() as s:
            plans = plans_for_departments(s, None, day)
        return {dept: [roster_entry(e) for e in entries] for dept, entries in plans.items()}

    def complete_roster(self, roster: Roster, device_ids: Collection[str]) -> Roster:
        """``roster`` with its department's unit settings and the notices active on its date
        (``first <= date <= last``), each left out unless every one of ``device_ids`` reports a
        release that accepts it (:func:`protocol.codec.for_receivers`)."""
        dept, day = roster.department.id, roster.date
        with self.store.session() as s:
            unit = unit_settings(s, dept)
            notices = active_notices(s, dept, day)
            blocked = blocked_tags(s, [g.id for g in roster.guardians], [st.id for st in roster.staff])
            versions = device_versions(s, device_ids)
        update = {"unit": unit, "notices": notices, "blocked_tags": blocked}
        return for_receivers(roster.model_copy(update=update), versions)


def unit_settings(session: Session, department_id: str) -> RosterUnit:
    """The roster's form of the department's unit settings (the defaults without a unit)."""
    u = units.for_department(session, department_id)
    closing = u.closing_time.replace(second=0, microsecond=0)
    return RosterUnit(handover_mode=u.handover_mode, closing_time=closing)


def active_notices(session: Session, department_id: str, day: dt.date) -> list[RosterNotice]:
    """The department's notices shown on local ``day``, newest first."""
    rows = session.scalars(
        select(NoticeRow)
        .where(NoticeRow.department_id == department_id, NoticeRow.first <= day, NoticeRow.last >= day)
        .order_by(NoticeRow.first.desc(), NoticeRow.id)
        .limit(NOTICES_MAX)
    )
    return [
        RosterNotice(id=n.id, text=_clip(n.text.strip(), TEXT_MAX) or "", last=n.last)
        for n in rows
        if n.text.strip()
    ]


def blocked_tags(session: Session, guardian_ids: Collection[str], staff_ids: Collection[str]) -> list[str]:
    """The blocked (lost) tags of a roster's guardians and staff, sorted: the roster's
    ``blocked_tags`` (issue 10, :mod:`central.tags`)."""
    owners = []
    if guardian_ids:
        owners.append(and_(Tag.owner_kind == "guardian", Tag.owner_id.in_(list(guardian_ids))))
    if staff_ids:
        owners.append(and_(Tag.owner_kind == "staff", Tag.owner_id.in_(list(staff_ids))))
    if not owners:
        return []
    q = select(Tag.digest).where(Tag.blocked_at.is_not(None), or_(*owners)).order_by(Tag.digest)
    return list(session.scalars(q))


def device_versions(session: Session, device_ids: Collection[str]) -> list[str | None]:
    """The release each device last reported in its retained status (None if none yet)."""
    out: list[str | None] = []
    for (status,) in session.execute(select(Device.last_status).where(Device.id.in_(list(device_ids)))):
        try:
            version = json.loads(status).get("version") if status else None
        except (ValueError, AttributeError):
            version = None
        out.append(version if isinstance(version, str) else None)
    return out
