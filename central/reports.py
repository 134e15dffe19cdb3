"""Reports from the database: hours per child per month (fees) and expected counts (meals).

Same figures as :mod:`central.rules.hours` (the tests compare the two), computed for many
children at once: four bulk queries for the plan inputs and one for the month's events, then,
per child and day, only the work that day needs — the full plan only for children with an
agreement or leave that month, presence only on days with events, and each wall-time span
computed once per date and pair of times (they repeat across thousands of children).
"""

from __future__ import annotations

import datetime as dt
import io
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Select, String, select, type_coerce
from sqlalchemy.orm import Session

from central.db.schema import Child, EventRow
from central.planning import loader, units
from central.rules import (
    ExpectedCountRow,
    Interval,
    MonthlyHoursRow,
    PresenceEvent,
    day_bounds,
    expected_counts,
    plan_for_child,
    plan_for_department,
    presence_intervals,
    to_instant,
    wall_span,
    write_csv,
)
from central.rules.hours import ReportRow, month_days

_ZERO = dt.timedelta(0)


def events_query(first: dt.date, last: dt.date, department_ids: Collection[str] | None) -> Select:
    """The SELECT behind :func:`month_events` (also timed on its own by bench/report.py)."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    # occurred_at read raw: SQLite gives its stored UTC text, parsed here by the C parser (the
    # column type's own regex parse dominated a month's read); PostgreSQL gives aware datetimes.
    raw_at = type_coerce(EventRow.occurred_at, String)
    q = select(EventRow.event_id, EventRow.child_id, EventRow.type, raw_at, EventRow.clock_synced)
    q = q.where(EventRow.occurred_at >= start, EventRow.occurred_at < end)
    if department_ids is not None:
        q = q.join(Child, Child.id == EventRow.child_id).where(Child.department_id.in_(list(department_ids)))
    return q


# One stored event as the report reads it: (UTC instant, 0 for check-in / 1 for check-out,
# event id, clock synced) -- the same sort key as central.rules.intervals orders events by.
_RawEvent = tuple[dt.datetime, int, str, bool]


def month_events(
    session: Session, first: dt.date, last: dt.date, department_ids: Collection[str] | None
) -> dict[str, dict[dt.date, list[_RawEvent]]]:
    """Events on local dates ``first``..``last`` per child and local date (one query).

    The local date comes from the days' UTC bounds by bisection rather than a time-zone
    conversion per event: both give the same date (``day_bounds`` defines the local day)."""
    q = events_query(first, last, department_ids)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    starts = [day_bounds(day)[0] for day in days]
    out: dict[str, dict[dt.date, list[_RawEvent]]] = defaultdict(lambda: defaultdict(list))
    utc = dt.UTC
    fromiso = dt.datetime.fromisoformat
    for event_id, child_id, type_, raw, synced in session.execute(q):
        at = raw.astimezone(utc) if isinstance(raw, dt.datetime) else fromiso(raw).replace(tzinfo=utc)
        day = days[bisect_right(starts, at) - 1]
        out[child_id][day].append((at, 0 if type_ == "check_in" else 1, event_id, bool(synced)))
    return out


def _attended(
    intervals: list[Interval], day_start: dt.datetime, day_end: dt.datetime, closing: dt.datetime
) -> tuple[dt.timedelta, int]:
    """:func:`central.rules.hours.attended_on` with the day's instants given by the caller."""
    total, open_count = _ZERO, 0
    for iv in intervals:
        end = iv.end
        if end is None:  # counted to closing time, as auto_close would end it
            open_count += 1
            end = max(iv.start, closing)
        total += max(_ZERO, min(end, day_end) - max(iv.start, day_start))
    return total, open_count


def attended_on_day(
    events: list[_RawEvent], child_id: str, day: dt.date, closing: dt.datetime
) -> tuple[dt.timedelta, int]:
    """Hours present and intervals left open on ``day`` from one child's events of that day.

    The usual day -- one check-in, then one check-out -- is one interval from the first to the
    second, which is what :func:`central.rules.intervals_intervals` makes of it; any other day
    goes through the engine itself (a property test holds the two equal)."""
    if len(events) == 2:
        a, b = events
        if b < a:
            a, b = b, a
        if a[1] == 0 and b[1] == 1 and a[2] != b[2]:
            return b[0] - a[0], 0
    todays = [
        PresenceEvent(eid, child_id, "check_in" if kind == 0 else "check_out", at, synced)
        for at, kind, eid, synced in events
    ]
    return _attended(presence_intervals(todays, day), *day_bounds(day), closing)


