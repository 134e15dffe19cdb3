"""Leave (ledighet): days a child is off, registered ahead by a guardian.

A leave covers one day, a range of days, or recurring weekdays within a range (see
:class:`~central.rules.period.Period`).  In a plan, leave wins over agreements and the schedule.
A reported absence (frånvaro: a sick child, where the unit has absence reporting on) plans
like a one-day leave -- not expected, not counted for meals -- but says what it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from central.rules.agreements import Author
from central.rules.period import Period


@dataclass(frozen=True, slots=True)
class Leave:
    """One ledighet for one child; ``text`` is an optional comment from the guardian."""

    leave_id: str
    child_id: str
    period: Period
    created_by: Author | None = None
    text: str | None = None
    absence: bool = False
    """A frånvaro reported at short notice rather than a ledighet registered ahead."""

    @property
    def source(self) -> str:
        """How a plan names this leave as the reason."""
        what = "absence reported" if self.absence else "leave"
        if self.created_by is None:
            return what
        return f"{what} by guardian {self.created_by.display_name}"

    def covers(self, day: dt.date) -> bool:
        """Whether the child is on leave on ``day``."""
        return self.period.covers(day)
