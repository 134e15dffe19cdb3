"""Hypothesis strategies and settings shared by the rules tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import settings
from hypothesis import strategies as st

from central.rules import Agreement, AgreementKind, Author, DayTimes, Leave, Period, Person, Schedule

FAST = settings(max_examples=60, deadline=None)

T = dt.time
ANNA = Author("g-anna", "Anna")

dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))
quarter_hours = st.integers(min_value=5 * 4, max_value=19 * 4).map(lambda q: T(q // 4, q % 4 * 15))


@st.composite
def day_times(draw: st.DrawFn) -> DayTimes:
    a = draw(st.integers(min_value=6 * 4, max_value=12 * 4))
    b = draw(st.integers(min_value=a + 1, max_value=18 * 4))
    return DayTimes(T(a // 4, a % 4 * 15), T(b // 4, b % 4 * 15))


weeks = st.tuples(*[st.one_of(st.none(), day_times()) for _ in range(7)])


@st.composite
def schedules(draw: st.DrawFn, child_id: str = "c1", max_weeks: int = 4) -> Schedule:
    n = draw(st.integers(min_value=1, max_value=max_weeks))
    return Schedule(
        child_id, draw(dates), tuple(draw(weeks) for _ in range(n)), schedule_id=draw(st.uuids()).hex
    )


@st.composite
def periods(draw: st.DrawFn, around: dt.date | None = None) -> Period:
    first = draw(dates) if around is None else around - dt.timedelta(days=draw(st.integers(0, 20)))
    last = first + dt.timedelta(days=draw(st.integers(0, 30)))
    if draw(st.booleans()):
        return Period(first, last, frozenset(draw(st.sets(st.integers(0, 6), min_size=1))))
    return Period(first, last)


@st.composite
def agreements(draw: st.DrawFn, child_id: str = "c1", around: dt.date | None = None) -> Agreement:
    kind = draw(st.sampled_from(list(AgreementKind)))
    person = (
        Person(draw(st.sampled_from(["Mormor Eva", "Bo", "Lisa"])), "granne")
        if kind is AgreementKind.PICKUP_BY
        else None
    )
    return Agreement(
        draw(st.uuids()).hex,
        child_id,
        kind,
        draw(periods(around)),
        ANNA,
        time=draw(quarter_hours),
        person=person,
        text="text",
    )


@st.composite
def leaves(draw: st.DrawFn, child_id: str = "c1", around: dt.date | None = None) -> Leave:
    return Leave(draw(st.uuids()).hex, child_id, draw(periods(around)))
