"""Request and response bodies of the HTTP API (pydantic; unknown keys refused).

Times are local Europe/Stockholm wall times (``"07:30"``), dates local dates, instants RFC 3339
with an offset.  Bodies carry ids, first names and last names only where the caller may see
them; never an identity number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from central.rules import AgreementKind

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
DeviceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,40}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


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
    arrive: dt.time = Field(description="drop-off, local wall time")
    leave: dt.time = Field(description="pick-up, local wall time; must be after arrive")


class ScheduleIn(In):
    """A schema (one week) or fleroveckorsschema (N weeks repeating from ``cycle_start``)."""

    valid_from: dt.date = Field(description="first day it applies; at least the unit's notice ahead")
    cycle_start: dt.date | None = Field(None, description="week 1 of the cycle is the week of this date")
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
    first: dt.date
    last: dt.date | None = Field(None, description="defaults to first (one day)")
    weekdays: list[Weekday] | None = Field(None, min_length=1, max_length=7, description="recurring days")
    time: dt.time | None = None
    person: PersonIn | None = None
    text: ShortText | None = None


class AgreementOut(Out):
    id: str
    child_id: str
    kind: str
    first: dt.date
    last: dt.date
    weekdays: list[int] | None
    time: dt.time | None
    person_name: str | None
    person_relation: str | None
    text: str | None
    created_by: str


class LeaveIn(In):
    first: dt.date
    last: dt.date | None = Field(None, description="defaults to first (one day)")
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
    day: dt.date
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
    time: dt.time | None
    text: str | None
    source: str | None


class PlanEntryOut(BaseModel):
    child_id: str
    arrive: dt.time | None
    leave: dt.time | None
    on_leave: bool
    pickup_by: str | None
    walk_home_alone_from: dt.time | None
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
    expected: dt.time | None
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
    absence_reporting: bool = False
    contact_editing: bool | None = Field(None, description="default: on for preschool, off for fritidshem")
    handover_mode: Literal["self_service", "staff_confirmed"] = "self_service"
    min_days_ahead: int = Field(0, ge=0, le=90)
    closing_time: dt.time = dt.time(18, 0)


class UnitOut(Out):
    id: str
    name: str
    kind: str
    absence_reporting: bool
    contact_editing: bool
    handover_mode: str
    min_days_ahead: int
    closing_time: dt.time


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
    id: str
    department_id: str
    last_seen: dt.datetime | None


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
