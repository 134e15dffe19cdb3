"""Schedules (schema, fleroveckorsschema): a child's regular arrive and leave times per weekday.

A :class:`Schedule` holds a cycle of N weeks (N = 1 for an ordinary weekly schema, N ≥ 2 for a
fleroveckorsschema).  Week 0 of the cycle is the ISO week (Monday–Sunday) containing
``cycle_start``, which defaults to ``valid_from``; so the week a new schedule starts in is
always its first week, and a replacement schedule can keep an older cycle's phase by passing
that schedule's ``cycle_start``.  Anchoring on the Monday, not on the date itself, means a
schedule starting on a Wednesday still has whole Monday–Sunday weeks, as guardians enter them.

A schedule applies from ``valid_from`` until the child's next schedule with a later
``valid_from`` takes over.  :func:`validate_schedule_set` and :func:`check_notice` are the
checks the API runs before storing one.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from central.rules.errors import NoticeError, ScheduleConflictError, ScheduleError
from central.rules.period import WEEKDAY_NAMES
from central.rules.timeutil import STOCKHOLM, monday_of, span


@dataclass(frozen=True, slots=True)
class DayTimes:
    """One day's scheduled drop-off (``arrive``) and pick-up (``leave``), local wall times."""

    arrive: dt.time
    leave: dt.time
    label: str = field(init=False, repr=False, compare=False)
    """"07:30–16:00", built once: plans show it for every child every day."""

    def __post_init__(self) -> None:
        if self.arrive.tzinfo is not None or self.leave.tzinfo is not None:
            raise ScheduleError("schedule times are local wall times and carry no timezone")
        if self.leave <= self.arrive:
            raise ScheduleError(
                f"the leave time {self.leave:%H:%M} must be after the arrive time {self.arrive:%H:%M}"
            )
        object.__setattr__(self, "label", f"{self.arrive:%H:%M}–{self.leave:%H:%M}")

    def hours_on(self, day: dt.date, *, tz: dt.tzinfo = STOCKHOLM) -> dt.timedelta:
        """Real time from arrive to leave on ``day`` (differs from the wall span only on DST days)."""
        return span(day, self.arrive, self.leave, tz=tz)


Week = tuple[
    DayTimes | None,
    DayTimes | None,
    DayTimes | None,
    DayTimes | None,
    DayTimes | None,
    DayTimes | None,
    DayTimes | None,
]
"""Monday..Sunday; ``None`` for a day without care."""


def make_week(days: Mapping[int, tuple[dt.time, dt.time] | DayTimes]) -> Week:
    """A :data:`Week` from ``{weekday: (arrive, leave)}`` (0 = Monday); missing days have no care."""
    bad = sorted(d for d in days if d not in range(7))
    if bad:
        raise ScheduleError(f"weekdays are 0 (Monday) to 6 (Sunday), not {bad}")
    out: list[DayTimes | None] = []
    for weekday in range(7):
        times = days.get(weekday)
        if times is None or isinstance(times, DayTimes):
            out.append(times)
        else:
            try:
                out.append(DayTimes(*times))
            except ScheduleError as exc:
                raise ScheduleError(f"{WEEKDAY_NAMES[weekday]}: {exc}") from None
    return (out[0], out[1], out[2], out[3], out[4], out[5], out[6])


