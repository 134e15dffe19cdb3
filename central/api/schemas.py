"""Request and response bodies of the HTTP API (pydantic; unknown keys refused).

Times are local Europe/Stockholm wall times (``"07:30"``), dates local dates, instants RFC 3339
with an offset.  Bodies carry ids, first names and last names only where the caller may see
them; never an identity number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from central.rules import AgreementKind

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
DeviceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


def _naive(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("a local wall time (HH:MM), without a time zone")
    return value


_WALL = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "07:30"}


def _text(value: Any) -> Any:
    if not isinstance(value, str | dt.date | dt.time):
        raise ValueError("expected a string")  # not seconds or a timestamp as a number
    return value


LocalTime = Annotated[dt.time, BeforeValidator(_text), AfterValidator(_naive), WithJsonSchema(_WALL)]
"""A Europe/Stockholm wall time in, as ``"HH:MM"``: no numbers of seconds, no offsets."""
WallTime = Annotated[
    dt.time,
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{2}:[0-9]{2}$", "example": "07:30"}),
]
"""A local wall time out, as ``"HH:MM"`` (JSON Schema's ``time`` format would demand an offset)."""
LocalDate = Annotated[dt.date, BeforeValidator(_text)]

MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
DayParam = Annotated[
    dt.date,
    Field(
        ge=MIN_DATE,
        le=MAX_DATE,
        description=f"a local date from {MIN_DATE} to {MAX_DATE} (outside: 422)",
    ),
]
"""A local date as a query parameter, within the years the service deals with: the ends of
Python's range overflow in day-bounds and time-zone arithmetic (a 500 before issue 11)."""
Weekday = Annotated[StrictInt, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,40}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class FieldError(BaseModel):
    """One problem of malformed input, where a form can show it."""

    field: str = Field(description="dotted path in the body (weeks.0.2.leave) or the parameter's name")
    message: str


class ErrorOut(BaseModel):
    """Every 4xx answer: ``detail`` is a sentence.  Malformed input adds ``errors``, one
    FieldError per problem; an import adds ``errors``, one line per bad row."""

    detail: str
    errors: list[FieldError | str] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the body is not JSON"},
    401: {"model": ErrorOut, "description": "no valid bearer token"},
    403: {"model": ErrorOut, "description": "not the caller's child, department or role"},
    404: {"model": ErrorOut, "description": "no such item"},
    409: {"model": ErrorOut, "description": "conflicts with stored data"},
    422: {"model": ErrorOut, "description": "invalid input; nothing was changed"},
}


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- guardians ---------------------------------------------------------------------------


class ChildOut(Out):
    id: str
    first_name: str
    last_name: str
    department_id: str


class DayIn(In):
    arrive: LocalTime = Field(description="drop-off, local wall time")
    leave: LocalTime = Field(description="pick-up, local wall time; must be after arrive")


class ScheduleIn(In):
    """A schema (one week) or fleroveckorsschema (N weeks repeating from ``cycle_start``)."""

    valid_from: LocalDate = Field(description="first day it applies; at least the unit's notice ahead")
    cycle_start: LocalDate | None = Field(None, description="week 1 of the cycle is the week of this date")
    weeks: list[Annotated[list[DayIn | None], Field(min_length=7, max_length=7)]] = Field(
        min_length=1, max_length=8, description="Monday..Sunday per week; null for a day without care"
    )


class ScheduleOut(Out):
    id: str
    child_id: str
    valid_from: dt.date
    cycle_start: dt.date | None
    weeks: list[list[list[str] | None]]


