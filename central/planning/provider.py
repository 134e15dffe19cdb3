"""Today's plan per department, and its form in the roster (:class:`RosterPlanEntry`).

:class:`PlanProvider` is what :class:`central.service.CentralService` calls for each roster it
builds: ``provider(department_id, local_date) -> list[RosterPlanEntry]``.  Every entry keeps
its reasons as notes whose ``source`` says where they come from ("schedule 2026-08-01",
"agreement by guardian Anna S.", "leave by guardian Erik S."): adults by first name and
initial, never an identity number.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

from sqlalchemy.orm import Session

from central.planning import loader
from central.rules import PlanEntry, plan_for_department
from central.rules import PlanNote as RulesNote
from central.store import CentralStore
from protocol.messages import PlanNote, RosterPlanEntry

logger = logging.getLogger(__name__)

TEXT_MAX = 200
SOURCE_MAX = 120


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
