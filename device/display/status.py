"""Read-side of the device for the screens: presence, outbox, link, plan; cached per frame burst.

The screens redraw often; SQLite and the link are asked at most once per
``refresh_s`` (and right after this device recorded something).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from device.core import Terminal
from device.display.view import LinkView, TechInfo
from protocol.messages import Roster, RosterPlanEntry


def ip_address() -> str | None:
    """The address this machine would use to reach the internet (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: routing decision only
            return str(s.getsockname()[0])
    except OSError:
        return None


class StatusSource:
    """Cached answers about the device's state for the view builder."""

    def __init__(
        self,
        terminal: Terminal,
        *,
        link_state: Callable[[], Any] | None = None,
        reader_error: Callable[[], str | None] | None = None,
        broker: str | None = None,
        device_id: str = "",
        version: str = "",
        ip: Callable[[], str | None] = ip_address,
        refresh_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.terminal = terminal
        self.store = terminal.store
        self.link_state = link_state
        self.reader_error = reader_error or (lambda: None)
        self.broker = broker
        self.device_id = device_id or self.store.device_id
        self.version = version
        self._ip = ip
        self.refresh_s = refresh_s
        self.clock = clock
        self._at = -1e9
        self._presence: dict[str, str] = {}
        self._outbox = 0
        self._rejected = 0
        self._ip_value: str | None = None
        self._ip_at = -1e9
        self._plan_key: Roster | None = None
        self._plan: dict[str, RosterPlanEntry] = {}

    def changed(self) -> None:
        """Something was recorded: refresh on the next question."""
        self._at = -1e9

    def _refresh(self) -> None:
        now = self.clock()
        if now - self._at < self.refresh_s:
            return
        self._at = now
        self._presence = self.store.presence()
        self._outbox = self.store.depth()
        self._rejected = len(self.store.rejected())

    def presence(self) -> dict[str, str]:
        self._refresh()
        return self._presence

    def status_of(self, child_id: str) -> str:
        return self.presence().get(child_id, "absent")

    def present_count(self) -> int:
        return sum(1 for s in self.presence().values() if s == "present")

    def outbox(self) -> int:
        self._refresh()
        return self._outbox

    # -- roster -----------------------------------------------------------------------

    def _roster(self) -> Roster | None:
        return self.terminal.roster

    def department(self) -> str | None:
        r = self._roster()
        return r.department.name if r else None

    def name_of(self, child_id: str) -> str:
        r = self._roster()
        for c in r.children if r else ():
            if c.id == child_id:
                return str(c.display_name)
        return child_id

    def guardian_name(self, guardian_id: str) -> str:
        r = self._roster()
        for g in r.guardians if r else ():
            if g.id == guardian_id:
                return str(g.display_name)
        return guardian_id

    def child_ids(self) -> list[str]:
        r = self._roster()
        return sorted((c.id for c in r.children), key=self.name_of) if r else []

    def plan_of(self, child_id: str) -> RosterPlanEntry | None:
        r = self._roster()
        if r is not self._plan_key:
            self._plan_key = r
            self._plan = {p.child_id: p for p in r.plan} if r else {}
        return self._plan.get(child_id)

    # -- link -------------------------------------------------------------------------

    def link(self) -> LinkView:
        st = self.link_state() if self.link_state else None
        connected = None if st is None else bool(st.connected)
        return LinkView(
            connected=connected,
            outbox=self.outbox(),
            rejected=self._rejected,
            reader_error=self.reader_error(),
        )

    def tech(self, last_unknown: str | None) -> TechInfo:
        now = self.clock()
        if now - self._ip_at > 30:
            self._ip_value, self._ip_at = self._ip(), now
        st = self.link_state() if self.link_state else None
        self._refresh()
        return TechInfo(
            device_id=self.device_id,
            version=self.version,
            ip=self._ip_value,
            broker=self.broker,
            connected=None if st is None else bool(st.connected),
            central_online=None if st is None else st.central_online,
            outbox=self._outbox,
            rejected=self._rejected,
            roster_version=self.store.roster_version(),
            last_error=None if st is None else st.last_error,
            last_unknown=last_unknown,
            reader_error=self.reader_error(),
        )