class PersonIn(In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    relation: Annotated[str, StringConstraints(max_length=60)] | None = None
    phone: Phone | None = None


class AgreementIn(In):
    """An avtal: ``time`` for early_pickup/late_dropoff/walk_home_alone, ``person`` for pickup_by."""

    kind: AgreementKind
    first: LocalDate
    last: LocalDate | None = Field(None, description="defaults to first (one day)")
    weekdays: list[Weekday] | None = Field(None, min_length=1, max_length=7, description="recurring days")
    time: LocalTime | None = None
    person: PersonIn | None = None
    text: ShortText | None = None


class AgreementOut(Out):
    id: str
    child_id: str
    kind: str
    first: dt.date
    last: dt.date
    weekdays: list[int] | None
    time: WallTime | None
    person_name: str | None
    person_relation: str | None
    text: str | None
    created_by: str


class LeaveIn(In):
    first: LocalDate
    last: LocalDate | None = Field(None, description="defaults to first (one day)")
    weekdays: list[Weekday] | None = Field(None, min_length=1, max_length=7)
    text: ShortText | None = None


class LeaveOut(Out):
    id: str
    child_id: str
    first: dt.date
    last: dt.date
    weekdays: list[int] | None
    text: str | None


class AbsenceIn(In):
    day: LocalDate
    reason: ShortText | None = None


class AbsenceOut(Out):
    id: str
    child_id: str
    day: dt.date
    reason: str | None


class ContactIn(In):
    phone: Phone | None = None
    email: Email | None = None


class ContactOut(Out):
    id: str
    phone: str | None
    email: str | None
    editable: bool = True


# -- staff -------------------------------------------------------------------------------


class IntervalOut(BaseModel):
    start: dt.datetime
    end: dt.datetime | None
    flags: list[str]


class ChildPresenceOut(BaseModel):
    child_id: str
    status: Literal["present", "absent", "gone"]
    intervals: list[IntervalOut]


class PresenceOut(BaseModel):
    department_id: str
    date: dt.date
    children: list[ChildPresenceOut]


class NoteOut(BaseModel):
    kind: str
    time: WallTime | None
    text: str | None
    source: str | None


class PlanEntryOut(BaseModel):
    child_id: str
    arrive: WallTime | None
    leave: WallTime | None
    on_leave: bool
    pickup_by: str | None
    walk_home_alone_from: WallTime | None
    notes: list[NoteOut]


class PlanOut(BaseModel):
    department_id: str
    date: dt.date
    expected: int
    entries: list[PlanEntryOut]


class DeviationOut(BaseModel):
    kind: str
    child_id: str
    detail: str
    expected: WallTime | None
    since: dt.datetime | None
    event_ids: list[str]
    auto_closed: bool


class DeviationsOut(BaseModel):
    department_id: str
    at: dt.datetime
    deviations: list[DeviationOut]


class CorrectionIn(In):
    """A check-in or check-out by hand; ``reason`` is kept in the audit log."""

    reason: Annotated[str, StringConstraints(min_length=3, max_length=500)]
    occurred_at: AwareDatetime | None = Field(None, description="defaults to now; at most 7 days back")


class CorrectionOut(BaseModel):
    event_id: str
    child_id: str
    type: str
    occurred_at: dt.datetime


# -- administrators ----------------------------------------------------------------------


class UnitIn(In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    kind: Literal["preschool", "fritidshem"] = "preschool"
    absence_reporting: StrictBool = False
    contact_editing: StrictBool | None = Field(
        None, description="default: on for preschool, off for fritidshem"
    )
    handover_mode: Literal["self_service", "staff_confirmed"] = "self_service"
    min_days_ahead: StrictInt = Field(0, ge=0, le=90)
    closing_time: LocalTime = dt.time(18, 0)
    phone: Phone | None = Field(None, description="the number guardians call; shown on their pages")


class UnitOut(Out):
    id: str
    name: str
    kind: str
    absence_reporting: bool
    contact_editing: bool
    handover_mode: str
    min_days_ahead: int
    closing_time: WallTime
    phone: str | None


class DepartmentOut(Out):
    id: str
    name: str
    unit_id: str | None


class DepartmentUnitIn(In):
    unit_id: EntityId | None


class DeviceIn(In):
    id: DeviceId
    department_id: EntityId


class DeviceOut(BaseModel):
    """A device and its retained status as central last heard it (central.fleet)."""

    id: str
    department_id: str
    last_seen: dt.datetime | None = Field(description="when central last heard a new status from it")
    state: Literal["online", "offline", "unknown"] = Field(
        "unknown", description="unknown: no status heard yet (or an unreadable one)"
    )
    state_text: str = Field(
        "never seen",
        description="'online', 'offline since 2026-11-29 07:12' (Europe/Stockholm), 'never seen'",
    )
    offline_since: dt.datetime | None = Field(None, description="when central heard its offline status")
    version: str | None = Field(None, description="the device's release")
    outbox_depth: int | None = Field(None, description="events not yet acked (last known if offline)")
    rejected_count: int | None = Field(None, description="events central rejected (last known if offline)")
    roster_version: int | None = Field(None, description="the roster version the device has")
    current_roster_version: int | None = Field(None, description="the department's newest roster version")
    roster_lag: int | None = Field(None, description="versions behind the department's newest roster")


class ImportIn(In):
    csv: Annotated[str, StringConstraints(min_length=1, max_length=5_000_000)] = Field(
        description="the same CSV `lh-central import` reads"
    )


class ImportOut(BaseModel):
    departments: int
    children: int
    guardians: int
    links: int
    tags_added: int


class AuditOut(Out):
    id: int
    at: dt.datetime
    actor_role: str
    actor_id: str
    action: str
    entity: str
    entity_id: str
    reason: str | None


# -- the guardian's overview (the web's Översikt) -----------------------------------------


class DayPlanOut(PlanEntryOut):
    date: dt.date


class ChildOverviewOut(BaseModel):
    child_id: str
    first_name: str
    last_name: str
    department_id: str
    department_name: str
    unit_name: str | None
    unit_kind: str
    status: Literal["present", "absent", "gone"]
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    days: list[DayPlanOut]


# -- tags (issue 10) -----------------------------------------------------------------------


class TagBlockIn(In):
    """Why a tag is blocked or unblocked (kept in the audit log; write no names)."""

    reason: str | None = Field(None, max_length=200, description="e.g. 'lost', 'found again'")


class TagOut(Out):
    """A tag, known only by its keyed digest (never the UID), its owner and since when it is blocked."""

    digest: str = Field(description="HMAC-SHA256 of the normalised UID with the site key, 64 hex")
    owner_kind: Literal["guardian", "staff"]
    owner_id: str
    blocked_at: dt.datetime | None = Field(description="when it was blocked; null: it works")
