"""Validated writes of plan data: schedules, agreements, leave, absences, contact details.

Each function checks everything first (the rules engine's own checks, the unit's switches and
notice period, conflicts with stored rows), then writes and audits in the caller's
transaction.  Refusals are :class:`ChangeError` (with an HTTP-like status) or a
:class:`~central.rules.RuleError`; either way nothing has been written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import audit
from central.db.schema import AbsenceRow, AgreementRow, Child, ChildGuardian, Guardian, LeaveRow, ScheduleRow
from central.planning import convert, units
from central.rules import (
    Leave,
    NoticeError,
    PeriodError,
    Person,
    Schedule,
    ScheduleError,
    check_notice,
    make_week,
    validate_schedule_set,
)


class ChangeError(ValueError):
    """A refused change; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change, for the audit log."""

    role: str
    id: str
    on_behalf_of: str | None = None
    """The guardian a staff member acts for (a guardian without Swedish e-ID), for the audit log."""


DayPair = tuple[dt.time, dt.time] | None


def _uuid() -> str:
    return str(uuid.uuid4())


def _child(session: Session, child_id: str) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise ChangeError(f"no child {child_id}", 404)
    return child


def build_schedule(
    child_id: str, valid_from: dt.date, cycle_start: dt.date | None, weeks: Sequence[Sequence[DayPair]]
) -> Schedule:
    """A rules :class:`Schedule`, with errors naming the week and day ("week 2, Monday: ...")."""
    if not weeks:
        raise ScheduleError("a schedule needs at least one week")
    built = []
    for number, days in enumerate(weeks, start=1):
        if len(days) != 7:
            raise ScheduleError(f"week {number} has {len(days)} days; a week has 7 (Monday–Sunday)")
        try:
            built.append(make_week({i: d for i, d in enumerate(days) if d is not None}))
        except ScheduleError as exc:
            raise ScheduleError(f"week {number}, {exc}" if len(weeks) > 1 else str(exc)) from None
    return Schedule(child_id, valid_from, tuple(built), cycle_start=cycle_start)


def _schedule_snapshot(row: ScheduleRow) -> dict[str, object]:
    return {
        "child_id": row.child_id,
        "valid_from": row.valid_from,
        "cycle_start": row.cycle_start,
        "weeks": row.weeks,
    }


def save_schedule(
    session: Session,
    actor: Actor,
    child_id: str,
    valid_from: dt.date,
    cycle_start: dt.date | None,
    weeks: Sequence[Sequence[DayPair]],
    *,
    today: dt.date,
    replace_id: str | None = None,
    now: dt.datetime | None = None,
) -> ScheduleRow:
    """Add a schedule, or replace ``replace_id``; the unit's notice period applies to both dates."""
    child = _child(session, child_id)
    schedule = build_schedule(child_id, valid_from, cycle_start, weeks)
    notice = 0 if actor.role == "admin" else units.for_department(session, child.department_id).min_days_ahead
    check_notice(valid_from, today, notice)
    existing = list(session.scalars(select(ScheduleRow).where(ScheduleRow.child_id == child_id)))
    old: ScheduleRow | None = None
    if replace_id is not None:
        old = next((r for r in existing if r.id == replace_id), None)
        if old is None:
            raise ChangeError(f"child {child_id} has no schedule {replace_id}", 404)
        try:
            check_notice(old.valid_from, today, notice)
        except NoticeError:
            raise NoticeError(
                f"the schedule valid from {old.valid_from.isoformat()} can no longer be changed "
                f"({notice} days' notice); add a new schedule from a later date instead"
            ) from None
    others = [
        Schedule(child_id, r.valid_from, ((None,) * 7,), schedule_id=r.id) for r in existing if r is not old
    ]
    validate_schedule_set([*others, schedule])
    stored = convert.weeks_json(weeks)
    before = _schedule_snapshot(old) if old is not None else None
    if old is None:
        row = ScheduleRow(
            id=_uuid(),
            child_id=child_id,
            valid_from=valid_from,
            cycle_start=cycle_start,
            weeks=stored,
            created_by=actor.id,
            created_at=now or dt.datetime.now(dt.UTC),
        )
        session.add(row)
    else:
        row = old
        row.valid_from, row.cycle_start, row.weeks = valid_from, cycle_start, stored
    session.flush()
    audit.record(
        session,
        actor_role=actor.role,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        action="schedule.replace" if old is not None else "schedule.create",
        entity="schedule",
        entity_id=row.id,
        before=before,
        after=_schedule_snapshot(row),
        at=now,
    )
    return row


def _check_period(first: dt.date, last: dt.date, weekdays: Sequence[int] | None, today: dt.date) -> None:
    convert.period(first, last, weekdays)  # PeriodError for a bad range or weekday
    if weekdays is not None and not weekdays:
        raise PeriodError("a recurring period needs at least one weekday")
    if last < today:
        raise PeriodError(f"the period ended ({last.isoformat()}) before today ({today.isoformat()})")
    if (last - first).days > 366:
        raise PeriodError("a period may last at most one year")


def add_agreement(
    session: Session,
    actor: Actor,
    child_id: str,
    *,
    kind: str,
    first: dt.date,
    last: dt.date,
    weekdays: Sequence[int] | None,
    time: dt.time | None,
    person: Person | None,
    text: str | None,
    today: dt.date,
    now: dt.datetime | None = None,
) -> AgreementRow:
    """Store an avtal after the rules engine has accepted it."""
    _child(session, child_id)
    _check_period(first, last, weekdays, today)
    row = AgreementRow(
        id=_uuid(),
        child_id=child_id,
        kind=kind,
        first=first,
        last=last,
        weekdays=sorted(set(weekdays)) if weekdays else None,
        time=time,
        person_name=person.name if person else None,
        person_relation=person.relation if person else None,
        person_phone=person.phone if person else None,
        text=text,
        created_by=actor.id,
        created_at=now or dt.datetime.now(dt.UTC),
    )
    convert.agreement(row, None)  # AgreementError if the kind lacks what it needs
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_role=actor.role,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        action="agreement.create",
        entity="agreement",
        entity_id=row.id,
        after=agreement_snapshot(row),
        at=now,
    )
    return row


