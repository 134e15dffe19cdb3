"""Storage limitation (GDPR art. 5(1)(e)): delete personal data older than the retention period.

``lh-central retention purge --older-than DAYS`` (or ``LH_RETENTION_DAYS``) deletes, in one
transaction: events by when they happened, dead letters by when they arrived, audit entries
by when they were written, absences by their day, and the presence cache of children whose
last event is that old.  Schedules, agreements and leave are kept while the child is enrolled:
they are the basis of fees.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from central.db.schema import AbsenceRow, AuditRow, DeadLetter, EventRow, Presence
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
        return int(session.execute(stmt).rowcount or 0)  # type: ignore[call-overload, attr-defined]

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
