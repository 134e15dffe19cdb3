"""The rules engine of central: schedules, agreements and leave → plans, deviations, reports.

Pure functions on frozen dataclasses: no database, no I/O, no web.  The database layer turns
rows into these dataclasses; the API and the roster builder turn the results into messages.
All local dates and wall times are Europe/Stockholm; all instants in results are UTC.
"""

from central.rules.agreements import Agreement, AgreementKind, Author, Person
from central.rules.deviations import Deviation, DeviationKind, deviations
from central.rules.errors import (
    AgreementError,
    NoticeError,
    PeriodError,
    RuleError,
    ScheduleConflictError,
    ScheduleError,
)
from central.rules.hours import (
    DailyHoursRow,
    ExpectedCountRow,
    MonthlyHoursRow,
    daily_hours,
    daily_hours_for_month,
    expected_counts,
    monthly_hours,
    sum_month,
    write_csv,
)
from central.rules.intervals import (
    EventType,
    Interval,
    IntervalFlag,
    PresenceEvent,
    auto_close,
    day_status,
    presence_intervals,
)
from central.rules.leave import Leave
from central.rules.period import Period
from central.rules.plan import NoteKind, PlanEntry, PlanNote, plan_for_child, plan_for_department
from central.rules.schedule import (
    DayTimes,
    Schedule,
    ScheduleHistory,
    Week,
    check_notice,
    make_week,
    schedule_on,
    validate_schedule_set,
)
from central.rules.timeutil import STOCKHOLM, day_bounds, local_date, to_instant
from central.rules.timeutil import span as wall_span

__all__ = [
    "STOCKHOLM",
    "Agreement",
    "AgreementError",
    "AgreementKind",
    "Author",
    "DailyHoursRow",
    "DayTimes",
    "Deviation",
    "DeviationKind",
    "EventType",
    "ExpectedCountRow",
    "Interval",
    "IntervalFlag",
    "Leave",
    "MonthlyHoursRow",
    "NoteKind",
    "NoticeError",
    "Period",
    "PeriodError",
    "Person",
    "PlanEntry",
    "PlanNote",
    "PresenceEvent",
    "RuleError",
    "Schedule",
    "ScheduleConflictError",
    "ScheduleError",
    "ScheduleHistory",
    "Week",
    "auto_close",
    "check_notice",
    "daily_hours",
    "daily_hours_for_month",
    "day_bounds",
    "day_status",
    "deviations",
    "expected_counts",
    "local_date",
    "make_week",
    "monthly_hours",
    "plan_for_child",
    "plan_for_department",
    "presence_intervals",
    "schedule_on",
    "sum_month",
    "to_instant",
    "validate_schedule_set",
    "wall_span",
    "write_csv",
]