def agreement_snapshot(row: AgreementRow) -> dict[str, object]:
    """The audited fields of an agreement (the phone number of a pickup person is left out)."""
    return {
        "child_id": row.child_id,
        "kind": row.kind,
        "first": row.first,
        "last": row.last,
        "weekdays": row.weekdays,
        "time": row.time,
        "person_name": row.person_name,
        "text": row.text,
    }


def add_leave(
    session: Session,
    actor: Actor,
    child_id: str,
    *,
    first: dt.date,
    last: dt.date,
    weekdays: Sequence[int] | None,
    text: str | None,
    today: dt.date,
    now: dt.datetime | None = None,
) -> LeaveRow:
    """Store a ledighet."""
    _child(session, child_id)
    _check_period(first, last, weekdays, today)
    row = LeaveRow(
        id=_uuid(),
        child_id=child_id,
        first=first,
        last=last,
        weekdays=sorted(set(weekdays)) if weekdays else None,
        text=text,
        created_by=actor.id,
        created_at=now or dt.datetime.now(dt.UTC),
    )
    Leave(row.id, child_id, convert.period(first, last, row.weekdays), text=text)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_role=actor.role,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        action="leave.create",
        entity="leave",
        entity_id=row.id,
        after={"child_id": child_id, "first": first, "last": last, "weekdays": row.weekdays, "text": text},
        at=now,
    )
    return row


def delete_row(
    session: Session,
    actor: Actor,
    model: type[AgreementRow] | type[LeaveRow] | type[AbsenceRow],
    child_id: str,
    row_id: str,
) -> None:
    """Remove an agreement, a leave or an absence of ``child_id`` (404 if it is not that child's)."""
    row = cast(AgreementRow | LeaveRow | AbsenceRow | None, session.get(model, row_id))
    entity = {AgreementRow: "agreement", LeaveRow: "leave", AbsenceRow: "absence"}[model]
    if row is None or row.child_id != child_id:
        raise ChangeError(f"child {child_id} has no such {entity}", 404)
    before: dict[str, object]
    if isinstance(row, AgreementRow):
        before = agreement_snapshot(row)
    elif isinstance(row, LeaveRow):
        before = {"child_id": row.child_id, "first": row.first, "last": row.last, "weekdays": row.weekdays}
    else:
        assert isinstance(row, AbsenceRow)
        before = {"child_id": row.child_id, "day": row.day, "reason": row.reason}
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor_role=actor.role,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        action=f"{entity}.delete",
        entity=entity,
        entity_id=row_id,
        before=before,
    )


def add_absence(
    session: Session,
    actor: Actor,
    child_id: str,
    *,
    day: dt.date,
    reason: str | None,
    today: dt.date,
    now: dt.datetime | None = None,
) -> AbsenceRow:
    """Report a frånvaro, if the child's unit has absence reporting switched on (403 otherwise)."""
    child = _child(session, child_id)
    if not units.for_department(session, child.department_id).absence_reporting:
        raise ChangeError("absence reporting is switched off for this unit; call the preschool instead", 403)
    if not today - dt.timedelta(days=7) <= day <= today + dt.timedelta(days=60):
        raise ChangeError("an absence can be reported for the last 7 days up to 60 days ahead")
    row = AbsenceRow(
        id=_uuid(),
        child_id=child_id,
        day=day,
        reason=reason,
        created_by=actor.id,
        created_at=now or dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_role=actor.role,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        action="absence.create",
        entity="absence",
        entity_id=row.id,
        after={"child_id": child_id, "day": day},
        at=now,
    )
    return row


def contact_editable(session: Session, guardian_id: str) -> bool:
    """Whether every unit of the guardian's children lets guardians edit contact details.

    Where one unit (a fritidshem) keeps them in the school's system, editing them here would
    leave the two out of step, so the switch of the strictest unit wins.
    """
    depts = set(
        session.scalars(
            select(Child.department_id)
            .join(ChildGuardian, ChildGuardian.child_id == Child.id)
            .where(ChildGuardian.guardian_id == guardian_id)
        )
    )
    settings = units.for_departments(session, depts)
    return bool(settings) and all(s.contact_editing for s in settings.values())


def update_contact(
    session: Session, actor: Actor, guardian_id: str, *, phone: str | None, email: str | None
) -> Guardian:
    """Change a guardian's phone and e-mail, where the units allow it (403 otherwise)."""
    guardian = session.get(Guardian, guardian_id)
    if guardian is None:
        raise ChangeError(f"no guardian {guardian_id}", 404)
    if actor.role == "guardian" and not contact_editable(session, guardian_id):
        raise ChangeError(
            "contact details are kept in the school's system for this unit; change them there", 403
        )
    before = {"phone": guardian.phone, "email": guardian.email}
    guardian.phone, guardian.email = phone, email
    session.flush()
    audit.record(
        session,
        actor_role=actor.role,
        actor_id=actor.id,
        on_behalf_of=actor.on_behalf_of,
        action="contact.update",
        entity="guardian",
        entity_id=guardian_id,
        before=before,
        after={"phone": phone, "email": email},
    )
    return guardian


__all__ = [
    "Actor",
    "ChangeError",
    "add_absence",
    "add_agreement",
    "add_leave",
    "build_schedule",
    "contact_editable",
    "delete_row",
    "save_schedule",
    "update_contact",
]
