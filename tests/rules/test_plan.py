"""Today's plan: precedence leave > agreement > schedule, and the reasons it gives."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from central.rules import (
    Agreement,
    AgreementKind,
    DayTimes,
    Leave,
    Period,
    Person,
    PlanNote,
    Schedule,
    ScheduleHistory,
    plan_for_child,
    plan_for_department,
)

from .strategies import ANNA, FAST, T, agreements, leaves, schedules

DAY = dt.date(2026, 9, 7)  # a Monday
SCHED = Schedule.weekly("c1", dt.date(2026, 8, 1), {0: (T(7, 30), T(16))})


def agreement(
    kind: AgreementKind,
    time: dt.time | None = None,
    aid: str = "a1",
    person: Person | None = None,
    text: str | None = None,
) -> Agreement:
    return Agreement(aid, "c1", kind, Period.day(DAY), ANNA, time=time, person=person, text=text)


def test_schedule_alone() -> None:
    entry = plan_for_child("c1", DAY, [SCHED], [], [])
    assert (entry.arrive, entry.leave, entry.on_leave) == (T(7, 30), T(16), False)
    assert entry.notes == (PlanNote(kind="schedule", source="schedule 2026-08-01", text="07:30–16:00"),)
    assert entry.expected


def test_no_schedule_yet_and_day_without_care() -> None:
    assert plan_for_child("c1", dt.date(2026, 7, 27), [SCHED], [], []).arrive is None
    tuesday = plan_for_child("c1", DAY + dt.timedelta(days=1), [SCHED], [], [])
    assert (tuesday.arrive, tuesday.leave, tuesday.notes, tuesday.expected) == (None, None, (), False)


def test_agreements_override_schedule_and_say_who() -> None:
    eva = Person("Eva", "mormor", "070-123 45 67")
    entry = plan_for_child(
        "c1",
        DAY,
        [SCHED],
        [
            agreement(AgreementKind.EARLY_PICKUP, T(14), "a1"),
            agreement(AgreementKind.LATE_DROPOFF, T(9), "a2"),
            agreement(AgreementKind.PICKUP_BY, None, "a3", person=eva),
            agreement(AgreementKind.WALK_HOME_ALONE, T(15), "a4"),
            agreement(AgreementKind.NOTE, None, "a5", text="Har med sig cykel"),
        ],
        [],
    )
    assert (entry.arrive, entry.leave) == (T(9), T(14))
    assert entry.pickup_by == "Eva (mormor)"
    assert entry.walk_home_alone_from == T(15)
    assert entry.scheduled == DayTimes(T(7, 30), T(16))
    kinds = [n.kind for n in entry.notes]
    assert kinds == ["schedule", "early_pickup", "pickup_by", "walk_home_alone", "late_dropoff", "note"]
    pickup = entry.notes[2]
    assert pickup.person == eva and pickup.source == "agreement by guardian Anna" and pickup.author == ANNA


def test_person_display_does_not_repeat_the_relation() -> None:
    assert Person("Mormor Eva", "mormor").display == "Mormor Eva"
    assert Person("Bo").display == "Bo"


def test_cautious_agreement_wins_when_several_cover_the_day() -> None:
    entry = plan_for_child(
        "c1",
        DAY,
        [SCHED],
        [
            agreement(AgreementKind.EARLY_PICKUP, T(15), "a1"),
            agreement(AgreementKind.EARLY_PICKUP, T(13), "a2"),
            agreement(AgreementKind.PICKUP_BY, aid="a3", person=Person("Bo")),
            agreement(AgreementKind.PICKUP_BY, aid="a4", person=Person("Lisa")),
        ],
        [],
    )
    assert entry.leave == T(13)
    assert entry.pickup_by == "Bo / Lisa"
    assert sum(n.kind == "early_pickup" for n in entry.notes) == 2


def test_leave_wins_over_agreement_and_schedule() -> None:
    holiday = Leave("l1", "c1", Period.days(DAY, DAY + dt.timedelta(days=4)), text="Fjällen")
    entry = plan_for_child("c1", DAY, [SCHED], [agreement(AgreementKind.EARLY_PICKUP, T(14))], [holiday])
    assert entry.on_leave and not entry.expected
    assert (entry.arrive, entry.leave, entry.pickup_by, entry.walk_home_alone_from) == (None,) * 4
    assert [n.kind for n in entry.notes] == ["leave"] and entry.notes[0].text == "Fjällen"
    assert entry.scheduled == DayTimes(T(7, 30), T(16))  # kept for the report of booked hours


def test_recurring_leave_only_on_its_weekdays() -> None:
    fridays = Leave("l1", "c1", Period.recurring(dt.date(2026, 9, 1), dt.date(2026, 12, 20), [4]))
    assert plan_for_child("c1", dt.date(2026, 9, 11), [], [], [fridays]).on_leave
    assert not plan_for_child("c1", dt.date(2026, 9, 10), [], [], [fridays]).on_leave
    assert not plan_for_child("c1", dt.date(2026, 12, 25), [], [], [fridays]).on_leave


@FAST
@given(schedules(), st.lists(agreements(around=DAY), max_size=4), st.lists(leaves(around=DAY), max_size=3))
def test_precedence_property(schedule: Schedule, ags: list[Agreement], lvs: list[Leave]) -> None:
    entry = plan_for_child("c1", DAY, [schedule], ags, lvs)
    times = schedule.times_on(DAY) if schedule.valid_from <= DAY else None
    covering = [a for a in ags if a.covers(DAY)]
    if any(lv.covers(DAY) for lv in lvs):
        assert entry.on_leave and entry.arrive is None and entry.leave is None and entry.pickup_by is None
        assert {n.kind for n in entry.notes} == {"leave"}
        return
    assert not entry.on_leave
    early = [a.time for a in covering if a.kind is AgreementKind.EARLY_PICKUP]
    late = [a.time for a in covering if a.kind is AgreementKind.LATE_DROPOFF]
    assert entry.leave == (min(early) if early else times.leave if times else None)  # type: ignore[type-var]
    assert entry.arrive == (max(late) if late else times.arrive if times else None)  # type: ignore[type-var]
    assert len(entry.notes) == len(covering) + (times is not None)


@FAST
@given(
    st.lists(schedules(), max_size=3, unique_by=lambda s: s.valid_from),
    st.lists(agreements(around=DAY), max_size=5),
    st.lists(leaves(around=DAY), max_size=3),
    st.randoms(use_true_random=False),
)
def test_plan_does_not_depend_on_input_order(
    scheds: list[Schedule], ags: list[Agreement], lvs: list[Leave], rnd: random.Random
) -> None:
    expected = plan_for_child("c1", DAY, scheds, ags, lvs)
    for items in (scheds, ags, lvs):
        rnd.shuffle(items)
    assert plan_for_child("c1", DAY, scheds, ags, lvs) == expected
    assert plan_for_child("c1", DAY, ScheduleHistory(scheds), ags, lvs) == expected


def test_department_plan_keeps_order_and_handles_missing_rows() -> None:
    entries = plan_for_department(["c2", "c1"], DAY, {"c1": [SCHED]}, {}, {"c2": []})
    assert [e.child_id for e in entries] == ["c2", "c1"]
    assert entries[0].arrive is None and entries[1].arrive == T(7, 30)


def test_plan_times_are_wall_times_on_dst_days() -> None:
    spring = dt.date(2026, 3, 29)  # a Sunday
    sched = Schedule.weekly("c1", dt.date(2026, 1, 1), {6: (T(6), T(17))})
    entry = plan_for_child("c1", spring, [sched], [], [])
    assert (entry.arrive, entry.leave) == (T(6), T(17))