def monthly_hours(
    session: Session, year: int, month: int, department_ids: Collection[str] | None = None
) -> list[MonthlyHoursRow]:
    """Scheduled, planned and attended hours of every child of the departments (all if ``None``)."""
    days = month_days(year, month)
    inputs = loader.load(session, days[0], days[-1], department_ids=department_ids)
    closing = units.for_departments(session, inputs.children_by_department)
    events = month_events(session, days[0], days[-1], department_ids)
    spans: dict[tuple[dt.date, dt.time, dt.time], dt.timedelta] = {}
    closings: dict[tuple[dt.date, dt.time], dt.datetime] = {}

    def span(day: dt.date, start: dt.time, end: dt.time) -> dt.timedelta:
        key = (day, start, end)
        value = spans.get(key)
        if value is None:
            value = spans[key] = wall_span(day, start, end)
        return value

    rows: list[MonthlyHoursRow] = []
    for dept, children in inputs.children_by_department.items():
        closing_time = closing.get(dept, units.DEFAULTS).closing_time
        for cid in children:
            history = inputs.schedules.get(cid)
            agreements = inputs.agreements.get(cid, [])
            leaves = inputs.leaves.get(cid, [])
            by_day = events.get(cid, {})
            scheduled = planned = attended = _ZERO
            open_count = 0
            for day in days:
                times = history.times_on(day) if history is not None else None
                booked = span(day, times.arrive, times.leave) if times is not None else _ZERO
                scheduled += booked
                if agreements or leaves:
                    plan = plan_for_child(cid, day, history or (), agreements, leaves)
                    if not plan.on_leave and plan.arrive is not None and plan.leave is not None:
                        planned += span(day, plan.arrive, plan.leave)
                else:
                    planned += booked
                todays = by_day.get(day)
                if todays:
                    closing_at = closings.get((day, closing_time))
                    if closing_at is None:
                        closing_at = closings[(day, closing_time)] = to_instant(day, closing_time)
                    hours, n_open = attended_on_day(todays, cid, day, closing_at)
                    attended += hours
                    open_count += n_open
            rows.append(MonthlyHoursRow(cid, year, month, scheduled, planned, attended, open_count))
    return rows


#: The expected-children report covers at most this many days, from the CLI and the API alike
#: (issue 10): it plans every child for every day, and it is for the kitchen's next weeks.
EXPECTED_MAX_DAYS = 62


def check_expected_range(first: dt.date, last: dt.date) -> None:
    """ValueError with the rule in a sentence unless ``first..last`` is 1 to 62 days."""
    if last < first:
        raise ValueError(f"the last date {last} is before the first {first}")
    days = (last - first).days + 1
    if days > EXPECTED_MAX_DAYS:
        raise ValueError(
            f"{first} to {last} is {days} days; the expected-children report covers at most "
            f"{EXPECTED_MAX_DAYS} days: ask for it in parts"
        )


def expected(
    session: Session, first: dt.date, last: dt.date, department_ids: Collection[str] | None = None
) -> list[ExpectedCountRow]:
    """Children expected per department per date (not on leave, with an arrive time): for meals.
    At most EXPECTED_MAX_DAYS days (:func:`check_expected_range`)."""
    check_expected_range(first, last)
    inputs = loader.load(session, first, last, department_ids=department_ids)
    plans: dict[str, list[Any]] = defaultdict(list)
    day = first
    while day <= last:
        for dept, children in inputs.children_by_department.items():
            plans[dept].extend(
                plan_for_department(children, day, inputs.schedules, inputs.agreements, inputs.leaves)
            )
        day += dt.timedelta(days=1)
    return expected_counts(plans)


def to_csv(row_type: type[ReportRow], rows: Iterable[ReportRow]) -> str:
    """CSV text with a header; hours as decimal hours (``7.50``)."""
    buf = io.StringIO(newline="")
    write_csv(buf, row_type, rows)
    return buf.getvalue()
