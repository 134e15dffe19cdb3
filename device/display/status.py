"""Read-side of the device for the screens: presence, outbox, link, plan; cached per frame burst.

The screens redraw often; SQLite and the link are asked at most once per
``refresh_s`` (and right after this device recorded something).  The reader's
and the link's errors are looked at every frame (:meth:`StatusSource.watch`),
so the screen knows when one started and which came last, after it has cleared.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from device.core import Terminal
from device.display.view import ErrorSource, LinkView, TechInfo
from protocol.messages import Roster, RosterPlanEntry


def ip_address() -> str | None:
    """The address this machine would use to reach the internet (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: routing decision only
            return str(s.getsockname()[0])
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class SeenError:
    """An error as first seen: where from, what it said, when (monotonic seconds)."""

    source: ErrorSource
    text: str
    at: float


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
        self._reader: SeenError | None = None  # the reader's error while it lasts
        self._link_error: str | None = None
        self._last_error: SeenError | None = None  # the latest error, kept after it clears

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

    # -- link and reader --------------------------------------------------------------

    def watch(self) -> bool:
        """Look at the reader's and the link's errors (cheap: call it every frame).

        Remembers when the reader started failing and the latest error of either; True
        when the reader has just failed or recovered, so the screen redraws at once.
        """
        now = self.clock()
        reader = self.reader_error()
        was_failing = self._reader is not None
        if reader is None:
            self._reader = None
        elif self._reader is None or self._reader.text != reader:
            since = self._reader.at if self._reader is not None else now  # failing since the first
            self._reader = SeenError("reader", reader, since)
            self._last_error = SeenError("reader", reader, now)
        st = self.link_state() if self.link_state else None
        link_error = getattr(st, "last_error", None)
        if link_error is not None and link_error != self._link_error:
            self._last_error = SeenError("link", str(link_error), now)
        self._link_error = link_error
        return was_failing != (reader is not None)

    def link(self) -> LinkView:
        self.watch()
        st = self.link_state() if self.link_state else None
        connected = None if st is None else bool(st.connected)
        return LinkView(
            connected=connected,
            outbox=self.outbox(),
            rejected=self._rejected,
            reader_error=self._reader.text if self._reader else None,
        )

    def _wall(self, at: float, now: dt.datetime) -> dt.datetime:
        """Monotonic ``at`` as wall time, given the wall time ``now`` of this moment."""
        return now - dt.timedelta(seconds=max(0.0, self.clock() - at))

    def tech(self, last_unknown: str | None, now: dt.datetime | None = None) -> TechInfo:
        """What the technician screen lists; ``now`` (local wall time) dates the errors."""
        self.watch()
        now = now or dt.datetime.now().astimezone()
        mono = self.clock()
        if mono - self._ip_at > 30:
            self._ip_value, self._ip_at = self._ip(), mono
        st = self.link_state() if self.link_state else None
        self._refresh()
        reader, last = self._reader, self._last_error
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
            last_error=last.text if last else None,
            last_unknown=last_unknown,
            reader_error=reader.text if reader else None,
            reader_failing_since=self._wall(reader.at, now) if reader else None,
            last_error_source=last.source if last else None,
            last_error_at=self._wall(last.at, now) if last else None,
        )
