"""The state a screen draws: plain frozen data built by the controller each frame."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from device.display.intents import ScreenId
from device.display.plan_notes import Deviation, Note

ErrorSource = Literal["reader", "link"]


@dataclass(frozen=True, slots=True)
class ChildRow:
    """One child as a screen shows it."""

    child_id: str
    name: str
    status: str  # present / absent / gone (local presence)
    since: dt.time | None = None
    notes: tuple[Note, ...] = ()
    deviations: tuple[Deviation, ...] = ()
    arrive: dt.time | None = None
    leave: dt.time | None = None
    pickup_by: str | None = None
    done: str | None = None  # check_in / check_out recorded (or pending) in this visit
    pending: bool = False  # waiting for staff to confirm (staff_confirmed mode)
    undoable: bool = False


@dataclass(frozen=True, slots=True)
class PendingRow:
    """A handover waiting for staff."""

    child_id: str
    name: str
    kind: str  # check_in / check_out
    guardian: str
    at: dt.time


@dataclass(frozen=True, slots=True)
class LinkView:
    """The connection as the idle screen shows it; ``connected`` is None without a broker (demo)."""

    connected: bool | None
    outbox: int = 0
    rejected: int = 0
    reader_error: str | None = None
    """Why the tag reader is not working, None while it works."""


@dataclass(frozen=True, slots=True)
class TechInfo:
    """What the technician screen lists."""

    device_id: str
    version: str
    ip: str | None
    broker: str | None
    connected: bool | None
    central_online: bool | None
    outbox: int
    rejected: int
    roster_version: int | None
    last_error: str | None
    """The latest error of the reader or the link, still shown after it cleared."""
    last_unknown: str | None
    reader_error: str | None = None
    """Why the tag reader is not working now, None while it works."""
    reader_failing_since: dt.datetime | None = None
    last_error_source: ErrorSource | None = None
    last_error_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class View:
    """Everything any screen may draw."""

    screen: ScreenId
    now: dt.datetime
    language: str
    department: str | None
    link: LinkView
    handover_mode: str = "self_service"
    closing: bool = False  # past closing time
    notices: tuple[str, ...] = ()  # hallway notices (infotavla) to show today, on the idle screen
    still_in: int = 0  # children present now
    pending_count: int = 0
    guardian_rows: tuple[ChildRow, ...] = ()
    single: bool = False
    undo_left_s: float | None = None
    staff_name: str | None = None
    rows: tuple[ChildRow, ...] = ()  # staff, evacuation and closing lists
    pending: tuple[PendingRow, ...] = ()
    page: int = 0
    pin_length: int = 0
    pin_message: str | None = None  # wrong / locked
    tech: TechInfo | None = None
    extra: dict[str, object] = field(default_factory=dict)
