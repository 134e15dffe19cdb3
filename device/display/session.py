"""What the controller remembers between touches: a guardian's visit, staff mode, pending handovers.

In memory only, on purpose: an event is durable the moment it is recorded
(the outbox), and everything here is either a view of that or a choice that
has not become an event yet (a visit's timer, an unconfirmed handover).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from protocol.messages import EventMethod, EventType


class Feedback(Protocol):
    """The part of :class:`device.hardware.feedback.Feedback` the display uses."""

    def ok(self) -> None: ...
    def unknown(self) -> None: ...
    def error(self) -> None: ...


class NullFeedback:
    """No LEDs and no buzzer (hardware package unavailable); remembers what it was asked."""

    def __init__(self) -> None:
        self.history: list[str] = []

    def ok(self) -> None:
        self.history.append("ok")

    def unknown(self) -> None:
        self.history.append("unknown")

    def error(self) -> None:
        self.history.append("error")


@dataclass(slots=True)
class Choice:
    """What a visit did for one child: recorded, or pending staff confirmation."""

    kind: EventType
    at: float  # monotonic
    pending: bool = False


@dataclass(slots=True)
class Visit:
    """A guardian at the screen, from their tap until done or timeout."""

    guardian_id: str
    child_ids: tuple[str, ...]
    started: float
    last_touch: float
    done: dict[str, Choice] = field(default_factory=dict)

    @property
    def single(self) -> bool:
        return len(self.child_ids) == 1


@dataclass(slots=True)
class StaffSession:
    staff_id: str
    name: str
    last_touch: float


@dataclass(slots=True)
class Pending:
    """A guardian's choice waiting for staff (staff_confirmed mode); not an event yet."""

    child_id: str
    kind: EventType
    guardian_id: str
    method: EventMethod
    at: dt.datetime  # when the guardian chose (the event's time once confirmed)
    created: float  # monotonic, for expiry


@dataclass(slots=True)
class PinPad:
    digits: str = ""
    failures: int = 0
    locked_until: float = 0.0
    message: str | None = None  # "checking" / "wrong" / "locked"
    last_touch: float = 0.0
    check: Future[tuple[str, str] | None] | None = None
    """The PIN being checked off the UI thread (PBKDF2 takes a Pi a while per staff member)."""
