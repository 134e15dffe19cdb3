"""Reports: scheduled vs. attended hours, expected counts, CSV."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.rules import (
    DailyHoursRow,
    ExpectedCountRow,
    Leave,
    MonthlyHoursRow,
    Period,
    PresenceEvent,
    Schedule,
    daily_hours,
    daily_hours_for_month,
    expected_counts,
    monthly_hours,
    plan_for_child,
    plan_for_department,
    presence_intervals,
    sum_month,
    write_csv,
)
from central.rules.timeutil import STOCKHOLM

from .strategies import FAST, T, schedules

H = dt.timedelta(hours=1)
CLOSING = T(17, 30)
SPRING = dt.date(2026, 3, 29)  # Sunday
AUTUMN = dt.date(2026, 10, 25)  # Sunday


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, T(hour, minute), tzinfo=STOCKHOLM)


def test_dst_days_scheduled_and_attended_hours() -> None:
    sched = Schedule.weekly("c1", dt.date(2026, 1, 1), {6: (T(1), T(17))})
    for day, hours in ((SPRING, 15), (AUTUMN, 17)):
        plan = plan_for_child("c1", day, [sched], [], [])
        events = [
            PresenceEvent("a", "c1", "check_in", at(day, 1)),
            PresenceEvent("b", "c1", "check_out", at(day, 17)),
        ]
        row = daily_hours(plan, presence_intervals(events, day), CLOSING)
        assert row.scheduled == row.planned == row.attended == hours * H


def test_open_interval_counts_to_closing_and_is_flagged() -> None:
    day = dt.date(2026, 9, 7)
    plan = plan_for_child("c1", day, [], [], [])
    intervals = presence_intervals([PresenceEvent("a", "c1", "check_in", at(day, 8))], day)
    row = daily_hours(plan, intervals, CLOSING)
    assert row.attended == 9.5 * H and row.open_intervals == 1 and row.scheduled == dt.timedelta(0)


def test_leave_zeroes_planned_but_not_scheduled_hours() -> None:
    day = dt.date(2026, 9, 7)
    sched = Schedule.weekly("c1", dt.date(2026, 8, 1), {0: (T(8), T(16))})
    plan = plan_for_child("c1", day, [sched], [], [Leave("l", "c1", Period.day(day))])
    row = daily_hours(plan, [], CLOSING)
    assert (row.scheduled, row.planned, row.attended) == (8 * H, dt.timedelta(0), dt.timedelta(0))


def test_month_example() -> None:
    sched = Schedule.weekly("c1", dt.date(2026, 1, 1), {d: (T(8), T(16)) for d in range(5)})
    events = [
        PresenceEvent("a", "c1", "check_in", at(dt.date(2026, 9, 1), 8)),
        PresenceEvent("b", "c1", "check_out", at(dt.date(2026, 9, 1), 15)),
        PresenceEvent("c", "c1", "check_in", at(dt.date(2026, 10, 1), 8)),
    ]  # another month
    row = monthly_hours("c1", 2026, 9, [sched], [], [], events, CLOSING)
    assert row == MonthlyHoursRow("c1", 2026, 9, 22 * 8 * H, 22 * 8 * H, 7 * H, 0)


@FAST
@given(
    schedules(),
    st.integers(1, 12),
    st.lists(
        st.tuples(st.integers(1, 28), st.integers(6, 17), st.integers(0, 3), st.booleans()), max_size=10
    ),
)
def test_month_is_the_sum_of_its_days(
    sched: Schedule, month: int, visits: list[tuple[int, int, int, bool]]
) -> None:
    events = []
    for i, (d, hour, length, leaves) in enumerate(visits):
        day = dt.date(2026, month, d)
        events.append(PresenceEvent(f"in{i}", "c1", "check_in", at(day, hour)))
        if leaves:
            events.append(PresenceEvent(f"out{i}", "c1", "check_out", at(day, hour + length)))
    days = daily_hours_for_month("c1", 2026, month, [sched], [], [], events, CLOSING)
    month_row = monthly_hours("c1", 2026, month, [sched], [], [], events, CLOSING)
    assert month_row.scheduled == sum((r.scheduled for r in days), dt.timedelta(0))
    assert month_row.attended == sum((r.attended for r in days), dt.timedelta(0))
    assert month_row.open_intervals == sum(r.open_intervals for r in days)
    assert len(days) == {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}.get(month, 31)


def test_sum_month_refuses_foreign_rows() -> None:
    row = DailyHoursRow("c2", dt.date(2026, 9, 1), H, H, H, 0)
    with pytest.raises(ValueError, match="not in c1"):
        sum_month("c1", 2026, 9, [row])


def test_expected_counts_for_meals() -> None:
    day = dt.date(2026, 9, 7)
    sched = {c: [Schedule.weekly(c, dt.date(2026, 8, 1), {0: (T(8), T(16))})] for c in ("a", "b", "c")}
    leaves = {"b": [Leave("l", "b", Period.day(day))]}
    plans = {
        "dep1": plan_for_department(["a", "b", "c", "d"], day, sched, {}, leaves),
        "dep2": plan_for_department(["x"], day, {}, {}, {}),
    }
    assert expected_counts(plans) == [ExpectedCountRow("dep1", day, 2), ExpectedCountRow("dep2", day, 0)]


def test_csv_has_a_header_and_decimal_hours() -> None:
    out = io.StringIO(newline="")
    rows = [MonthlyHoursRow("c1", 2026, 9, 176 * H, 170 * H, dt.timedelta(hours=7, minutes=30), 1)]
    assert write_csv(out, MonthlyHoursRow, rows) == 1
    assert out.getvalue().splitlines() == [
        "child_id,year,month,scheduled,planned,attended,open_intervals",
        "c1,2026,9,176.00,170.00,7.50,1",
    ]
    with pytest.raises(TypeError):
        write_csv(io.StringIO(), DailyHoursRow, rows)
