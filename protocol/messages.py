"""Message types of protocol v1, the single source of the JSON Schemas.

Every model refuses unknown keys, so a typo or a message from a newer schema is a
clear validation error rather than silently ignored data.  Raw tag UIDs and
personal identity numbers have no field anywhere: rosters carry keyed digests.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

EVENT_SCHEMA: Final = "lh.event/1"
ACK_SCHEMA: Final = "lh.ack/1"
ROSTER_SCHEMA: Final = "lh.roster/1"
STATUS_SCHEMA: Final = "lh.status/1"

DeviceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
TagDigest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=80)]
HandoverMode = Literal["self_service", "staff_confirmed"]
#: A local time of day sent as ``HH:MM`` (``HH:MM:SS`` is accepted too).
ClockTime = Annotated[
    dt.time,
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}),
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class EventType(StrEnum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


class EventMethod(StrEnum):
    TAG = "tag"
    TOUCH = "touch"
    STAFF_OVERRIDE = "staff_override"


class ActorKind(StrEnum):
    GUARDIAN = "guardian"
    STAFF = "staff"


class Actor(_Message):
    """Who did it: a guardian (tag or touch) or a staff member (override)."""

    kind: ActorKind = Field(description="guardian or staff")
    id: EntityId = Field(description="the guardian's or staff member's id in central")


class Event(_Message):
    """One check-in or check-out, as the device recorded it."""

    schema_: Literal["lh.event/1"] = Field(EVENT_SCHEMA, alias="schema", description="schema version")
    event_id: uuid.UUID = Field(description="unique id; central stores each event once under it")
    device_id: DeviceId = Field(description="the device that recorded it; must equal the topic's")
    seq: int = Field(ge=1, description="per-device sequence number, survives restarts")
    type: EventType = Field(description="check_in or check_out")
    child_id: EntityId = Field(description="the child's id in central")
    actor: Actor = Field(description="who checked the child in or out")
    method: EventMethod = Field(description="tag, touch or staff_override")
    occurred_at: AwareDatetime = Field(description="when it happened, RFC 3339 with UTC offset")
    clock_synced: bool = Field(description="whether the device clock was NTP-synchronised")
    confirmed_by: EntityId | None = Field(
        None, description="staff who confirmed the guardian's handover (handover_mode staff_confirmed)"
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AckStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class AckResult(_Message):
    event_id: str = Field(description="the event's id as sent (kept as text even if malformed)")
    status: AckStatus
    reason: str | None = Field(None, description="why it was rejected; null otherwise")


class Ack(_Message):
    """Central's answer to the events it received from one device."""

    schema_: Literal["lh.ack/1"] = Field(ACK_SCHEMA, alias="schema")
    results: list[AckResult]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ChildStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    GONE = "gone"


class PlanNote(_Message):
    """One reason in today's plan, e.g. ``pickup_by`` 'Mormor Eva' from an agreement."""

    kind: Literal["schedule", "early_pickup", "pickup_by", "walk_home_alone", "late_dropoff", "note", "leave"]
    time: dt.time | None = None
    text: str | None = Field(None, max_length=200)
    source: str | None = Field(None, max_length=120, description="why: schedule, agreement by..., leave")


class RosterPlanEntry(_Message):
    """A child's plan for the roster's date, after agreements and leave."""

    child_id: EntityId
    arrive: dt.time | None = Field(None, description="expected drop-off, local time")
    leave: dt.time | None = Field(None, description="expected pickup, local time")
    on_leave: bool = False
    pickup_by: str | None = Field(None, max_length=120, description="who picks up, if not a guardian")
    walk_home_alone_from: dt.time | None = None
    notes: list[PlanNote] = Field(default_factory=list)


class RosterChild(_Message):
    id: EntityId
    display_name: DisplayName = Field(description="first name and initial of the last name")
    guardian_ids: list[EntityId]
    status: ChildStatus = Field(description="present, absent (not arrived) or gone (home)")
    status_since: AwareDatetime | None = None


class RosterGuardian(_Message):
    id: EntityId
    display_name: DisplayName
    tag_digests: list[TagDigest] = Field(description="HMAC-SHA256 of the normalised tag UIDs")


class RosterStaff(_Message):
    id: EntityId
    display_name: DisplayName
    tag_digests: list[TagDigest]
    pin_hash: str | None = Field(
        None, description="scrypt$n$r$p$salt$hash (or the older pbkdf2_sha256$iterations$salt$hash), or null"
    )


class RosterDepartment(_Message):
    id: EntityId
    name: str = Field(min_length=1, max_length=120)


class RosterUnit(_Message):
    """The unit's settings for the hallway screen; central is their source (receivers-first)."""

    handover_mode: HandoverMode = Field(
        "self_service",
        description="self_service: the guardian's tap decides; staff_confirmed: staff confirm each handover",
    )
    closing_time: ClockTime = Field(dt.time(18, 0), description="local closing time (stängning), HH:MM")


class RosterNotice(_Message):
    """A hallway notice (infotavla) active on the roster's date; shown up to and including ``last``."""

    id: EntityId
    text: str = Field(min_length=1, max_length=200)
    last: dt.date = Field(description="the last local date to show it; a device hides it after that")


class Roster(_Message):
    """Everything a hallway device needs for its department today (retained)."""

    #: Optional fields added receivers-first (docs/protocol.md): the device release that first
    #: accepts each.  Central leaves a field out (None) unless every device of the department
    #: reports such a release, and :func:`protocol.codec.encode` omits it then.
    RECEIVERS_FIRST: ClassVar[dict[str, str]] = {"unit": "0.2.0", "notices": "0.2.0", "blocked_tags": "0.3.0"}

    schema_: Literal["lh.roster/1"] = Field(ROSTER_SCHEMA, alias="schema")
    version: int = Field(ge=1, description="grows with every change of this department's roster")
    generated_at: AwareDatetime
    date: dt.date = Field(description="the local date today's plan is for")
    department: RosterDepartment
    children: list[RosterChild]
    guardians: list[RosterGuardian]
    staff: list[RosterStaff]
    plan: list[RosterPlanEntry] = Field(default_factory=list)
    unit: RosterUnit | None = Field(
        None, description="the unit's settings; absent: the device keeps its config's fallback"
    )
    notices: list[RosterNotice] | None = Field(
        None, max_length=20, description="today's hallway notices; absent: none"
    )
    blocked_tags: list[TagDigest] | None = Field(
        None,
        description="digests of the department's blocked (lost) tags, refused at a tap; "
        "they are in no guardian's or staff member's tag_digests. Absent: none",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DeviceStatus(_Message):
    """A device's retained availability; the last will carries ``state: offline``."""

    schema_: Literal["lh.status/1"] = Field(STATUS_SCHEMA, alias="schema")
    state: Literal["online", "offline"]
    boot_id: str | None = Field(None, description="tells a late will of an earlier boot apart")
    version: str | None = None
    outbox_depth: int | None = Field(None, ge=0)
    rejected_count: int | None = Field(None, ge=0)
    roster_version: int | None = None
    at: AwareDatetime | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CentralStatus(_Message):
    """Central's retained availability; devices drain their outbox when it turns online."""

    schema_: Literal["lh.status/1"] = Field(STATUS_SCHEMA, alias="schema")
    state: Literal["online", "offline"]
    version: str | None = None
    at: AwareDatetime | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
