"""One small class per screen: view in, drawing and buttons out; touch in, intent out.

Screens do no I/O and keep no state between frames; :data:`SCREENS` maps each
:class:`~device.display.intents.ScreenId` to its screen.
"""

from __future__ import annotations

from device.display.intents import ScreenId
from device.display.screens.base import Screen
from device.display.screens.guardian import GuardianScreen
from device.display.screens.idle import IdleScreen
from device.display.screens.lists import ClosingScreen, EvacuationScreen
from device.display.screens.message import BlockedScreen, ErrorScreen, UnknownScreen
from device.display.screens.pending import PendingScreen
from device.display.screens.pin import PinScreen
from device.display.screens.staff import StaffScreen
from device.display.screens.technician import TechnicianScreen

SCREENS: dict[ScreenId, Screen] = {
    ScreenId.IDLE: IdleScreen(),
    ScreenId.GUARDIAN: GuardianScreen(),
    ScreenId.UNKNOWN: UnknownScreen(),
    ScreenId.BLOCKED: BlockedScreen(),
    ScreenId.ERROR: ErrorScreen(),
    ScreenId.PIN: PinScreen(),
    ScreenId.STAFF: StaffScreen(),
    ScreenId.EVACUATION: EvacuationScreen(),
    ScreenId.CLOSING: ClosingScreen(),
    ScreenId.PENDING: PendingScreen(),
    ScreenId.TECHNICIAN: TechnicianScreen(),
}

__all__ = ["SCREENS", "Screen"]
