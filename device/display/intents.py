"""What a touch means: the screens answer touches with one of these, the controller applies them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScreenId(StrEnum):
    IDLE = "idle"
    GUARDIAN = "guardian"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    ERROR = "error"
    PIN = "pin"
    STAFF = "staff"
    EVACUATION = "evacuation"
    CLOSING = "closing"
    PENDING = "pending"
    TECHNICIAN = "technician"


@dataclass(frozen=True, slots=True)
class Intent:
    """Base of every intent."""


@dataclass(frozen=True, slots=True)
class ChooseChild(Intent):
    """A guardian checks one child in or out (several-children screen)."""

    child_id: str


@dataclass(frozen=True, slots=True)
class ChooseAll(Intent):
    """A guardian checks in or out every child not yet handled in this visit."""


@dataclass(frozen=True, slots=True)
class Undo(Intent):
    """Reverse what this visit did for ``child_id`` (records the opposite event)."""

    child_id: str


@dataclass(frozen=True, slots=True)
class Done(Intent):
    """Leave the current screen (guardian: back to idle; staff: back to the list)."""


@dataclass(frozen=True, slots=True)
class OpenPin(Intent):
    """Open the staff PIN pad."""


@dataclass(frozen=True, slots=True)
class PinKey(Intent):
    """A PIN pad key: a digit, ``back`` or ``ok``."""

    key: str


@dataclass(frozen=True, slots=True)
class Show(Intent):
    """Staff navigate to another staff screen."""

    screen: ScreenId


@dataclass(frozen=True, slots=True)
class Override(Intent):
    """Staff check a child in or out by hand."""

    child_id: str


@dataclass(frozen=True, slots=True)
class ConfirmHandover(Intent):
    """Staff confirm a pending handover (staff_confirmed mode); ``None`` confirms all."""

    child_id: str | None


@dataclass(frozen=True, slots=True)
class RejectHandover(Intent):
    """Staff reject a pending handover: nothing is recorded."""

    child_id: str


@dataclass(frozen=True, slots=True)
class Page(Intent):
    """Scroll a list by ``delta`` pages."""

    delta: int


@dataclass(frozen=True, slots=True)
class SwitchLanguage(Intent):
    """Swedish <-> English."""


@dataclass(frozen=True, slots=True)
class Lock(Intent):
    """Leave staff mode."""
