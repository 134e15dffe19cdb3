"""Outbox drain: 10,000 events queued offline on one device, broker and central back.

Measures the time from the device's link starting until central has acked every
event (outbox empty), against the time a bare paho QoS 1 publisher needs to get
PUBACKs for 10,000 messages of the same size from the same broker in this run.
Central runs as its own process (``lh-central serve``), as in production.
Prints ``ratio: device/bare`` last (target ≤ 2).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Counter, raw_client, seed, wait_until

from device.mqtt import DeviceLink
from device.store import DeviceStore
from protocol.messages import Actor, ActorKind, EventMethod, EventType
from tests.broker import MosquittoBroker

N = 10_000
DEVICE = "bench-0"


def bare_publish(broker: MosquittoBroker, password: str, payload: bytes) -> float:
    done = Counter()
    c = raw_client(broker.port, DEVICE, password, "bare-pub")
    c.on_publish = lambda *_: done.add()
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    time.sleep(0.3)
    start = time.perf_counter()
    for _ in range(N):
        c.publish(f"lh/v1/dev/{DEVICE}/events", payload, qos=1)
    wait_until(lambda: done.n >= N, 120)
    elapsed = time.perf_counter() - start
    c.disconnect()
    c.loop_stop()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pw = {"central": "c-pw", "monitor": "m-pw", DEVICE: "d-pw"}
        broker = MosquittoBroker(Path(tmp) / "broker", pw)
        broker.start()
        central = None
        try:
            db_url = f"sqlite:///{tmp}/central.sqlite3"
            seed(db_url, 1, 10, [DEVICE])
            store = DeviceStore(Path(tmp) / "device.sqlite3", device_id=DEVICE)
            actor = Actor(kind=ActorKind.GUARDIAN, id="g0-0")
            for i in range(N // 2):  # offline: the hallway keeps taking taps
                kind = EventType.CHECK_IN if i % 2 == 0 else EventType.CHECK_OUT
                store.record([("c0-0", kind)], actor, EventMethod.TAG)
                store.record([("c0-0", kind)], actor, EventMethod.TAG)
            assert store.depth() == N
            sample = store.pending(1)[0].payload.encode()
            # The bare publisher first, while nothing else runs, with the outbox's own payload.
            # Central has never connected, so no session holds these: the broker PUBACKs and drops.
            bare = bare_publish(broker, pw[DEVICE], sample)
            with open(Path(tmp) / "central.log", "ab") as log:
                central = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "central.cli",
                        "serve",
                        "--db",
                        db_url,
                        "--client-id",
                        "c-bench",
                        "--broker",
                        f"mqtt://central:{pw['central']}@127.0.0.1:{broker.port}",
                        "--log-level",
                        "WARNING",
                    ],
                    stdout=log,
                    stderr=log,
                    cwd=ROOT,
                )
            time.sleep(2.0)  # central up and its retained status online
            link = DeviceLink(store, url=broker.url, password=pw[DEVICE], reconnect_min_s=0.5)
            start = time.perf_counter()
            link.start()
            wait_until(lambda: store.depth() == 0, 300, interval=0.02)
            device = time.perf_counter() - start
            link.stop()
            store.close()
        finally:
            if central is not None:
                central.terminate()
                central.wait(10)
            broker.stop()
    print(f"events: {N}")
    print(f"bare_publisher_s: {bare:.2f}")
    print(f"device_drain_s: {device:.2f}")
    print(f"device_drain_events_per_s: {N / device:.0f}")
    print(f"ratio: {device / bare:.2f}")


if __name__ == "__main__":
    main()
