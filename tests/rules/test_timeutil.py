"""Wall time ↔ instant in Europe/Stockholm, especially on the two DST days."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from central.rules.timeutil import UTC, day_bounds, local_date, monday_of, span, to_instant

from .strategies import FAST, T, dates

SPRING = dt.date(2026, 3, 29)  # last Sunday of March: 02:00 → 03:00
AUTUMN = dt.date(2026, 10, 25)  # last Sunday of October: 03:00 → 02:00
ORDINARY = dt.date(2026, 3, 30)


def test_day_lengths_on_transition_days() -> None:
    for day, hours in ((SPRING, 23), (AUTUMN, 25), (ORDINARY, 24)):
        start, end = day_bounds(day)
        assert end - start == dt.timedelta(hours=hours)


def test_span_that_crosses_the_change() -> None:
    assert span(SPRING, T(1), T(4)) == dt.timedelta(hours=2)
    assert span(AUTUMN, T(1), T(4)) == dt.timedelta(hours=4)
    assert span(ORDINARY, T(1), T(4)) == dt.timedelta(hours=3)


def test_daytime_span_is_unaffected_because_the_change_is_at_night() -> None:
    for day in (SPRING, AUTUMN, ORDINARY):
        assert span(day, T(6), T(17)) == dt.timedelta(hours=11)


def test_instants_are_utc_and_use_the_right_offset() -> None:
    assert to_instant(SPRING, T(1, 30)) == dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # CET
    assert to_instant(SPRING, T(6)) == dt.datetime(2026, 3, 29, 4, 0, tzinfo=UTC)  # CEST
    assert to_instant(AUTUMN, T(6)) == dt.datetime(2026, 10, 25, 5, 0, tzinfo=UTC)  # CET


def test_gap_time_is_the_first_instant_after_the_gap() -> None:
    three = dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert to_instant(SPRING, T(2, 30)) == three
    assert to_instant(SPRING, T(2, 30), end=True) == three
    assert span(SPRING, T(2, 15), T(2, 45)) == dt.timedelta(0)


def test_repeated_hour_start_takes_first_and_end_second_occurrence() -> None:
    assert to_instant(AUTUMN, T(2, 30)) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert to_instant(AUTUMN, T(2, 30), end=True) == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert span(AUTUMN, T(2, 15), T(2, 45)) == dt.timedelta(hours=1, minutes=30)


@FAST
@given(st.sampled_from([SPRING, AUTUMN]) | dates, st.integers(0, 24 * 60 - 1), st.integers(0, 24 * 60 - 1))
def test_to_instant_is_monotonic_in_wall_time(day: dt.date, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    t_lo, t_hi = T(lo // 60, lo % 60), T(hi // 60, hi % 60)
    assert to_instant(day, t_lo) <= to_instant(day, t_hi)
    assert span(day, t_lo, t_hi) >= dt.timedelta(0)


@FAST
@given(st.sampled_from([SPRING, AUTUMN]) | dates, st.integers(0, 24 * 60 - 1))
def test_instant_falls_on_its_local_date(day: dt.date, minute: int) -> None:
    assert local_date(to_instant(day, T(minute // 60, minute % 60))) == day


@FAST
@given(dates)
def test_monday_of(day: dt.date) -> None:
    monday = monday_of(day)
    assert monday.weekday() == 0 and 0 <= (day - monday).days < 7
