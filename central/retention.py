"""Storage limitation (GDPR art. 5(1)(e)): delete personal data older than the retention period.

``lh-central retention purge --older-than DAYS`` (or ``LH_RETENTION_DAYS``) deletes, in one
transaction: events by when they happened, dead letters by when they arrived, audit entries
by when they were written, absences by their day, and the presence cache of children whose
last event is that old.  Schedules, agreements and leave are kept while the child is enrolled:
they are the basis of fees.

Leavers: :func:`end_enrolment`, :func:`remove_guardian` and :func:`remove_staff` delete a
person's row and what holds their personal data without a foreign key to it (tags, web
sessions); a child's schedules, agreements, leave, absences and presence go with the
child.  Events and audit entries stay until the period above ends: they are the record of
who was here, and hold ids only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from central.db.schema import (
    AbsenceRow,
    AgreementRow,
    AuditRow,
    Child,
    ChildGuardian,
    DeadLetter,
    EventRow,
    Guardian,
    LeaveRow,
    Presence,
    ScheduleRow,
    Staff,
    StaffDepartment,
    Tag,
    WebSession,
)
from central.rules import local_date

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 400
"""Default period: a bit over a year, so a full fee year plus complaints can be checked."""
MIN_DAYS = 30


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: dt.datetime
    events: int
    dead_letters: int
    audit_entries: int
    absences: int
    presence: int


def purge(session: Session, older_than_days: int, *, now: dt.datetime | None = None) -> PurgeResult:
    """Delete what is older than ``older_than_days`` in the caller's transaction; returns counts."""
    if older_than_days < MIN_DAYS:
        raise ValueError(f"the retention period must be at least {MIN_DAYS} days")
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=older_than_days)

    def count(stmt: object) -> int:
        return int(session.execute(stmt).rowcount or 0)  # type: ignore[call-overload]

    result = PurgeResult(
        cutoff=cutoff,
        events=count(delete(EventRow).where(EventRow.occurred_at < cutoff)),
        dead_letters=count(delete(DeadLetter).where(DeadLetter.received_at < cutoff)),
        audit_entries=count(delete(AuditRow).where(AuditRow.at < cutoff)),
        absences=count(delete(AbsenceRow).where(AbsenceRow.day < local_date(cutoff))),
        presence=count(delete(Presence).where(Presence.since < cutoff)),
    )
    logger.info(
        "retention purge before %s: %d events, %d dead letters, %d audit entries, %d absences, %d presence",
        cutoff.isoformat(),
        result.events,
        result.dead_letters,
        result.audit_entries,
        result.absences,
        result.presence,
    )
    return result


def end_enrolment(session: Session, child_id: str) -> bool:
    """Remove a child who has left, in the caller's transaction; False if there is none.

    Deleted explicitly rather than through ON DELETE CASCADE, so an older database whose
    constraints lack it cannot keep a leaver's schedules behind.
    """
    if session.get(Child, child_id) is None:
        return False
    for model in (ChildGuardian, Presence, ScheduleRow, AgreementRow, LeaveRow, AbsenceRow):
        session.execute(delete(model).where(model.child_id == child_id))
    session.execute(delete(Child).where(Child.id == child_id))
    logger.info("ended the enrolment of child %s", child_id)
    return True


def unlink_guardian(session: Session, guardian_id: str, child_id: str) -> bool:
    """Remove one guardian–child link; False if there was none."""
    link = session.get(ChildGuardian, (child_id, guardian_id))
    if link is None:
        return False
    session.delete(link)
    return True


def remove_guardian(session: Session, guardian_id: str) -> bool:
    """Remove a guardian with their links, tags and web sessions; False if there is none."""
    if session.get(Guardian, guardian_id) is None:
        return False
    session.execute(delete(ChildGuardian).where(ChildGuardian.guardian_id == guardian_id))
    session.execute(delete(Tag).where(Tag.owner_kind == "guardian", Tag.owner_id == guardian_id))
    session.execute(delete(WebSession).where(WebSession.guardian_id == guardian_id))
    session.execute(delete(Guardian).where(Guardian.id == guardian_id))
    logger.info("removed guardian %s", guardian_id)
    return True


def remove_staff(session: Session, staff_id: str) -> bool:
    """Remove a staff member with their departments, tags and web sessions; False if there is none."""
    if session.get(Staff, staff_id) is None:
        return False
    session.execute(delete(StaffDepartment).where(StaffDepartment.staff_id == staff_id))
    session.execute(delete(Tag).where(Tag.owner_kind == "staff", Tag.owner_id == staff_id))
    session.execute(delete(WebSession).where(WebSession.staff_id == staff_id))
    session.execute(delete(Staff).where(Staff.id == staff_id))
    logger.info("removed staff %s", staff_id)
    return True
