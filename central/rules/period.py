"""When an agreement (avtal) or a leave (ledighet) applies: one day, a range, or recurring weekdays.

A :class:`Period` is a closed range of local dates, optionally narrowed to some weekdays
(0 = Monday … 6 = Sunday, as ``date.weekday()``), e.g. "every Friday from 1 Sep to 20 Dec".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from central.rules.errors import PeriodError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Period:
    """Dates ``first``..``last`` inclusive; if ``weekdays`` is given, only those weekdays."""

    first: dt.date
    last: dt.date
    weekdays: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError(f"the period ends ({self.last}) before it starts ({self.first})")
        if self.weekdays is not None:
            if not self.weekdays:
                raise PeriodError("a recurring period needs at least one weekday")
            bad = sorted(d for d in self.weekdays if d not in range(7))
            if bad:
                raise PeriodError(f"weekdays are 0 (Monday) to 6 (Sunday), not {bad}")

    @classmethod
    def day(cls, day: dt.date) -> Period:
        """A single day."""
        return cls(day, day)

    @classmethod
    def days(cls, first: dt.date, last: dt.date) -> Period:
        """Every day from ``first`` to ``last`` inclusive."""
        return cls(first, last)

    @classmethod
    def recurring(cls, first: dt.date, last: dt.date, weekdays: Iterable[int]) -> Period:
        """The given weekdays (0 = Monday) from ``first`` to ``last`` inclusive."""
        return cls(first, last, frozenset(weekdays))

    def covers(self, day: dt.date) -> bool:
        """Whether the period applies on ``day``."""
        if not self.first <= day <= self.last:
            return False
        return self.weekdays is None or day.weekday() in self.weekdays
