"""Reports: scheduled vs. attended hours per child (fees depend on hours) and expected counts.

Hours per child per day, as three figures (all ``timedelta``, exact, DST-aware):

* ``scheduled`` — by the schedule (schema) alone, before agreements and leave: what was booked;
* ``planned`` — by the day's plan: after agreements, zero on leave;
* ``attended`` — the day's presence intervals clipped to the local day; an interval still open
  is counted to closing time and counted in ``open_intervals`` so the figure is never silently
  made up.

A month's row is the sum of its day rows (:func:`sum_month`), so the two always agree.  The
expected count per department and day (children expected to come: not on leave, with an
arrive time) is for the kitchen.  Rows are plain dataclasses; :func:`write_csv` writes any of
them with a header, hours as decimal hours with two decimals.
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from central.rules.agreements import Agreement
from central.rules.intervals import Interval, PresenceEvent, auto_close, presence_intervals
from central.rules.leave import Leave
from central.rules.plan import PlanEntry, plan_for_child
from central.rules.schedule import Schedule, ScheduleHistory
from central.rules.timeutil import STOCKHOLM, day_bounds, local_date, span

_ZERO = dt.timedelta(0)


@dataclass(frozen=True, slots=True)
class DailyHoursRow:
    """One child's hours on one local date."""

    child_id: str
    date: dt.date
    scheduled: dt.timedelta
    planned: dt.timedelta
    attended: dt.timedelta
    open_intervals: int


@dataclass(frozen=True, slots=True)
class MonthlyHoursRow:
    """One child's hours in one month (the sum of its days)."""

    child_id: str
    year: int
    month: int
    scheduled: dt.timedelta
    planned: dt.timedelta
    attended: dt.timedelta
    open_intervals: int


@dataclass(frozen=True, slots=True)
class ExpectedCountRow:
    """How many children a department expects on a date (for meals)."""

    department_id: str
    date: dt.date
    expected: int


def attended_on(
    intervals: Iterable[Interval], day: dt.date, closing_time: dt.time, *, tz: dt.tzinfo = STOCKHOLM
) -> tuple[dt.timedelta, int]:
    """Time present on ``day`` (intervals clipped to the day) and how many were open (counted to closing)."""
    intervals = list(intervals)
    open_count = sum(1 for iv in intervals if iv.end is None)
    day_start, day_end = day_bounds(day, tz=tz)
    total = _ZERO
    for iv in auto_close(intervals, day, closing_time, tz=tz):
        end = iv.end if iv.end is not None else iv.start  # auto_close ended every open one
        total += max(_ZERO, min(end, day_end) - max(iv.start, day_start))
    return total, open_count


def daily_hours(
    plan: PlanEntry, intervals: Iterable[Interval], closing_time: dt.time, *, tz: dt.tzinfo = STOCKHOLM
) -> DailyHoursRow:
    """A child's hours on the plan's date, from its plan entry and that day's intervals."""
    day = plan.date
    scheduled = plan.scheduled.hours_on(day, tz=tz) if plan.scheduled is not None else _ZERO
    planned = _ZERO
    if not plan.on_leave and plan.arrive is not None and plan.leave is not None:
        planned = span(day, plan.arrive, plan.leave, tz=tz)
    attended, open_count = attended_on(intervals, day, closing_time, tz=tz)
    return DailyHoursRow(plan.child_id, day, scheduled, planned, attended, open_count)


def month_days(year: int, month: int) -> list[dt.date]:
    """Every date of a month."""
    return [dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def daily_hours_for_month(
    child_id: str,
    year: int,
    month: int,
    schedules: Iterable[Schedule] | ScheduleHistory,
    agreements: Sequence[Agreement],
    leaves: Sequence[Leave],
    events: Iterable[PresenceEvent],
    closing_time: dt.time,
    *,
    tz: dt.tzinfo = STOCKHOLM,
) -> list[DailyHoursRow]:
    """One row per date of the month for one child; events outside the month are ignored."""
    history = schedules if isinstance(schedules, ScheduleHistory) else ScheduleHistory(schedules)
    by_day: dict[dt.date, list[PresenceEvent]] = defaultdict(list)
    for event in events:
        by_day[local_date(event.occurred_at, tz=tz)].append(event)
    rows = []
    for day in month_days(year, month):
        plan = plan_for_child(child_id, day, history, agreements, leaves)
        intervals = presence_intervals(by_day.get(day, ()), day, tz=tz)
        rows.append(daily_hours(plan, intervals, closing_time, tz=tz))
    return rows


def sum_month(child_id: str, year: int, month: int, rows: Iterable[DailyHoursRow]) -> MonthlyHoursRow:
    """The month's row: the sum of the given day rows of that child in that month."""
    scheduled = planned = attended = _ZERO
    open_count = 0
    for row in rows:
        if row.child_id != child_id or (row.date.year, row.date.month) != (year, month):
            raise ValueError(f"row for {row.child_id} on {row.date} is not in {child_id} {year}-{month:02}")
        scheduled += row.scheduled
        planned += row.planned
        attended += row.attended
        open_count += row.open_intervals
    return MonthlyHoursRow(child_id, year, month, scheduled, planned, attended, open_count)


def monthly_hours(
    child_id: str,
    year: int,
    month: int,
    schedules: Iterable[Schedule] | ScheduleHistory,
    agreements: Sequence[Agreement],
    leaves: Sequence[Leave],
    events: Iterable[PresenceEvent],
    closing_time: dt.time,
    *,
    tz: dt.tzinfo = STOCKHOLM,
) -> MonthlyHoursRow:
    """Scheduled, planned and attended hours of one child in one month."""
    rows = daily_hours_for_month(
        child_id, year, month, schedules, agreements, leaves, events, closing_time, tz=tz
    )
    return sum_month(child_id, year, month, rows)


def expected_counts(plans_by_department: Mapping[str, Iterable[PlanEntry]]) -> list[ExpectedCountRow]:
    """Per department and date, the number of children expected (not on leave, with an arrive time)."""
    counts: dict[tuple[str, dt.date], int] = {}
    for department_id, entries in plans_by_department.items():
        for entry in entries:
            key = (department_id, entry.date)
            counts[key] = counts.get(key, 0) + (1 if entry.expected else 0)
    return [ExpectedCountRow(dep, day, n) for (dep, day), n in sorted(counts.items())]


def _cell(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds() / 3600:.2f}"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


ReportRow = DailyHoursRow | MonthlyHoursRow | ExpectedCountRow


def write_csv(stream: TextIO, row_type: type[ReportRow], rows: Iterable[ReportRow]) -> int:
    """Write ``rows`` of ``row_type`` as CSV with a header row; durations in hours (``7.50``).

    Returns the number of data rows written.  ``stream`` should be opened with ``newline=""``.
    """
    names = [f.name for f in dataclasses.fields(row_type)]
    writer = csv.writer(stream)
    writer.writerow(names)
    count = 0
    for row in rows:
        if not isinstance(row, row_type):
            raise TypeError(f"expected {row_type.__name__} rows, got {type(row).__name__}")
        writer.writerow([_cell(getattr(row, name)) for name in names])
        count += 1
    return count
