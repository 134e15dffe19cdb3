"""Errors the rules engine raises: one tree under :class:`RuleError`.

Every error is also a :class:`ValueError`, so code that only knows "bad input" can catch
that, and the API can turn any :class:`RuleError` into a 4xx answer with its message, which
is written for the guardian or administrator who sent the data.
"""

from __future__ import annotations


class RuleError(ValueError):
    """Base class: the data given to the rules engine breaks a rule of the domain."""


class ScheduleError(RuleError):
    """A schedule (schema) is malformed, e.g. a leave time not after the arrive time."""


class ScheduleConflictError(ScheduleError):
    """Two schedules of one child take effect on the same date."""


class NoticeError(RuleError):
    """A change is made with less notice than the municipality requires."""


class PeriodError(RuleError):
    """A date period (one day, a range or recurring weekdays) is malformed."""


class AgreementError(RuleError):
    """An agreement (avtal) lacks what its kind needs, e.g. an early pickup without a time."""
