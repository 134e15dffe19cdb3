"""A flooding device against a normal one: tap-to-ack latency of the normal device,
quiet and under flood, in the same run.

A site made by lh-provision, its Mosquitto started from the generated config (TLS,
passwords, ACL and the lh_guard plugin), central as its own process (``lh-central
serve``, SQLite), and two devices with their own credentials:
- four normal devices (``tap-0``..``tap-3``) tap in turn: one event, wait for central's
  ack, 20 ms pause, the next device (each device taps ~2 times a second at most);
- ``dev-flood`` (another process, 3 connections) publishes batches of 100 valid events
  (~30 KB) with QoS 1 as fast as it can, and reconnects 50 ms after every disconnect:
  far beyond any hallway.
Measured twice: with the generated config (guarded), and the same site with the
``plugin`` lines removed (unguarded), to show what the guard bounds.  Each phase is
TAPS taps or PHASE_S seconds, whichever comes first.  A tap not acked within 5 s counts
as 5,000 ms and in ``taps_unacked_*``; one the broker refused, in ``taps_refused_*``.
Prints ``name: value`` lines; ``ratio: p99 flood / p99 quiet`` (guarded) last.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import paho.mqtt.client as mqtt
from _common import ROOT, seed

TAPS = 120
PHASE_S = 10.0
TAPPERS = [f"tap-{i}" for i in range(4)]
TAP_TIMEOUT_S = 5.0
PAUSE_S = 0.02
FLOOD_CONNECTIONS = 3
FLOOD_BATCH = 100


def _flood_payloads(n: int) -> list[bytes]:
    now = datetime.now(UTC).isoformat()
    out = []
    seq = 0
    for _ in range(n):
        batch = []
        for i in range(FLOOD_BATCH):
            seq += 1
            batch.append(
                {
                    "schema": "lh.event/1",
                    "event_id": str(uuid.uuid4()),
                    "device_id": "dev-flood",
                    "seq": seq,
                    "type": "check_in" if seq % 2 else "check_out",
                    "child_id": f"c0-{i % 20}",
                    "actor": {"kind": "guardian", "id": f"g0-{i % 20}"},
                    "method": "tag",
                    "occurred_at": now,
                    "clock_synced": True,
                }
            )
        out.append(json.dumps(batch).encode())
    return out


def flooder(port: int, folder: str, ca: str, stop: Any, results: Any) -> None:
    """One process, FLOOD_CONNECTIONS connections of dev-flood, publishing until ``stop``."""
    import ssl

    payloads = _flood_payloads(200)
    password = (Path(folder) / "password").read_text().strip()
    counts = {"offered": 0, "accepted": 0, "refused": 0, "connects": 0, "connects_refused": 0}
    clients = []

    def on_publish(_c: Any, _u: Any, _mid: int, rc: Any, _p: Any) -> None:
        counts["refused" if rc.is_failure else "accepted"] += 1

    def on_connect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        key = "connects_refused" if rc.is_failure else "connects"
        counts[key] += 1

    for n in range(FLOOD_CONNECTIONS):
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"flood-{n}", protocol=mqtt.MQTTv5)
        c.tls_set(
            ca_certs=ca,
            certfile=f"{folder}/client.crt",
            keyfile=f"{folder}/client.key",
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        c.username_pw_set("dev-flood", password)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(2000)
        c.reconnect_delay_set(0.05, 0.05)  # hostile: straight back after every disconnect
        c.on_publish = on_publish
        c.on_connect = on_connect
        c.connect("127.0.0.1", port)
        c.loop_start()
        clients.append(c)
    time.sleep(0.5)
    start = time.perf_counter()
    i = 0
    while not stop.is_set():
        c = clients[i % FLOOD_CONNECTIONS]
        info = c.publish("lh/v1/dev/dev-flood/events", payloads[i % len(payloads)], qos=1)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            counts["offered"] += 1
            i += 1
        else:
            time.sleep(0.001)
    elapsed = time.perf_counter() - start
    for c in clients:
        c.disconnect()
        c.loop_stop()
    results.put({**counts, "seconds": elapsed})


def _ms(xs: list[float], q: int) -> float:
    return 1000 * statistics.quantiles(xs, n=100, method="inclusive")[q - 1]


def _say(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def taps(tappers: list[Any], n: int) -> tuple[list[float], int, int]:
    """Round-robin taps until ``n`` or PHASE_S: latencies (s), unacked, refused."""
    from tests.security.helpers import TapRefused

    out, unacked, refused = [], 0, 0
    end = time.monotonic() + PHASE_S
    for i in range(n):
        if time.monotonic() > end:
            break
        try:
            out.append(tappers[i % len(tappers)].tap(timeout=TAP_TIMEOUT_S))
        except TimeoutError:
            out.append(TAP_TIMEOUT_S)
            unacked += 1
        except TapRefused:
            refused += 1
        time.sleep(PAUSE_S)
    return out, unacked, refused


def run(tmp: Path, guarded: bool) -> dict[str, float]:
    from sqlalchemy import func, select

    from central.db.schema import EventRow
    from central.store import CentralStore
    from tests.provisioning.helpers import SiteBroker, lh, make_site
    from tests.security.helpers import TapClient

    site = make_site(tmp / "site")
    for device_id in (*TAPPERS, "dev-flood"):
        lh("add-device", "--site", str(site.root), device_id, "--department", "d0")
    if not guarded:
        conf = site.broker / "mosquitto.conf"
        conf.write_text(re.sub(r"^plugin.*$", "", conf.read_text(), flags=re.M))
    db_url = f"sqlite:///{tmp}/central.sqlite3"
    seed(db_url, 2, 20, [*TAPPERS, "dev-flood"])  # tap-N serves dN % 2, dev-flood d0
    broker = SiteBroker(site)
    broker.start()
    central = None
    ctx = mp.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    flood = None
    tappers: list[Any] = []
    try:
        folder = site.service("central")
        with open(tmp / "central.log", "ab") as log:
            central = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "central.cli",
                    "serve",
                    "--db",
                    db_url,
                    "--broker",
                    f"mqtts://127.0.0.1:{broker.port}",
                    "--password-file",
                    str(folder / "password"),
                    "--tls-ca",
                    str(site.ca_cert),
                    "--tls-cert",
                    str(folder / "client.crt"),
                    "--tls-key",
                    str(folder / "client.key"),
                    "--log-level",
                    "WARNING",
                ],
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )
        tappers = [
            TapClient(site, broker.port, d, f"c{n % 2}-1", f"g{n % 2}-1") for n, d in enumerate(TAPPERS)
        ]
        deadline = time.monotonic() + 30
        while True:  # central up: the first tap is acked
            try:
                tappers[0].tap(timeout=2.0)
                break
            except TimeoutError:
                if central.poll() is not None or time.monotonic() > deadline:
                    log_tail = (tmp / "central.log").read_text()[-2000:]
                    raise SystemExit(f"central did not ack: {log_tail}") from None
        _say(f"{'guarded' if guarded else 'unguarded'}: central acks; quiet taps")
        taps(tappers, 8)  # warm-up
        t_quiet = time.perf_counter()
        quiet, quiet_unacked, quiet_refused = taps(tappers, TAPS)
        t_quiet = time.perf_counter() - t_quiet
        flood = ctx.Process(
            target=flooder,
            args=(broker.port, str(site.device("dev-flood")), str(site.ca_cert), stop, results),
        )
        flood.start()
        time.sleep(1.5)  # the flood is on (connected, queues filling)
        _say("flood on; taps")
        t_flood = time.perf_counter()
        flooded, flood_unacked, flood_refused = taps(tappers, TAPS)
        t_flood = time.perf_counter() - t_flood
        _say("flood stopping")
        stop.set()
        counts = results.get(timeout=30)
        flood.join(10)
        store = CentralStore(db_url, run_migrations=False)
        try:
            with store.session() as s:
                stored = int(
                    s.scalar(
                        select(func.count()).select_from(EventRow).where(EventRow.device_id == "dev-flood")
                    )
                    or 0
                )
        finally:
            store.close()
    finally:
        stop.set()
        if flood is not None and flood.is_alive():
            flood.terminate()
        for tapper in tappers:
            tapper.close()
        if central is not None:
            central.terminate()
            try:
                central.wait(10)
            except subprocess.TimeoutExpired:
                central.kill()
        broker.stop()
    secs = counts["seconds"]
    return {
        "p50_tap_ack_ms_quiet": 1000 * statistics.median(quiet),
        "p99_tap_ack_ms_quiet": _ms(quiet, 99),
        "p50_tap_ack_ms_flood": 1000 * statistics.median(flooded),
        "p99_tap_ack_ms_flood": _ms(flooded, 99),
        "taps_quiet": len(quiet) + quiet_refused,
        "taps_flood": len(flooded) + flood_refused,
        "taps_unacked_quiet": quiet_unacked,
        "taps_unacked_flood": flood_unacked,
        "taps_refused_quiet": quiet_refused,
        "taps_refused_flood": flood_refused,
        "phase_seconds_quiet": t_quiet,
        "phase_seconds_flood": t_flood,
        "flood_msgs_offered_per_s": counts["offered"] / secs,
        "flood_msgs_accepted_per_s": counts["accepted"] / secs,
        "flood_msgs_refused_per_s": counts["refused"] / secs,
        "flood_seconds": secs,
        "flood_connects": counts["connects"],
        "flood_connects_refused": counts["connects_refused"],
        "flood_events_stored_by_central": stored,
    }


def main() -> None:
    t0 = time.perf_counter()
    figures: dict[str, float] = {}
    for guarded in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(Path(tmp), guarded)
        suffix = "" if guarded else "_unguarded"
        figures.update({k + suffix: v for k, v in r.items()})
    _say(f"flood = {FLOOD_CONNECTIONS} connections of one device, {FLOOD_BATCH} events per QoS 1 message")
    _say(f"taps = {len(TAPPERS)} devices in turn, up to {TAPS} per phase or {PHASE_S:.0f} s")
    for k, v in figures.items():
        print(f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}")
    print(f"bench_seconds: {time.perf_counter() - t0:.0f}")
    print(f"ratio: {figures['p99_tap_ack_ms_flood'] / figures['p99_tap_ack_ms_quiet']:.2f}")


if __name__ == "__main__":
    main()
