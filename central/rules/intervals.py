"""Presence (närvaro) from check-in/check-out events: intervals per local day.

Events reach central late and out of order (a device's outbox drains after an outage), so
:func:`presence_intervals` sorts them itself and its result depends only on the *set* of
events, never on their arrival order:

* events are ordered by instant, then check-in before check-out at the same instant, then id;
  an event id seen twice counts once;
* a check-in while already in keeps the earliest start and flags ``repeated_check_in``;
* a check-out while not in is an anomaly, kept as a zero-length interval flagged
  ``check_out_without_check_in`` (it lasts nothing, so it never adds hours);
* an interval touched by an event from an unsynchronised device clock is flagged
  ``clock_unsynced``;
* an interval still open at the end of the events stays open (``end is None``);
  :func:`auto_close` closes it at closing time with a flagged synthetic end, never silently.

All instants in results are UTC (see :mod:`central.rules.timeutil` for why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from central.rules.timeutil import STOCKHOLM, UTC, local_date, to_instant

EventType = Literal["check_in", "check_out"]


class IntervalFlag(StrEnum):
    """Why an interval needs a second look."""

    REPEATED_CHECK_IN = "repeated_check_in"
    CHECK_OUT_WITHOUT_CHECK_IN = "check_out_without_check_in"
    CLOCK_UNSYNCED = "clock_unsynced"
    AUTO_CLOSED = "auto_closed"


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """A stored check-in or check-out, as the rules need it."""

    event_id: str
    child_id: str
    type: EventType
    occurred_at: dt.datetime
    clock_synced: bool = True

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError(f"event {self.event_id}: occurred_at must be timezone-aware")
        if self.type not in ("check_in", "check_out"):
            raise ValueError(f"event {self.event_id}: type must be check_in or check_out, not {self.type!r}")


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of presence from ``start`` to ``end`` (UTC); ``end is None`` while still in."""

    start: dt.datetime
    end: dt.datetime | None
    flags: frozenset[IntervalFlag] = frozenset()
    event_ids: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        """Whether the child has not been checked out (yet)."""
        return self.end is None

    @property
    def is_anomaly(self) -> bool:
        """Whether this is only the record of a check-out without a check-in."""
        return IntervalFlag.CHECK_OUT_WITHOUT_CHECK_IN in self.flags


def day_status(intervals: Sequence[Interval]) -> Literal["present", "absent", "gone"]:
    """A child's status from its day's intervals: here if the last real interval is open,
    gone if it closed, absent with none (a check-out without a check-in is no arrival).
    The one rule for the JSON API, the staff pages and the rosters' status column."""
    real = [iv for iv in intervals if not iv.is_anomaly]
    if not real:
        return "absent"
    return "present" if real[-1].end is None else "gone"


def _order(event: PresenceEvent) -> tuple[dt.datetime, int, str, bool]:
    return (
        event.occurred_at.astimezone(UTC),
        0 if event.type == "check_in" else 1,
        event.event_id,
        event.clock_synced,
    )


def presence_intervals(
    events: Iterable[PresenceEvent], day: dt.date, *, tz: dt.tzinfo = STOCKHOLM
) -> list[Interval]:
    """One child's presence intervals on local ``day`` from its events (any order, duplicates allowed).

    Events on other local days are ignored.  See the module docstring for the rules.
    """
    todays = sorted((e for e in events if local_date(e.occurred_at, tz=tz) == day), key=_order)
    intervals: list[Interval] = []
    start: dt.datetime | None = None
    flags: set[IntervalFlag] = set()
    ids: list[str] = []
    seen: set[str] = set()
    for event in todays:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        at = event.occurred_at.astimezone(UTC)
        unsynced = set() if event.clock_synced else {IntervalFlag.CLOCK_UNSYNCED}
        if event.type == "check_in":
            if start is None:
                start, flags, ids = at, unsynced, [event.event_id]
            else:
                flags |= unsynced | {IntervalFlag.REPEATED_CHECK_IN}
                ids.append(event.event_id)
        elif start is None:
            intervals.append(
                Interval(
                    at, at, frozenset(unsynced | {IntervalFlag.CHECK_OUT_WITHOUT_CHECK_IN}), (event.event_id,)
                )
            )
        else:
            intervals.append(Interval(start, at, frozenset(flags | unsynced), (*ids, event.event_id)))
            start = None
    if start is not None:
        intervals.append(Interval(start, None, frozenset(flags), tuple(ids)))
    return intervals


def auto_close(
    intervals: Iterable[Interval], day: dt.date, closing_time: dt.time, *, tz: dt.tzinfo = STOCKHOLM
) -> list[Interval]:
    """The intervals with any open one ended at ``closing_time`` on ``day`` and flagged ``auto_closed``.

    A check-in after closing time gets a zero-length synthetic interval at its own start.
    """
    closing = to_instant(day, closing_time, tz=tz)
    return [
        Interval(iv.start, max(iv.start, closing), iv.flags | {IntervalFlag.AUTO_CLOSED}, iv.event_ids)
        if iv.end is None
        else iv
        for iv in intervals
    ]
