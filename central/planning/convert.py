"""Converters between database rows and :mod:`central.rules` dataclasses.

Schedules are stored as JSON (``[[["07:30", "16:00"] | null] * 7, ...]``, one list per week of
the cycle).  Most children share a handful of distinct day times, so the converters intern
:class:`~central.rules.DayTimes` and whole weeks: ten thousand schedules build only a few
hundred objects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from central.rules import (
    Agreement,
    Author,
    DayTimes,
    Leave,
    Period,
    Person,
    Schedule,
    ScheduleError,
    Week,
    make_week,
)
from central.store import person_display

WeekJSON = list[list[str] | None]


def author(guardian_id: str, full_name: str | None) -> Author:
    """The author of an agreement or leave as plans show them."""
    return Author(guardian_id, person_display(full_name) if full_name else guardian_id)


class ScheduleConverter:
    """Turns schedule rows into :class:`Schedule` objects, sharing equal days and weeks."""

    def __init__(self) -> None:
        self._times: dict[str, dt.time] = {}
        self._days: dict[tuple[str, str], DayTimes] = {}
        self._weeks: dict[tuple[Any, ...], Week] = {}
        self._cycles: dict[str, tuple[Week, ...]] = {}

    def _time(self, text: str) -> dt.time:
        t = self._times.get(text)
        if t is None:
            t = self._times[text] = dt.time.fromisoformat(text)
        return t

    def _day(self, pair: Sequence[str]) -> DayTimes:
        key = (pair[0], pair[1])
        day = self._days.get(key)
        if day is None:
            day = self._days[key] = DayTimes(self._time(pair[0]), self._time(pair[1]))
        return day

    def week(self, days: WeekJSON) -> Week:
        """One week from its JSON form (Monday..Sunday)."""
        key = tuple(None if d is None else (d[0], d[1]) for d in days)
        week = self._weeks.get(key)
        if week is None:
            if len(days) != 7:
                raise ScheduleError(f"a week has 7 days (Monday–Sunday), not {len(days)}")
            week = self._weeks[key] = make_week(
                {i: self._day(d) for i, d in enumerate(days) if d is not None}
            )
        return week

    def cycle(self, weeks: list[WeekJSON] | str) -> tuple[Week, ...]:
        """The weeks of a schedule from their JSON (text, as read, or already parsed).

        Text is cached as is: thousands of children share a few dozen distinct schedules,
        so most rows cost one dictionary look-up instead of a JSON parse.
        """
        if not isinstance(weeks, str):
            return tuple(self.week(w) for w in weeks)
        cycle = self._cycles.get(weeks)
        if cycle is None:
            cycle = self._cycles[weeks] = tuple(self.week(w) for w in json.loads(weeks))
        return cycle

    def schedule(
        self,
        schedule_id: str,
        child_id: str,
        valid_from: dt.date,
        cycle_start: dt.date | None,
        weeks: list[WeekJSON] | str,
    ) -> Schedule:
        """A :class:`Schedule` from a row's columns (``weeks`` as JSON text or parsed)."""
        return Schedule(
            child_id, valid_from, self.cycle(weeks), cycle_start=cycle_start, schedule_id=schedule_id
        )


def weeks_json(weeks: Sequence[Sequence[tuple[dt.time, dt.time] | None]]) -> list[WeekJSON]:
    """The stored JSON form of weeks of ``(arrive, leave)`` pairs."""
    return [[None if d is None else [f"{d[0]:%H:%M}", f"{d[1]:%H:%M}"] for d in week] for week in weeks]


def period(first: dt.date, last: dt.date, weekdays: Sequence[int] | None) -> Period:
    """The :class:`Period` of an agreement or leave row."""
    return Period(first, last, frozenset(weekdays) if weekdays else None)


def agreement(row: Any, author_name: str | None) -> Agreement:
    """An :class:`Agreement` from an ``agreements`` row (mapping or object) and its author's name."""
    person = None
    if row.person_name:
        person = Person(row.person_name, row.person_relation, row.person_phone)
    return Agreement(
        agreement_id=row.id,
        child_id=row.child_id,
        kind=row.kind,
        period=period(row.first, row.last, row.weekdays),
        created_by=author(row.created_by, author_name),
        time=row.time,
        person=person,
        text=row.text,
    )


def absence(row: Any, author_name: str | None) -> Leave:
    """A one-day :class:`Leave` marked ``absence`` from an ``absences`` row (a frånvaro)."""
    return Leave(
        leave_id=row.id,
        child_id=row.child_id,
        period=Period(row.day, row.day, None),
        created_by=author(row.created_by, author_name) if author_name else None,
        text=row.reason,
        absence=True,
    )


def leave(row: Any, author_name: str | None) -> Leave:
    """A :class:`Leave` from a ``leaves`` row and its author's name (``None`` if staff/admin made it)."""
    return Leave(
        leave_id=row.id,
        child_id=row.child_id,
        period=period(row.first, row.last, row.weekdays),
        created_by=author(row.created_by, author_name) if row.created_by and author_name else None,
        text=row.text,
    )
