"""Schedules (schema, fleroveckorsschema): validation, cycles, validity, notice."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.rules import (
    DayTimes,
    NoticeError,
    RuleError,
    Schedule,
    ScheduleConflictError,
    ScheduleError,
    ScheduleHistory,
    Week,
    check_notice,
    make_week,
    schedule_on,
    validate_schedule_set,
)

from .strategies import FAST, T, dates, schedules, weeks

WED = dt.date(2026, 8, 5)  # a Wednesday


def test_leave_must_be_after_arrive() -> None:
    with pytest.raises(ScheduleError, match=r"leave time 07:00 must be after the arrive time 08:00"):
        DayTimes(T(8), T(7))
    with pytest.raises(ScheduleError):
        DayTimes(T(8), T(8))


def test_week_errors_name_the_day() -> None:
    with pytest.raises(ScheduleError, match="Tuesday"):
        make_week({1: (T(9), T(8))})
    with pytest.raises(ScheduleError, match="not \\[7\\]"):
        make_week({7: (T(8), T(9))})


def test_schedule_needs_weeks_of_seven_days() -> None:
    with pytest.raises(ScheduleError, match="at least one week"):
        Schedule("c1", WED, ())
    with pytest.raises(ScheduleError, match="week 1 has 6 days"):
        Schedule("c1", WED, ((None,) * 6,))  # type: ignore[arg-type]


def test_errors_are_rule_errors_and_value_errors() -> None:
    with pytest.raises(RuleError):
        DayTimes(T(9), T(8))
    with pytest.raises(ValueError):
        DayTimes(T(9), T(8))


def test_two_week_cycle_is_anchored_on_the_monday_of_the_start_week() -> None:
    week_a = make_week({d: (T(7), T(16)) for d in range(5)})
    week_b = make_week({d: (T(9), T(14)) for d in range(5)})
    schedule = Schedule("c1", WED, (week_a, week_b))
    monday = dt.date(2026, 8, 3)
    assert schedule.week_index(monday) == 0  # the start week is week A, from its Monday
    assert schedule.times_on(WED) == DayTimes(T(7), T(16))
    assert schedule.times_on(dt.date(2026, 8, 9)) is None  # Sunday of week A
    assert schedule.times_on(dt.date(2026, 8, 10)) == DayTimes(T(9), T(14))  # Monday, week B
    assert schedule.times_on(dt.date(2026, 8, 17)) == DayTimes(T(7), T(16))  # week A again


def test_cycle_start_keeps_an_older_phase() -> None:
    week_a = make_week({0: (T(7), T(16))})
    week_b = make_week({0: (T(9), T(14))})
    later = Schedule("c1", dt.date(2026, 8, 10), (week_a, week_b), cycle_start=dt.date(2026, 8, 3))
    assert later.times_on(dt.date(2026, 8, 10)) == DayTimes(T(9), T(14))


@FAST
@given(schedules(), dates, st.integers(-20, 20))
def test_cycle_repeats_every_n_weeks(schedule: Schedule, day: dt.date, k: int) -> None:
    other = day + dt.timedelta(weeks=k * schedule.cycle_weeks)
    assert schedule.times_on(other) == schedule.times_on(day)


@FAST
@given(schedules(), st.integers(0, 400))
def test_cycle_index_counts_whole_weeks_from_the_start_monday(schedule: Schedule, offset: int) -> None:
    day = schedule.valid_from + dt.timedelta(days=offset)
    start_monday = schedule.valid_from - dt.timedelta(days=schedule.valid_from.weekday())
    expected = ((day - start_monday).days // 7) % schedule.cycle_weeks
    assert schedule.week_index(day) == expected
    assert schedule.times_on(day) == schedule.weeks[expected][day.weekday()]


@FAST
@given(weeks, weeks, dates, st.integers(1, 200))
def test_validity_boundary(old_week: Week, new_week: Week, start: dt.date, gap: int) -> None:
    old = Schedule("c1", start, (old_week,), schedule_id="old")
    new = Schedule("c1", start + dt.timedelta(days=gap), (new_week,), schedule_id="new")
    history = ScheduleHistory([new, old])
    for found in (schedule_on([new, old], new.valid_from), history.on(new.valid_from)):
        assert found is new
    day_before = new.valid_from - dt.timedelta(days=1)
    for found in (schedule_on([new, old], day_before), history.on(day_before)):
        assert found is old
    before_all = start - dt.timedelta(days=1)
    assert schedule_on([new, old], before_all) is None and history.on(before_all) is None


@FAST
@given(st.lists(schedules(max_weeks=2), max_size=6), dates)
def test_history_agrees_with_linear_scan(items: list[Schedule], day: dt.date) -> None:
    assert ScheduleHistory(items).on(day) == schedule_on(items, day)


def test_validate_schedule_set_refuses_a_shared_start_date() -> None:
    week = make_week({0: (T(8), T(16))})
    ok = [
        Schedule("c1", WED, (week,)),
        Schedule("c1", WED + dt.timedelta(days=7), (week,)),
        Schedule("c2", WED, (week,)),
    ]
    validate_schedule_set(ok)
    with pytest.raises(ScheduleConflictError, match="child c1 already has a schedule valid from 2026-08-05"):
        validate_schedule_set([*ok, Schedule("c1", WED, (week,))])


def test_check_notice() -> None:
    today = dt.date(2026, 8, 1)
    check_notice(dt.date(2026, 8, 15), today, 14)
    check_notice(today, today, 0)
    with pytest.raises(NoticeError, match="earliest start date is 2026-08-15, not 2026-08-14"):
        check_notice(dt.date(2026, 8, 14), today, 14)
    with pytest.raises(ValueError):
        check_notice(today, today, -1)
