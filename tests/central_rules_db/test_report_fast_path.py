"""The month report's per-day shortcut equals the presence engine on every kind of day.

:func:`central.reports.attended_on_day` answers the usual day (one check-in, then one check-out)
without building intervals; this property drives it and the engine with the same random days --
duplicates, a check-out before the check-in, repeats, same-instant pairs, open intervals,
unsynchronised clocks, DST days -- and demands the same hours and open count.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from central.reports import attended_on_day
from central.rules import PresenceEvent, presence_intervals
from central.rules.hours import attended_on
from central.rules.timeutil import STOCKHOLM, UTC, day_bounds, to_instant

CLOSING = dt.time(18)
DAYS = st.sampled_from([dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 9, 7)])


@st.composite
def days_events(draw: st.DrawFn) -> tuple[dt.date, list[tuple[dt.datetime, int, str, bool]]]:
    day = draw(DAYS)
    start, end = day_bounds(day)
    minutes = int((end - start).total_seconds() // 60) - 1
    size = draw(st.sampled_from([1, 2, 2, 2, 3, 4]))  # two events, the shortcut's case, most often
    ids = draw(st.lists(st.sampled_from("abcd"), min_size=size, max_size=size))
    events = []
    for eid in ids:
        at = start + dt.timedelta(minutes=draw(st.integers(0, minutes)))
        kind = draw(st.integers(0, 1))
        events.append((at, kind, eid, draw(st.booleans())))
    return day, events


@settings(max_examples=300, deadline=None)
@given(days_events())
def test_shortcut_equals_the_engine(case: tuple[dt.date, list[tuple[dt.datetime, int, str, bool]]]) -> None:
    day, events = case
    engine_events = [
        PresenceEvent(eid, "c1", "check_in" if kind == 0 else "check_out", at, synced)
        for at, kind, eid, synced in events
    ]
    want = attended_on(presence_intervals(engine_events, day), day, CLOSING, tz=STOCKHOLM)
    assert attended_on_day(events, "c1", day, to_instant(day, CLOSING)) == want


def test_the_ordinary_day_in_either_order() -> None:
    day = dt.date(2026, 3, 30)
    a = (dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC), 0, "in", True)
    b = (dt.datetime(2026, 3, 30, 14, 30, tzinfo=UTC), 1, "out", True)
    closing = to_instant(day, CLOSING)
    assert attended_on_day([a, b], "c1", day, closing) == (dt.timedelta(hours=8, minutes=30), 0)
    assert attended_on_day([b, a], "c1", day, closing) == (dt.timedelta(hours=8, minutes=30), 0)
    # check-out first in time, then a check-in: not the usual day -- nothing counted, one open
    early_out = (dt.datetime(2026, 3, 30, 5, 0, tzinfo=UTC), 1, "out", True)
    assert attended_on_day([a, early_out], "c1", day, closing) == (dt.timedelta(hours=10), 1)
