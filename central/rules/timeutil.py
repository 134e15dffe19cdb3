"""Local wall time in Europe/Stockholm and the instants it stands for, daylight saving included.

Schedules, agreements and plans speak in wall times (``datetime.time``) on local dates; events
and durations need instants.  :func:`to_instant` is the one place a wall time becomes an instant.
It returns **UTC** datetimes on purpose: Python compares and subtracts two aware datetimes that
share a tzinfo by their wall times, ignoring the offset, which is wrong across a DST change.

How the two transition days are read (documented choice):

* **Spring forward** (last Sunday of March, 02:00 → 03:00): a wall time in the gap never
  happened; it is read as the first instant that did, 03:00 CEST.  This keeps the mapping
  monotonic (02:59 is never after 03:00), so a span inside the gap lasts zero minutes.
* **Fall back** (last Sunday of October, 03:00 → 02:00): a wall time in the repeated hour
  happened twice.  A *start* (``end=False``) takes the first occurrence (``fold=0``), an *end*
  (``end=True``) the second (``fold=1``), so a span of wall time covers everything it could
  mean; 01:00–04:00 on that day lasts four hours.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
"""The zone every local date and wall time in the rules is read in."""

UTC = dt.UTC

_ZERO = dt.timedelta(0)


def _is_real(wall: dt.datetime, tz: dt.tzinfo) -> bool:
    """Whether the aware wall time survives a round trip through UTC (it is not in a gap)."""
    return wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None)


def _first_instant_after_gap(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The transition instant that ends the gap ``naive`` lies in (binary search, to the second)."""
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)  # read with the later offset
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)  # read with the earlier offset
    lo, hi = min(before, after), max(before, after)
    later_offset = after.astimezone(tz).utcoffset()
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) // 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).utcoffset() == later_offset:
            hi = mid
        else:
            lo = mid
    return hi


def to_instant(day: dt.date, wall: dt.time, *, end: bool = False, tz: dt.tzinfo = STOCKHOLM) -> dt.datetime:
    """The UTC instant at which local ``day`` showed ``wall``; see the module docstring for DST.

    ``end=True`` picks the second occurrence of a repeated wall time (fall back), for the end of
    a span; the default picks the first.  A wall time in the spring-forward gap becomes the
    first instant after the gap either way.
    """
    naive = dt.datetime.combine(day, wall.replace(tzinfo=None))
    candidate = naive.replace(tzinfo=tz, fold=1 if end else 0)
    if not _is_real(candidate, tz):
        return _first_instant_after_gap(naive, tz)
    return candidate.astimezone(UTC)


def span(day: dt.date, start: dt.time, end: dt.time, *, tz: dt.tzinfo = STOCKHOLM) -> dt.timedelta:
    """Real time elapsed from wall time ``start`` to wall time ``end`` on local ``day`` (≥ 0).

    Only a span that crosses the change at 02:00–03:00 is affected: 01:00–04:00 lasts 2 h on
    the spring-forward day and 4 h on the fall-back day, while 06:00–17:00 lasts 11 h on both
    (the clocks changed before 06:00, so eleven real hours pass between those wall times).
    """
    length = to_instant(day, end, end=True, tz=tz) - to_instant(day, start, tz=tz)
    return max(length, _ZERO)


def day_bounds(day: dt.date, *, tz: dt.tzinfo = STOCKHOLM) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which local ``day`` starts and the next day starts (23, 24 or 25 h apart)."""
    return to_instant(day, dt.time(0), tz=tz), to_instant(day + dt.timedelta(days=1), dt.time(0), tz=tz)


def local_date(instant: dt.datetime, *, tz: dt.tzinfo = STOCKHOLM) -> dt.date:
    """The local date on which an aware ``instant`` happened."""
    if instant.tzinfo is None:
        raise ValueError("an instant must be timezone-aware")
    return instant.astimezone(tz).date()


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the ISO week ``day`` lies in."""
    return day - dt.timedelta(days=day.weekday())
