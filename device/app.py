"""Wires one device together: store, terminal core and MQTT link (the runner adds screen and hardware)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from device import __version__
from device.config import DeviceConfig
from device.core import Terminal, clock_is_synced
from device.mqtt import DeviceLink
from device.store import DeviceStore
from protocol.messages import Roster
from protocol.topics import Topics

logger = logging.getLogger(__name__)


@dataclass
class DeviceApp:
    config: DeviceConfig
    store: DeviceStore
    terminal: Terminal
    link: DeviceLink | None

    @classmethod
    def build(
        cls,
        config: DeviceConfig,
        *,
        tag_key: bytes | None = None,
        seed_roster: Roster | None = None,
        connect: bool = True,
        assume_clock_synced: bool = False,
        now: Callable[[], datetime] | None = None,
    ) -> DeviceApp:
        """``now`` replaces the wall clock of recorded events (demos started at a chosen time)."""
        store = DeviceStore(config.store.path, device_id=config.device_id, tz=config.timezone)
        if seed_roster is not None and store.roster() is None:
            store.save_roster(seed_roster)
        synced = (lambda: True) if assume_clock_synced else clock_is_synced
        key = tag_key if tag_key is not None else config.tag_key()
        fallback = config.unit_fallback()
        terminal = (
            Terminal(store, key, clock_synced=synced, now=now, unit_fallback=fallback)
            if now is not None
            else Terminal(store, key, clock_synced=synced, unit_fallback=fallback)
        )
        link = None
        if connect:
            m = config.mqtt
            link = DeviceLink(
                store,
                url=m.url,
                username=m.username,
                password=config.mqtt_password(),
                tls_ca=str(m.tls_ca) if m.tls_ca else None,
                tls_cert=str(m.tls_cert) if m.tls_cert else None,
                tls_key=str(m.tls_key) if m.tls_key else None,
                topics=Topics(m.topic_prefix),
                keepalive_s=m.keepalive_s,
                reconnect_min_s=m.reconnect_min_s,
                reconnect_max_s=m.reconnect_max_s,
                ack_timeout_s=m.ack_timeout_s,
                batch_size=m.batch_size,
                window=m.window,
                version=__version__,
                on_roster=terminal.apply_roster,
            )
            terminal.on_recorded = lambda _events: link.kick()
        return cls(config, store, terminal, link)

    def start(self) -> None:
        if self.link is not None:
            self.link.start()

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
        self.store.close()
