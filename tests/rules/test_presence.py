"""Presence intervals from check-in/check-out events arriving late and out of order."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.rules import Interval, IntervalFlag, PresenceEvent, auto_close, day_status, presence_intervals
from central.rules.timeutil import STOCKHOLM, UTC

from .strategies import FAST, T

DAY = dt.date(2026, 9, 7)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, T(hour, minute), tzinfo=STOCKHOLM)


def ev(eid: str, kind: str, when: dt.datetime, synced: bool = True) -> PresenceEvent:
    return PresenceEvent(eid, "c1", kind, when, synced)  # type: ignore[arg-type]


def utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(UTC)


def test_ordinary_day_in_any_arrival_order() -> None:
    events = [ev("3", "check_in", at(13)), ev("2", "check_out", at(12)), ev("1", "check_in", at(8))]
    assert presence_intervals(events, DAY) == [
        Interval(utc(at(8)), utc(at(12)), frozenset(), ("1", "2")),
        Interval(utc(at(13)), None, frozenset(), ("3",)),
    ]


def test_repeated_check_in_keeps_the_earliest() -> None:
    events = [ev("b", "check_in", at(8, 10)), ev("a", "check_in", at(8)), ev("c", "check_out", at(15))]
    [interval] = presence_intervals(events, DAY)
    assert interval.start == utc(at(8)) and interval.end == utc(at(15))
    assert interval.flags == {IntervalFlag.REPEATED_CHECK_IN}


def test_check_out_without_check_in_is_a_zero_length_anomaly() -> None:
    events = [
        ev("x", "check_out", at(7)),
        ev("a", "check_in", at(8)),
        ev("b", "check_out", at(15)),
        ev("c", "check_out", at(16)),
    ]
    intervals = presence_intervals(events, DAY)
    anomalies = [iv for iv in intervals if iv.is_anomaly]
    assert [(iv.start, iv.end, iv.event_ids) for iv in anomalies] == [
        (utc(at(7)), utc(at(7)), ("x",)),
        (utc(at(16)), utc(at(16)), ("c",)),
    ]
    assert len(intervals) == 3


def test_duplicates_other_days_and_unsynced_clock() -> None:
    events = [
        ev("a", "check_in", at(8), synced=False),
        ev("a", "check_in", at(8), synced=False),
        ev("y", "check_in", at(8, day=DAY - dt.timedelta(days=1))),
        ev("b", "check_out", at(15)),
    ]
    [interval] = presence_intervals(events, DAY)
    assert interval.flags == {IntervalFlag.CLOCK_UNSYNCED} and interval.event_ids == ("a", "b")


def test_day_is_local_not_utc() -> None:
    late_evening = dt.datetime(2026, 9, 6, 22, 30, tzinfo=UTC)  # 00:30 on the 7th in Stockholm
    assert len(presence_intervals([ev("a", "check_in", late_evening)], DAY)) == 1


def test_auto_close_flags_a_synthetic_end() -> None:
    intervals = presence_intervals([ev("a", "check_in", at(8))], DAY)
    [closed] = auto_close(intervals, DAY, T(17, 30))
    assert closed.end == utc(at(17, 30)) and IntervalFlag.AUTO_CLOSED in closed.flags


def test_naive_event_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ev("a", "check_in", dt.datetime(2026, 9, 7, 8))


event_lists = st.lists(
    st.builds(
        ev,
        st.sampled_from("abcdefghij"),
        st.sampled_from(["check_in", "check_out"]),
        st.integers(6 * 4, 18 * 4).map(lambda q: at(q // 4, q % 4 * 15)),
        st.booleans(),
    ),
    max_size=12,
)


@FAST
@given(event_lists, st.randoms(use_true_random=False))
def test_result_is_the_same_for_any_arrival_order(events: list[PresenceEvent], rnd: random.Random) -> None:
    expected = presence_intervals(events, DAY)
    shuffled = events[:]
    rnd.shuffle(shuffled)
    assert presence_intervals(shuffled, DAY) == expected
    assert presence_intervals(shuffled + events[:3], DAY) == expected  # redelivery changes nothing


@FAST
@given(event_lists)
def test_intervals_are_ordered_and_disjoint(events: list[PresenceEvent]) -> None:
    intervals = presence_intervals(events, DAY)
    assert sum(iv.end is None for iv in intervals) <= 1
    for prev, cur in itertools.pairwise(intervals):
        assert prev.end is not None and prev.end <= cur.start
    assert all(iv.end is None or iv.start <= iv.end for iv in intervals)


@pytest.mark.parametrize(
    ("events", "status"),
    [
        ([], "absent"),
        ([ev("1", "check_in", at(8))], "present"),
        ([ev("1", "check_in", at(8)), ev("2", "check_out", at(15))], "gone"),
        ([ev("1", "check_out", at(15))], "absent"),  # a check-out alone is no arrival
        ([ev("1", "check_in", at(8)), ev("2", "check_out", at(12)), ev("3", "check_in", at(13))], "present"),
    ],
    ids=["no events", "in", "in and out", "out only", "back after lunch"],
)
def test_day_status_is_one_rule(events: list[PresenceEvent], status: str) -> None:
    """The API, the staff pages and the guardian's overview all read status through it."""
    assert day_status(presence_intervals(events, DAY)) == status
