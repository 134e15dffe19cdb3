"""Fleet status: each hallway device's retained status, read into fields in one place.

Devices publish a retained ``lh.status/1`` on ``lh/v1/dev/{id}/status`` (online with
outbox depth, rejected count, version and roster version; offline as their last will,
without the counts).  Central keeps the last one in ``devices.last_status`` (JSON text)
and when it arrived in ``devices.last_seen``; :func:`merge_status` decides what is kept,
:func:`fleet` reads it back for the admin API, ``lh-central device list`` and the
Prometheus collector (central.metrics).

- An offline will carries no counts: the last values the device reported online are kept
  with it ("last known"), so a device that went away with events unsent still shows them.
- A will of an earlier boot that arrives after the new boot's online status (the broker
  publishes the old connection's will on session takeover) is ignored.
- A status identical to the one kept (a retained message delivered again when central
  subscribes) changes nothing, so "offline since" stays the moment central first heard it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError
from sqlalchemy import select

from protocol.messages import DeviceStatus

if TYPE_CHECKING:
    from central.store import CentralStore

State = Literal["online", "offline", "unknown"]
_CARRIED = ("version", "outbox_depth", "rejected_count", "roster_version")


def parse_status(text: str | None) -> DeviceStatus | None:
    """The status kept for a device, or None if there is none or it is unreadable."""
    if not text:
        return None
    try:
        return DeviceStatus.model_validate_json(text)
    except ValidationError:
        return None


def merge_status(previous: str | None, new: str) -> str | None:
    """The status text to keep when ``new`` arrives after ``previous``; None keeps ``previous``
    (and its ``last_seen``) unchanged."""
    if previous == new:
        return None
    incoming = parse_status(new)
    before = parse_status(previous)
    if incoming is None or before is None or incoming.state != "offline":
        return new
    if (
        before.state == "online"
        and incoming.boot_id
        and before.boot_id
        and incoming.boot_id != before.boot_id
        and incoming.at is not None
        and before.at is not None
        and incoming.at < before.at
    ):
        return None  # a late will of an earlier boot: the device is online again
    if before.boot_id is not None and incoming.boot_id is not None and before.boot_id != incoming.boot_id:
        return new  # the counts of another boot say nothing about this one
    fill = {k: getattr(before, k) for k in _CARRIED if getattr(incoming, k) is None}
    merged = incoming.model_copy(update=fill)
    text = merged.model_dump_json(by_alias=True, exclude_none=True)
    return None if text == previous else text


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """One device as the fleet view shows it."""

    id: str
    department_id: str
    state: State
    last_seen: dt.datetime | None
    """When central last received a status that changed something (UTC)."""
    version: str | None
    outbox_depth: int | None
    rejected_count: int | None
    roster_version: int | None
    """The roster version the device reported (last known if offline)."""
    current_roster_version: int | None
    """The newest roster version central has published for the device's department."""

    @property
    def since(self) -> dt.datetime | None:
        """For an offline device, when central heard its offline status."""
        return self.last_seen if self.state == "offline" else None

    @property
    def roster_lag(self) -> int | None:
        """How many roster versions the device is behind its department's current one."""
        if self.roster_version is None or self.current_roster_version is None:
            return None
        return max(0, self.current_roster_version - self.roster_version)

    def state_text(self, tz: dt.tzinfo) -> str:
        """'online', 'offline since 2026-11-29 07:12' (local time) or 'never seen'."""
        if self.state == "unknown":
            return "never seen" if self.last_seen is None else "unreadable status"
        if self.state == "offline" and self.since is not None:
            return f"offline since {self.since.astimezone(tz):%Y-%m-%d %H:%M}"
        return self.state

    def roster_text(self) -> str:
        """'14 (current)', '12 (current 14, 2 behind)', '— (current 14)' or '—'."""
        mine = "—" if self.roster_version is None else str(self.roster_version)
        if self.current_roster_version is None:
            return mine
        lag = self.roster_lag
        if lag == 0:
            return f"{mine} (current)"
        if lag is None:
            return f"{mine} (current {self.current_roster_version})"
        return f"{mine} (current {self.current_roster_version}, {lag} behind)"


def health_of(
    device_id: str,
    department_id: str,
    last_seen: dt.datetime | None,
    last_status: str | None,
    current_roster_version: int | None,
) -> DeviceHealth:
    st = parse_status(last_status)
    return DeviceHealth(
        id=device_id,
        department_id=department_id,
        state="unknown" if st is None else st.state,
        last_seen=last_seen,
        version=st.version if st else None,
        outbox_depth=st.outbox_depth if st else None,
        rejected_count=st.rejected_count if st else None,
        roster_version=st.roster_version if st else None,
        current_roster_version=current_roster_version,
    )


def fleet(store: CentralStore) -> list[DeviceHealth]:
    """Every registered device with its parsed status, by id."""
    from central.db.schema import Device, RosterVersion

    with store.session() as s:
        current = dict(s.execute(select(RosterVersion.department_id, RosterVersion.version)).all())
        return [
            health_of(d.id, d.department_id, d.last_seen, d.last_status, current.get(d.department_id))
            for d in s.scalars(select(Device).order_by(Device.id))
        ]
