"""Today's plan: one child's expected drop-off and pick-up on a date, and why.

Precedence is **leave > agreement > schedule**: the schedule (schema) in force gives the
times; agreements (avtal) covering the date override them (late drop-off → ``arrive``, early
pickup → ``leave``) and add who picks up and whether the child may walk home alone; a leave
(ledighet) covering the date wins over both and empties the day.  Every entry carries its
reasons as :class:`PlanNote` rows, so a UI can render "Hämtas av Mormor Eva — avtal av Anna".

When several agreements of one kind cover a date, the cautious one wins: the earliest early
pickup, the latest late drop-off, the latest walk-home-alone time; all pickup persons are
listed.  All of them stay in ``notes``.  The result never depends on the order of the inputs.

The roster builder maps :class:`PlanEntry` onto the protocol's plan entry; ``scheduled`` (the
schema's own times, before agreements and leave) is extra, for reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from central.rules.agreements import Agreement, AgreementKind, Author, Person
from central.rules.leave import Leave
from central.rules.schedule import DayTimes, Schedule, ScheduleHistory, schedule_on

NoteKind = Literal[
    "schedule", "early_pickup", "pickup_by", "walk_home_alone", "late_dropoff", "note", "leave"
]

_KIND_ORDER = {kind: i for i, kind in enumerate(AgreementKind)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanNote:
    """One reason in a plan: what (``kind``), when (``time``), who (``person``), and from where (``source``).

    ``source`` is plain English for logs and the roster ("schedule 2026-08-01", "agreement by
    guardian Anna", "leave"); ``author`` is the structured form for a UI that translates.
    """

    kind: NoteKind
    source: str
    time: dt.time | None = None
    text: str | None = None
    person: Person | None = None
    author: Author | None = None


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """A child's plan for one local date.  ``arrive``/``leave`` are the effective wall times."""

    child_id: str
    date: dt.date
    arrive: dt.time | None
    leave: dt.time | None
    on_leave: bool
    pickup_by: str | None
    walk_home_alone_from: dt.time | None
    notes: tuple[PlanNote, ...]
    scheduled: DayTimes | None = None

    @property
    def expected(self) -> bool:
        """Whether the child is expected to come (not on leave, with an arrive time): meals count."""
        return not self.on_leave and self.arrive is not None


SchedulesArg = Iterable[Schedule] | ScheduleHistory


def _scheduled(schedules: SchedulesArg, day: dt.date) -> tuple[Schedule | None, DayTimes | None]:
    schedule = schedules.on(day) if isinstance(schedules, ScheduleHistory) else schedule_on(schedules, day)
    return schedule, (schedule.times_on(day) if schedule is not None else None)


def _leave_note(leave: Leave) -> PlanNote:
    return PlanNote(kind="leave", source=leave.source, text=leave.text, author=leave.created_by)


def _agreement_note(agreement: Agreement) -> PlanNote:
    return PlanNote(
        kind=agreement.kind.value,
        source=agreement.source,
        time=agreement.time,
        text=agreement.text,
        person=agreement.person,
        author=agreement.created_by,
    )


def _agreement_order(agreement: Agreement) -> tuple[int, dt.time, str]:
    return (_KIND_ORDER[agreement.kind], agreement.time or dt.time.min, agreement.agreement_id)


def plan_for_child(
    child_id: str,
    date: dt.date,
    schedules: SchedulesArg,
    agreements: Iterable[Agreement],
    leaves: Iterable[Leave],
) -> PlanEntry:
    """The plan for ``child_id`` on local ``date``; the inputs are that child's rows (any order).

    ``schedules`` may be a plain iterable (scanned once) or a prebuilt :class:`ScheduleHistory`.
    """
    schedule, times = _scheduled(schedules, date)
    on_leave = [lv for lv in leaves if lv.covers(date)]
    if on_leave:
        if len(on_leave) > 1:
            on_leave.sort(key=lambda lv: lv.leave_id)
        return PlanEntry(
            child_id, date, None, None, True, None, None, tuple(_leave_note(lv) for lv in on_leave), times
        )

    notes: list[PlanNote] = []
    arrive = leave = None
    if schedule is not None and times is not None:
        arrive, leave = times.arrive, times.leave
        notes.append(PlanNote(kind="schedule", source=schedule.source, text=times.label))

    # One pass, sorting only when needed: this runs for every child of every department.
    todays = [a for a in agreements if a.covers(date)]
    if len(todays) > 1:
        todays.sort(key=_agreement_order)
    early: dt.time | None = None
    late: dt.time | None = None
    alone: dt.time | None = None
    pickers: list[str] = []
    for a in todays:
        kind, at = a.kind, a.time
        if kind is AgreementKind.EARLY_PICKUP and at is not None:
            early = at if early is None else min(early, at)
        elif kind is AgreementKind.LATE_DROPOFF and at is not None:
            late = at if late is None else max(late, at)
        elif kind is AgreementKind.WALK_HOME_ALONE and at is not None:
            alone = at if alone is None else max(alone, at)
        elif kind is AgreementKind.PICKUP_BY and a.person is not None:
            pickers.append(a.person.display)
        notes.append(_agreement_note(a))
    if early is not None:
        leave = early
    if late is not None:
        arrive = late
    return PlanEntry(
        child_id=child_id,
        date=date,
        arrive=arrive,
        leave=leave,
        on_leave=False,
        pickup_by=" / ".join(dict.fromkeys(pickers)) or None,
        walk_home_alone_from=alone,
        notes=tuple(notes),
        scheduled=times,
    )


def plan_for_department(
    children_ids: Iterable[str],
    date: dt.date,
    schedules_by_child: Mapping[str, SchedulesArg],
    agreements_by_child: Mapping[str, Sequence[Agreement]],
    leaves_by_child: Mapping[str, Sequence[Leave]],
) -> list[PlanEntry]:
    """The plan of each child in ``children_ids`` on ``date``, in that order.

    A child missing from a mapping simply has no rows of that kind.  Cost is linear in the
    children's own rows; nothing is sorted across children.
    """
    return [
        plan_for_child(
            child_id,
            date,
            schedules_by_child.get(child_id, ()),
            agreements_by_child.get(child_id, ()),
            leaves_by_child.get(child_id, ()),
        )
        for child_id in children_ids
    ]
