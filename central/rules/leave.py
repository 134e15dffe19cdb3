"""Leave (ledighet): days a child is off, registered ahead by a guardian.

A leave covers one day, a range of days, or recurring weekdays within a range (see
:class:`~central.rules.period.Period`).  In a plan, leave wins over agreements and the schedule.
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

    @property
    def source(self) -> str:
        """How a plan names this leave as the reason."""
        if self.created_by is None:
            return "leave"
        return f"leave by guardian {self.created_by.display_name}"

    def covers(self, day: dt.date) -> bool:
        """Whether the child is on leave on ``day``."""
        return self.period.covers(day)