@dataclass(frozen=True, slots=True)
class Schedule:
    """A child's schema or fleroveckorsschema, in force from ``valid_from`` until replaced."""

    child_id: str
    valid_from: dt.date
    weeks: tuple[Week, ...]
    cycle_start: dt.date | None = None
    schedule_id: str | None = None
    _anchor: dt.date = field(init=False, repr=False, compare=False)
    _source: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.weeks:
            raise ScheduleError("a schedule needs at least one week")
        for number, week in enumerate(self.weeks, start=1):
            if len(week) != 7:
                raise ScheduleError(f"week {number} has {len(week)} days; a week has 7 (Monday–Sunday)")
            for weekday, times in enumerate(week):
                if times is not None and not isinstance(times, DayTimes):
                    raise ScheduleError(f"week {number}, {WEEKDAY_NAMES[weekday]}: expected DayTimes or None")
        object.__setattr__(self, "_anchor", monday_of(self.cycle_start or self.valid_from))
        object.__setattr__(self, "_source", f"schedule {self.valid_from.isoformat()}")

    @classmethod
    def weekly(
        cls,
        child_id: str,
        valid_from: dt.date,
        days: Mapping[int, tuple[dt.time, dt.time] | DayTimes],
        *,
        schedule_id: str | None = None,
    ) -> Schedule:
        """An ordinary one-week schema from ``{weekday: (arrive, leave)}`` (0 = Monday)."""
        return cls(child_id, valid_from, (make_week(days),), schedule_id=schedule_id)

    @property
    def cycle_weeks(self) -> int:
        """N, the number of weeks in the cycle (1 for an ordinary weekly schema)."""
        return len(self.weeks)

    @property
    def source(self) -> str:
        """How a plan names this schedule as the reason for its times."""
        return self._source

    def week_index(self, day: dt.date) -> int:
        """Which week of the cycle ``day`` falls in, 0-based; counts back too for days before the start."""
        return ((day - self._anchor).days // 7) % len(self.weeks)

    def times_on(self, day: dt.date) -> DayTimes | None:
        """The scheduled times on ``day`` by the cycle alone (not checking ``valid_from``)."""
        return self.weeks[self.week_index(day)][day.weekday()]


def schedule_on(schedules: Iterable[Schedule], day: dt.date) -> Schedule | None:
    """The schedule in force on ``day``: the latest ``valid_from`` on or before it.

    A linear scan, no sorting: one look-up per child per plan is cheapest this way.  Should two
    share a ``valid_from`` (which :func:`validate_schedule_set` forbids), the later one in
    ``schedules`` wins, so the caller's order (e.g. by creation) decides.
    """
    best: Schedule | None = None
    for schedule in schedules:
        if schedule.valid_from <= day and (best is None or schedule.valid_from >= best.valid_from):
            best = schedule
    return best


@dataclass(frozen=True, slots=True)
class ScheduleHistory:
    """One child's schedules sorted once by ``valid_from``, for many look-ups (reports, months)."""

    schedules: tuple[Schedule, ...]
    _starts: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)

    def __init__(self, schedules: Iterable[Schedule]) -> None:
        # sorted() is stable, so among equal valid_from the later input stays later and wins,
        # as in schedule_on.
        ordered = tuple(sorted(schedules, key=lambda s: s.valid_from))
        object.__setattr__(self, "schedules", ordered)
        object.__setattr__(self, "_starts", tuple(s.valid_from for s in ordered))

    def on(self, day: dt.date) -> Schedule | None:
        """The schedule in force on ``day``, by bisection."""
        i = bisect.bisect_right(self._starts, day)
        return self.schedules[i - 1] if i else None

    def times_on(self, day: dt.date) -> DayTimes | None:
        """The scheduled times on ``day``, or ``None`` (no schedule yet, or no care that day)."""
        schedule = self.on(day)
        return schedule.times_on(day) if schedule is not None else None


def validate_schedule_set(schedules: Iterable[Schedule]) -> None:
    """Raise :class:`ScheduleConflictError` if two schedules of one child share a ``valid_from``.

    Schedules of several children may be mixed; each child is checked on its own.  Because a
    schedule runs until the next one starts, a shared start date is the only way two can overlap.
    """
    seen: dict[tuple[str, dt.date], Schedule] = {}
    for schedule in schedules:
        key = (schedule.child_id, schedule.valid_from)
        if key in seen:
            raise ScheduleConflictError(
                f"child {schedule.child_id} already has a schedule valid from "
                f"{schedule.valid_from.isoformat()}; change that one or pick another start date"
            )
        seen[key] = schedule


def check_notice(valid_from: dt.date, today: dt.date, min_days_ahead: int) -> None:
    """Raise :class:`NoticeError` unless ``valid_from`` is at least ``min_days_ahead`` days after ``today``.

    ``min_days_ahead = 0`` allows a change from today; a municipality asking for two weeks'
    notice passes 14.
    """
    if min_days_ahead < 0:
        raise ValueError("min_days_ahead cannot be negative")
    earliest = today + dt.timedelta(days=min_days_ahead)
    if valid_from < earliest:
        raise NoticeError(
            f"a new schedule must start at least {min_days_ahead} days ahead: "
            f"the earliest start date is {earliest.isoformat()}, not {valid_from.isoformat()}"
        )
