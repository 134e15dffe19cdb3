"""A site as lh-provision generates it (broker guard included), a real central on it
over TLS, and MQTT clients acting as a hallway device or as a stolen, hostile one."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from central.service import BrokerURL, CentralService
from central.store import CentralStore
from protocol.topics import Topics
from provisioning.site import Site
from tests.provisioning.helpers import Probe, SiteBroker, as_user, lh, make_site

T = Topics()
NOT_AUTHORIZED = 0x87


def provisioned_site(root: Path, devices: list[str]) -> tuple[Site, SiteBroker]:
    """``lh-provision init-site`` + ``add-device`` for each id, and its broker started from the
    generated ``mosquitto.conf`` as written."""
    site = make_site(root)
    for device_id in devices:
        lh("add-device", "--site", str(site.root), device_id, "--department", "solen")
    broker = SiteBroker(site)
    broker.start()
    return site, broker


def start_central(site: Site, port: int, db_url: str, client_id: str = "central-1") -> CentralService:
    """A real central with the site's own credentials (password, client certificate, CA)."""
    folder = site.service("central")
    url = BrokerURL("mqtts", "127.0.0.1", port, "central", (folder / "password").read_text().strip())
    svc = CentralService(
        CentralStore(db_url),
        url,
        client_id=client_id,
        tls_ca=str(site.ca_cert),
        tls_cert=str(folder / "client.crt"),
        tls_key=str(folder / "client.key"),
        refresh_s=3600.0,
    )
    svc.start()
    assert svc.wait_connected(10), "central did not connect"
    return svc


def stop_central(svc: CentralService) -> None:
    svc.stop()
    svc.store.close()


def event(device_id: str, seq: int, child: str = "c-alva", actor: str = "g-anna") -> dict[str, Any]:
    return {
        "schema": "lh.event/1",
        "event_id": str(uuid.uuid4()),
        "device_id": device_id,
        "seq": seq,
        "type": "check_in" if seq % 2 else "check_out",
        "child_id": child,
        "actor": {"kind": "guardian", "id": actor},
        "method": "tag",
        "occurred_at": datetime.now(UTC).isoformat(),
        "clock_synced": True,
    }


class TapRefused(Exception):
    """The broker answered the tap's PUBLISH with a failure (the guard's rate bound)."""


class TapClient:
    """A hallway device reduced to its MQTT side: publish one event, time central's ack."""

    def __init__(
        self, site: Site, port: int, device_id: str, child: str = "c-alva", actor: str = "g-anna"
    ) -> None:
        self.device_id = device_id
        self.child, self.actor = child, actor
        self.acked: dict[str, float] = {}
        self.cond = threading.Condition()
        self.probe: Probe = as_user(site, port, site.device(device_id), device_id)
        assert self.probe.connack is not None and not self.probe.connack.is_failure, self.probe.connack
        self.probe.client.on_message = self._on_message
        self.probe.client.on_publish = self._on_publish
        _, mid = self.probe.client.subscribe(T.acks(device_id), qos=1)
        deadline = time.monotonic() + 5
        while mid not in self.probe.subacks:
            assert time.monotonic() < deadline, "no SUBACK"
            time.sleep(0.01)
        self.seq = 0

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        with self.cond:
            self.probe.pubacks[mid] = rc
            self.cond.notify_all()

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        now = time.perf_counter()
        try:
            results = json.loads(msg.payload)["results"]
        except (ValueError, KeyError, TypeError):
            return
        with self.cond:
            for r in results:
                self.acked.setdefault(r["event_id"], now)
            self.cond.notify_all()

    def tap(self, timeout: float = 10.0) -> float:
        """Publish one event; seconds until central's ack for it arrived.

        Raises TapRefused if the broker refused the PUBLISH, TimeoutError if no ack
        came within ``timeout``."""
        self.seq += 1
        ev = event(self.device_id, self.seq, self.child, self.actor)
        t0 = time.perf_counter()
        info = self.probe.client.publish(T.events(self.device_id), json.dumps(ev).encode(), qos=1)

        def done() -> bool:
            puback = self.probe.pubacks.get(info.mid)
            return ev["event_id"] in self.acked or (puback is not None and puback.is_failure)

        with self.cond:
            self.cond.wait_for(done, timeout)
        puback = self.probe.pubacks.pop(info.mid, None)
        if puback is not None and puback.is_failure:
            raise TapRefused(f"the broker refused event {self.seq} of {self.device_id}: {puback}")
        if ev["event_id"] not in self.acked:
            raise TimeoutError(f"no ack for event {self.seq} of {self.device_id} in {timeout} s")
        return self.acked[ev["event_id"]] - t0

    def status(self, marker: str) -> bytes:
        payload = json.dumps(
            {
                "schema": "lh.status/1",
                "state": "online",
                "boot_id": marker,
                "at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        rc = self.probe.publish(T.status(self.device_id), payload, retain=True)
        assert not rc.is_failure, rc
        return payload

    def close(self) -> None:
        self.probe.close()
