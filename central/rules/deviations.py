"""Deviations (avvikelser) staff need to see at a given moment, from plans and presence.

Kinds, each one row per child (clock-unsynced: one per event):

* ``not_arrived`` — expected (plan with an arrive time, not on leave), no presence, and ``now``
  is past arrive + ``arrive_grace`` (default 30 min);
* ``not_picked_up`` — still in, and ``now`` is past the planned leave + ``leave_grace`` (15 min);
* ``present_on_leave`` — checked in on a day the plan has leave (ledighet);
* ``present_without_schedule`` — checked in with no planned times (or no plan entry at all);
* ``not_checked_out`` — still in at or after closing time.  With ``auto_close=True`` the
  deviation says so (``auto_closed``) and :func:`~central.rules.intervals.auto_close` gives the
  flagged synthetic end; nothing is closed silently;
* ``check_out_without_check_in`` — a check-out the rules could not pair;
* ``clock_unsynced`` — an event recorded while the device clock was not synchronised.

Presence is the day's intervals from :func:`~central.rules.intervals.presence_intervals` (open
intervals still open); events are the same day's events (for the clock check).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from central.rules.intervals import Interval, PresenceEvent
from central.rules.plan import PlanEntry
from central.rules.timeutil import STOCKHOLM, UTC, to_instant


class DeviationKind(StrEnum):
    """What is off; the order here is the order staff see them in per child."""

    NOT_ARRIVED = "not_arrived"
    NOT_PICKED_UP = "not_picked_up"
    PRESENT_ON_LEAVE = "present_on_leave"
    PRESENT_WITHOUT_SCHEDULE = "present_without_schedule"
    NOT_CHECKED_OUT = "not_checked_out"
    CHECK_OUT_WITHOUT_CHECK_IN = "check_out_without_check_in"
    CLOCK_UNSYNCED = "clock_unsynced"


_KIND_ORDER = {kind: i for i, kind in enumerate(DeviationKind)}


@dataclass(frozen=True, slots=True)
class Deviation:
    """One thing staff should look at.

    ``expected`` is the planned wall time the deviation is measured against (arrive, leave or
    closing time); ``since`` the instant (UTC) it became a deviation or the event's instant;
    ``event_ids`` the events involved; ``auto_closed`` whether the open interval was closed
    automatically at closing time; ``detail`` an English sentence for logs.
    """

    kind: DeviationKind
    child_id: str
    detail: str
    expected: dt.time | None = None
    since: dt.datetime | None = None
    event_ids: tuple[str, ...] = ()
    auto_closed: bool = False


def _real(intervals: Sequence[Interval], now: dt.datetime) -> list[Interval]:
    """Intervals that are actual presence and began by ``now``."""
    return [iv for iv in intervals if not iv.is_anomaly and iv.start <= now]


def _child_deviations(
    child_id: str,
    entry: PlanEntry | None,
    day: dt.date,
    intervals: Sequence[Interval],
    events: Iterable[PresenceEvent],
    now: dt.datetime,
    closing_time: dt.time,
    arrive_grace: dt.timedelta,
    leave_grace: dt.timedelta,
    auto_close: bool,
    tz: dt.tzinfo,
) -> list[Deviation]:
    out: list[Deviation] = []
    present = _real(intervals, now)
    open_now = next((iv for iv in reversed(present) if iv.end is None), None)

    if entry is not None and entry.expected and not present and entry.arrive is not None:
        due = to_instant(day, entry.arrive, tz=tz) + arrive_grace
        if now >= due:
            out.append(
                Deviation(
                    DeviationKind.NOT_ARRIVED,
                    child_id,
                    f"expected at {entry.arrive:%H:%M}, not checked in",
                    expected=entry.arrive,
                    since=due,
                )
            )
    if open_now is not None and entry is not None and not entry.on_leave and entry.leave is not None:
        due = to_instant(day, entry.leave, end=True, tz=tz) + leave_grace
        if now >= due:
            out.append(
                Deviation(
                    DeviationKind.NOT_PICKED_UP,
                    child_id,
                    f"planned pickup {entry.leave:%H:%M}, still checked in",
                    expected=entry.leave,
                    since=due,
                    event_ids=open_now.event_ids,
                )
            )
    if present and entry is not None and entry.on_leave:
        out.append(
            Deviation(
                DeviationKind.PRESENT_ON_LEAVE,
                child_id,
                "checked in on a leave day",
                since=present[0].start,
                event_ids=present[0].event_ids,
            )
        )
    if present and (entry is None or (not entry.on_leave and entry.arrive is None and entry.leave is None)):
        out.append(
            Deviation(
                DeviationKind.PRESENT_WITHOUT_SCHEDULE,
                child_id,
                "checked in without a schedule for the day",
                since=present[0].start,
                event_ids=present[0].event_ids,
            )
        )
    closing = to_instant(day, closing_time, tz=tz)
    if open_now is not None and now >= closing:
        verb = "closed automatically" if auto_close else "still open"
        out.append(
            Deviation(
                DeviationKind.NOT_CHECKED_OUT,
                child_id,
                f"not checked out at closing time {closing_time:%H:%M}; {verb}",
                expected=closing_time,
                since=closing,
                event_ids=open_now.event_ids,
                auto_closed=auto_close,
            )
        )
    for iv in intervals:
        if iv.is_anomaly:
            out.append(
                Deviation(
                    DeviationKind.CHECK_OUT_WITHOUT_CHECK_IN,
                    child_id,
                    "checked out without being checked in",
                    since=iv.start,
                    event_ids=iv.event_ids,
                )
            )
    for event in events:
        if not event.clock_synced:
            out.append(
                Deviation(
                    DeviationKind.CLOCK_UNSYNCED,
                    child_id,
                    f"{event.type} recorded while the device clock was not synchronised",
                    since=event.occurred_at.astimezone(UTC),
                    event_ids=(event.event_id,),
                )
            )
    return out


def deviations(
    plan_entries: Iterable[PlanEntry],
    presence_by_child: Mapping[str, Sequence[Interval]],
    events_by_child: Mapping[str, Iterable[PresenceEvent]],
    now: dt.datetime,
    closing_time: dt.time,
    *,
    day: dt.date | None = None,
    arrive_grace: dt.timedelta = dt.timedelta(minutes=30),
    leave_grace: dt.timedelta = dt.timedelta(minutes=15),
    auto_close: bool = False,
    tz: dt.tzinfo = STOCKHOLM,
) -> list[Deviation]:
    """All deviations at ``now`` for one department's day, sorted by child, kind and time.

    ``day`` defaults to the plan entries' date (or ``now``'s local date if there are none).  A
    child with presence or events but no plan entry is still checked (present without schedule).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    entries = {entry.child_id: entry for entry in plan_entries}
    if day is None:
        day = next(iter(entries.values())).date if entries else now.astimezone(tz).date()
    child_ids = entries.keys() | presence_by_child.keys() | events_by_child.keys()
    found: list[Deviation] = []
    for child_id in child_ids:
        found.extend(
            _child_deviations(
                child_id,
                entries.get(child_id),
                day,
                presence_by_child.get(child_id, ()),
                events_by_child.get(child_id, ()),
                now,
                closing_time,
                arrive_grace,
                leave_grace,
                auto_close,
                tz,
            )
        )
    epoch = dt.datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda d: (d.child_id, _KIND_ORDER[d.kind], d.since or epoch, d.event_ids))
    return found
