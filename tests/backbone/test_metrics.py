"""``lh-central serve --metrics-port``: Prometheus metrics on their own address, scraped over
HTTP while a real device and a raw MQTT client talk to central through a real broker."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from protocol.messages import Actor, ActorKind, EventMethod
from tests.backbone.helpers import RawClient, device_config, start_device
from tests.broker import free_port
from tests.conftest import PASSWORDS, wait_for

pytestmark = pytest.mark.slow

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")


def _serve(db_url: str, broker_port: int, metrics_port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as fh:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "central.cli",
                "serve",
                "--db",
                db_url,
                "--broker",
                f"mqtt://central:{PASSWORDS['central']}@127.0.0.1:{broker_port}",
                "--metrics-port",
                str(metrics_port),
                "--metrics-host",
                "127.0.0.1",
            ],
            stdout=fh,
            stderr=fh,
        )


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample as {(name, sorted labels): value}; {} while the server is not up."""
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    except httpx.TransportError:
        return {}
    assert r.status_code == 200, r.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(r.text)
        for s in fam.samples
    }


def val(samples: dict, name: str, **labels: str) -> float | None:  # type: ignore[type-arg]
    return samples.get((name, tuple(sorted(labels.items()))))


def dev(device: str) -> dict[str, str]:
    return {"device": device, "department": {"dev-a": "solen", "dev-b": "manen"}[device]}


def _event(child: str, actor: str, device: str = "dev-b", seq: int = 1) -> dict[str, object]:
    return {
        "schema": "lh.event/1",
        "event_id": str(uuid.uuid4()),
        "device_id": device,
        "seq": seq,
        "type": "check_in",
        "child_id": child,
        "actor": {"kind": "guardian", "id": actor},
        "method": "tag",
        "occurred_at": datetime.now(UTC).isoformat(),
        "clock_synced": True,
    }


def test_metrics_follow_devices_and_events(seeded, broker, tmp_path: Path) -> None:
    db_url, key = seeded
    port = free_port()
    proc = _serve(db_url, broker.port, port, tmp_path / "central.log")
    app = None
    raw = None
    try:
        first = wait_for(lambda: scrape(port), 20)
        assert isinstance(first, dict)
        assert val(first, "lh_device_online", **dev("dev-a")) == 0.0, "never seen: not online"
        assert val(first, "lh_central_database_up") == 1.0

        # a real device: online, its outbox and roster version
        app = start_device(device_config(tmp_path, broker), key)
        wait_for(lambda: app.link.state.central_online and app.terminal.roster is not None, 20)
        wait_for(lambda: val(scrape(port), "lh_device_online", **dev("dev-a")) == 1.0, 20)
        wait_for(lambda: val(scrape(port), "lh_device_roster_version_lag", **dev("dev-a")) == 0.0, 20)
        s = scrape(port)
        assert val(s, "lh_central_broker_connected") == 1.0
        assert (val(s, "lh_roster_publishes_total") or 0) >= 1
        assert val(s, "lh_device_outbox_depth", **dev("dev-a")) == 0.0
        assert val(s, "lh_device_rejected_events", **dev("dev-a")) == 0.0
        stored_before = val(s, "lh_events_total", result="stored") or 0.0

        taps = [ev for _ in range(3) for ev in app.terminal.toggle(["c-alva"], ANNA, EventMethod.TAG)]
        assert taps
        wait_for(lambda: app.store.depth() == 0, 20)
        wait_for(
            lambda: (val(scrape(port), "lh_events_total", result="stored") or 0) >= stored_before + len(taps),
            20,
        )

        # dev-b by hand: one event twice (duplicate), one for an unknown child (rejected, kept)
        raw = RawClient(broker, "dev-b")
        assert raw.connected.wait(10)
        raw.client.subscribe("lh/v1/dev/dev-b/acks", qos=1)
        good = json.dumps(_event("c-saga", "g-peter"))
        raw.client.publish("lh/v1/dev/dev-b/events", good, qos=1)
        wait_for(lambda: len(raw.json_on("lh/v1/dev/dev-b/acks")) == 1, 20)
        raw.client.publish("lh/v1/dev/dev-b/events", good, qos=1)
        raw.client.publish("lh/v1/dev/dev-b/events", json.dumps(_event("c-nobody", "g-peter", seq=2)), qos=1)
        wait_for(lambda: sum(len(a["results"]) for a in raw.json_on("lh/v1/dev/dev-b/acks")) == 3, 20)
        s = wait_for(
            lambda: (x := scrape(port)) and val(x, "lh_events_total", result="rejected") == 1.0 and x, 20
        )
        assert isinstance(s, dict)
        assert val(s, "lh_events_total", result="duplicate") == 1.0
        assert val(s, "lh_dead_letters_total") == 1.0
        assert val(s, "lh_dead_letters_stored") == 1.0

        # the device goes away: offline, its last counts kept
        app.stop()
        app = None
        wait_for(lambda: val(scrape(port), "lh_device_online", **dev("dev-a")) == 0.0, 20)
        assert val(scrape(port), "lh_device_outbox_depth", **dev("dev-a")) == 0.0
    finally:
        if raw is not None:
            raw.close()
        if app is not None:
            app.stop()
        proc.terminate()
        proc.wait(15)
