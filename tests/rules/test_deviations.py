"""Deviations staff see at a given moment."""

from __future__ import annotations

import datetime as dt

from central.rules import (
    Deviation,
    DeviationKind,
    Interval,
    IntervalFlag,
    Leave,
    Period,
    PresenceEvent,
    Schedule,
    deviations,
    plan_for_department,
    presence_intervals,
)
from central.rules.timeutil import STOCKHOLM, UTC

from .strategies import T

DAY = dt.date(2026, 9, 7)  # a Monday
CLOSING = T(17, 30)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, T(hour, minute), tzinfo=STOCKHOLM)


def sched(child: str, arrive: dt.time, leave: dt.time) -> Schedule:
    return Schedule.weekly(child, dt.date(2026, 8, 1), {0: (arrive, leave)})


def run(
    events: list[PresenceEvent], now: dt.datetime, *, leave_for: str | None = None, auto_close: bool = False
) -> list[Deviation]:
    children = ["early", "late", "free", "holiday"]
    schedules = {
        "early": [sched("early", T(7), T(15))],
        "late": [sched("late", T(9), T(16))],
        "holiday": [sched("holiday", T(8), T(16))],
    }
    leaves = {"holiday": [Leave("l1", "holiday", Period.day(DAY))]}
    plans = plan_for_department(children, DAY, schedules, {}, leaves)
    by_child: dict[str, list[PresenceEvent]] = {}
    for e in events:
        by_child.setdefault(e.child_id, []).append(e)
    presence = {c: presence_intervals(evs, DAY) for c, evs in by_child.items()}
    return deviations(plans, presence, by_child, now, CLOSING, auto_close=auto_close)


def kinds(found: list[Deviation], child: str | None = None) -> list[tuple[str, DeviationKind]]:
    return [(d.child_id, d.kind) for d in found if child is None or d.child_id == child]


def test_not_arrived_only_after_the_grace() -> None:
    assert kinds(run([], at(7, 29))) == []
    assert kinds(run([], at(7, 30))) == [("early", DeviationKind.NOT_ARRIVED)]
    found = run([], at(9, 30))
    assert kinds(found) == [("early", DeviationKind.NOT_ARRIVED), ("late", DeviationKind.NOT_ARRIVED)]
    assert found[0].expected == T(7) and found[0].since == at(7, 30).astimezone(UTC)


def test_not_picked_up_after_planned_leave_plus_grace() -> None:
    events = [PresenceEvent("e1", "early", "check_in", at(7))]
    assert kinds(run(events, at(15, 14)), "early") == []
    found = [d for d in run(events, at(15, 15)) if d.child_id == "early"]
    assert kinds(found) == [("early", DeviationKind.NOT_PICKED_UP)]
    assert found[0].event_ids == ("e1",)
    checked_out = [*events, PresenceEvent("e2", "early", "check_out", at(15, 5))]
    assert kinds(run(checked_out, at(16)), "early") == []


def test_present_on_leave_and_without_schedule() -> None:
    events = [
        PresenceEvent("e1", "holiday", "check_in", at(8)),
        PresenceEvent("e2", "free", "check_in", at(8)),
        PresenceEvent("e3", "stranger", "check_in", at(8)),
        PresenceEvent("e4", "early", "check_in", at(7)),
    ]
    assert kinds(run(events, at(9))) == [
        ("free", DeviationKind.PRESENT_WITHOUT_SCHEDULE),
        ("holiday", DeviationKind.PRESENT_ON_LEAVE),
        ("stranger", DeviationKind.PRESENT_WITHOUT_SCHEDULE),
    ]


def test_still_checked_in_at_closing_is_listed_and_auto_close_is_flagged() -> None:
    events = [PresenceEvent("e1", "free", "check_in", at(8))]
    assert DeviationKind.NOT_CHECKED_OUT not in [d.kind for d in run(events, at(17, 29))]
    [closing] = [d for d in run(events, at(17, 30)) if d.kind is DeviationKind.NOT_CHECKED_OUT]
    assert not closing.auto_closed and closing.since == at(17, 30).astimezone(UTC)
    [closing] = [d for d in run(events, at(18), auto_close=True) if d.kind is DeviationKind.NOT_CHECKED_OUT]
    assert closing.auto_closed and "closed automatically" in closing.detail


def test_unsynced_clock_and_unpaired_check_out() -> None:
    events = [
        PresenceEvent("e1", "early", "check_in", at(7), clock_synced=False),
        PresenceEvent("e2", "early", "check_out", at(14)),
        PresenceEvent("e3", "early", "check_out", at(14, 30)),
    ]
    found = [d for d in run(events, at(15)) if d.child_id == "early"]
    assert kinds(found) == [
        ("early", DeviationKind.CHECK_OUT_WITHOUT_CHECK_IN),
        ("early", DeviationKind.CLOCK_UNSYNCED),
    ]
    assert found[0].event_ids == ("e3",) and found[1].event_ids == ("e1",)


def test_anomaly_alone_does_not_count_as_arrived() -> None:
    anomaly = Interval(
        at(7).astimezone(UTC),
        at(7).astimezone(UTC),
        frozenset({IntervalFlag.CHECK_OUT_WITHOUT_CHECK_IN}),
        ("x",),
    )
    plans = plan_for_department(["early"], DAY, {"early": [sched("early", T(7), T(15))]}, {}, {})
    found = deviations(plans, {"early": [anomaly]}, {}, at(8), CLOSING)
    assert kinds(found) == [
        ("early", DeviationKind.NOT_ARRIVED),
        ("early", DeviationKind.CHECK_OUT_WITHOUT_CHECK_IN),
    ]
