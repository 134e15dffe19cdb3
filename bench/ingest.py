"""Central ingest throughput against a bare paho subscriber, same broker, same messages.

Both drain a backlog of N single-event messages that several simulated devices
published while the consumer was away (a persistent session holds them):
- bare: a paho client that only counts messages;
- central: the real service storing into SQLite, publishing acks, then PUBACK.
Each is measured RUNS times, alternating, each time with a fresh broker and database; the medians are printed
(a single bare run varied from 12,000 to 20,000 msg/s on the 2-core CI machine), with
``ratio: central/bare`` last.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Counter, connect_props, raw_client, seed, wait_until

from central.service import BrokerURL, CentralService
from central.store import CentralStore
from tests.broker import MosquittoBroker

N = 20_000
RUNS = 3
DEVICES = [f"bench-{i}" for i in range(8)]
CHILDREN = 50


def make_events(n: int) -> list[tuple[str, bytes]]:
    out = []
    now = datetime.now(UTC).isoformat()
    for i in range(n):
        dev = DEVICES[i % len(DEVICES)]
        dept = DEVICES.index(dev) % 4
        child = (i // len(DEVICES)) % CHILDREN
        ev = {
            "schema": "lh.event/1",
            "event_id": str(uuid.uuid4()),
            "device_id": dev,
            "seq": i + 1,
            "type": "check_in" if (i // len(DEVICES)) % 2 == 0 else "check_out",
            "child_id": f"c{dept}-{child}",
            "actor": {"kind": "guardian", "id": f"g{dept}-{child}"},
            "method": "tag",
            "occurred_at": now,
            "clock_synced": True,
        }
        out.append((dev, json.dumps(ev).encode()))
    return out


def publish_backlog(broker: MosquittoBroker, pw: dict[str, str], events: list[tuple[str, bytes]]) -> None:
    clients = {}
    for dev in DEVICES:
        c = raw_client(broker.port, dev, pw[dev], f"{dev}-pub")
        c.connect("127.0.0.1", broker.port)
        c.loop_start()
        clients[dev] = c
    infos = [clients[dev].publish(f"lh/v1/dev/{dev}/events", payload, qos=1) for dev, payload in events]
    for info in infos:
        info.wait_for_publish(60)
    for c in clients.values():
        c.disconnect()
        c.loop_stop()


def bare_rate(broker: MosquittoBroker, pw: dict[str, str]) -> float:
    got = Counter()
    c = raw_client(broker.port, "central", pw["central"], "bare-sub")
    c.on_message = lambda *_: got.add()
    c.connect("127.0.0.1", broker.port, clean_start=False, properties=connect_props())
    c.loop_start()
    time.sleep(0.3)
    c.subscribe("$share/bare/lh/v1/dev/+/events", qos=1)
    time.sleep(0.3)
    c.disconnect()
    c.loop_stop()
    publish_backlog(broker, pw, make_events(N))
    c = raw_client(broker.port, "central", pw["central"], "bare-sub")
    c.on_message = lambda *_: got.add()
    start = time.perf_counter()
    c.connect("127.0.0.1", broker.port, clean_start=False, properties=connect_props())
    c.loop_start()
    wait_until(lambda: got.n >= N, 300)
    elapsed = time.perf_counter() - start
    c.disconnect()
    c.loop_stop()
    return N / elapsed


def central_rate(broker: MosquittoBroker, pw: dict[str, str], db_url: str) -> float:
    url = BrokerURL("mqtt", "127.0.0.1", broker.port, "central", pw["central"])
    store = CentralStore(db_url)
    svc = CentralService(store, url, client_id="central-bench")
    svc.start()
    svc.wait_connected(10)
    time.sleep(0.5)
    svc.stop()
    publish_backlog(broker, pw, make_events(N))
    time.sleep(0.3)
    svc = CentralService(store, url, client_id="central-bench")
    svc.start()  # starts the ingest process, then connects in the background
    # The clock starts when central begins connecting, as the bare client's does: the
    # ingest process's start (~0.5 s of imports, once per service) is no more ingest
    # than the interpreter's own start-up, which neither timing counts.
    start = time.perf_counter()
    # Done when every event is committed and its ack handed to the broker.  No
    # listener runs in this process: it would compete with central for the GIL.
    wait_until(lambda: svc.stats["acked"] >= N, 600)
    elapsed = time.perf_counter() - start
    stored = svc.stats["stored"]
    svc.stop()
    store.close()
    if stored != N:
        raise SystemExit(f"central stored {stored} of {N}")
    return N / elapsed


def main() -> None:
    pw = {"central": "c-pw", "monitor": "m-pw", **{d: f"{d}-pw" for d in DEVICES}}
    bares, centrals = [], []
    for _ in range(RUNS):  # a fresh broker and database each time: no queue carries over
        with tempfile.TemporaryDirectory() as tmp:
            broker = MosquittoBroker(Path(tmp) / "broker", pw)
            broker.start()
            try:
                db_url = f"sqlite:///{tmp}/central.sqlite3"
                seed(db_url, 4, CHILDREN, DEVICES)
                bares.append(bare_rate(broker, pw))
                centrals.append(central_rate(broker, pw, db_url))
            finally:
                broker.stop()
    bare, central = statistics.median(bares), statistics.median(centrals)
    print(f"events: {N}")
    print(f"devices: {len(DEVICES)}")
    print(f"bare_subscriber_msgs_per_s: {bare:.0f}")
    print(f"central_events_per_s: {central:.0f}")
    print(f"ratio: {central / bare:.2f}")


if __name__ == "__main__":
    _ = ROOT
    main()
