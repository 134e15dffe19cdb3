"""The message contract shared by the hallway device and the central service.

Everything that crosses the broker is defined here once: topic names
(:mod:`protocol.topics`), message types (:mod:`protocol.messages`) and the one
validation path both sides use (:mod:`protocol.codec`).  JSON Schema files in
``protocol/schemas/`` are generated from these types (``python -m protocol.schemas``).
"""

from protocol.codec import ProtocolError, decode_ack, decode_events, decode_roster, decode_status
from protocol.messages import (
    Ack,
    AckResult,
    AckStatus,
    Actor,
    CentralStatus,
    DeviceStatus,
    Event,
    EventMethod,
    EventType,
    PlanNote,
    Roster,
    RosterChild,
    RosterDepartment,
    RosterGuardian,
    RosterPlanEntry,
    RosterStaff,
)
from protocol.topics import DEFAULT_PREFIX, Topics

__all__ = [
    "DEFAULT_PREFIX",
    "Ack",
    "AckResult",
    "AckStatus",
    "Actor",
    "CentralStatus",
    "DeviceStatus",
    "Event",
    "EventMethod",
    "EventType",
    "PlanNote",
    "ProtocolError",
    "Roster",
    "RosterChild",
    "RosterDepartment",
    "RosterGuardian",
    "RosterPlanEntry",
    "RosterStaff",
    "Topics",
    "decode_ack",
    "decode_events",
    "decode_roster",
    "decode_status",
]
