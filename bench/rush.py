"""The morning rush (issue 11): 500 hallway Pis, 10,000 children, one Mosquitto, central
on PostgreSQL; tap-to-ack latency at the rush, central's CPU, and one central against two.

Set-up, fresh for each configuration (one central, then two):
- Mosquitto from broker_config/dev's template (loopback, no TLS) plus the production
  guard (``lh_guard.so`` built here, the ``plugin_opt_*`` lines of
  broker_config/mosquitto.conf: publish_rate 5/s, burst 100 per device user), a password
  file with all 500 devices, central and monitor, and the project's ACL;
- a PostgreSQL database (``scripts/postgres``; ``--db sqlite`` for a SQLite file) filled
  by ``lh-central import`` from a generated CSV: 500 departments of 20 children, one
  guardian each; each department's device added as ``lh-central device add`` does
  (``CentralStore.add_device``: 500 CLI starts would take minutes);
- ``lh-central serve`` as its own process(es), ``--client-id central-1`` (and
  ``central-2``: the same ``$share/central/...`` group splits the events);
- the Pis: 500 paho MQTT v5 clients, each its own connection and credentials, in
  WORKERS processes (each a single-threaded selector loop, no paho threads, so the load
  generator stays small on 2 cores).  Each subscribes to its acks and roster, publishes
  its retained online status, then waits for its first roster.

Phases, in each configuration:
- rush: every child checked in once, in random order, arrival times a Poisson process
  compressed into RUSH_S seconds (150 s, a morning's rush; ``--fast``: 60 s).  A tap is
  one lh.event (protocol.messages.Event, protocol.codec.encode) published QoS 1 to the
  device's events topic; tap-to-ack is from just before the publish to central's
  lh.ack for that event id arriving on the device's acks topic.  A tap not acked within
  ACK_TIMEOUT_S counts as unacked (and as ACK_TIMEOUT_S in the percentiles).
- capacity: every device publishes its 20 children's check-outs at once (10,000 events,
  within the guard's burst of 100); throughput = events acked / seconds from the first
  publish to the last ack.  This is what ``scale_2_over_1`` compares: with the rush's
  fixed offered rate both configurations just keep up.

Central's CPU seconds: utime + stime from /proc/PID/stat of every ``lh-central serve``
process and its descendants (the ingest process), counted over each phase.

Prints ``name: value`` lines; ``# `` lines on stderr say what the figures mean.
"""

from __future__ import annotations

import argparse
import getpass
import multiprocessing as mp
import os
import random
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT

DEVICES = 500
CHILDREN_PER_DEPT = 20
RUSH_S = 150.0
FAST_RUSH_S = 60.0
WORKERS = 2
ACK_TIMEOUT_S = 30.0
CAPACITY_TIMEOUT_S = 120.0
SEED = 11


def _say(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def dev_id(d: int) -> str:
    return f"pi-{d:03d}"


# -- the broker ------------------------------------------------------------------------


def _guard_lines(folder: Path) -> str:
    """The production config's plugin lines, pointing at a guard built in ``folder``."""
    prod = (ROOT / "broker_config" / "mosquitto.conf").read_text()
    lines = [ln for ln in prod.splitlines() if ln.startswith("plugin")]
    return "\n".join(lines).replace("${dir}", str(folder)) + "\n"


class GuardedBroker:
    """tests.broker.MosquittoBroker's dev config plus the guard plugin, as a site has it."""

    def __init__(self, workdir: Path, users: dict[str, str]) -> None:
        from tests.broker import MosquittoBroker

        self.inner = MosquittoBroker(workdir, users)
        self.dir = workdir
        self.pid: int | None = None

    @property
    def port(self) -> int:
        return self.inner.port

    def start(self) -> None:
        from provisioning.broker import build_guard

        shutil.copy(ROOT / "broker_config" / "lh_guard.c", self.dir / "lh_guard.c")
        build_guard(self.dir)
        inner = self.inner
        original = inner.write_files

        def write_files() -> None:
            original()
            text = inner.conf.read_text()
            # The dev template autosaves every second (tests kill the broker); a site's
            # config autosaves every 60 s.  The rush measures the site.
            text = re.sub(r"^autosave_interval .*$", "autosave_interval 60", text, flags=re.M)
            inner.conf.write_text(text + _guard_lines(self.dir))

        inner.write_files = write_files  # type: ignore[method-assign]
        inner.start()
        assert inner.proc is not None
        self.pid = inner.proc.pid

    def stop(self) -> None:
        self.inner.stop()

    def guard_loaded(self) -> bool:
        return "lh_guard" in self.inner.log.read_text()


# -- the database ----------------------------------------------------------------------


def _lh_central(*args: str) -> None:
    exe = Path(sys.executable).with_name("lh-central")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "central.cli"]
    subprocess.run([*cmd, *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def make_db(kind: str, tmp: Path, name: str) -> tuple[str, Any]:
    """A fresh database: its URL and a function that removes it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/{name}.sqlite3", lambda: None
    import sqlalchemy as sa

    admin_url = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres")], check=True, capture_output=True, text=True
    ).stdout.strip()
    db = f"lh_rush_{name}_{os.getpid()}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}"'))
        c.execute(sa.text(f'CREATE DATABASE "{db}"'))

    def drop() -> None:
        with engine.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        engine.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + db, drop


def fill_db(db_url: str, tmp: Path, *, via_cli: bool) -> None:
    """500 departments of 20 children, one guardian each, and one device per department.

    ``via_cli``: ``lh-central import`` of the generated CSV (as a site would); it took
    29 s for 1,000 rows on the loaded 2-core machine (a get and a flush per row), far
    past this bench's budget for 10,000, so by default the same rows go in with one
    bulk insert of the same tables (docs/decisions.md).
    """
    import sqlalchemy as sa

    from central.db.schema import Child, ChildGuardian, Department, Guardian
    from central.store import CentralStore

    if via_cli:
        csv = tmp / "children.csv"
        lines = [
            "department_id,department_name,child_id,child_first_name,child_last_name,guardian_id,"
            "guardian_name,guardian_phone,guardian_email,tag_uid"
        ]
        for d in range(DEVICES):
            for i in range(CHILDREN_PER_DEPT):
                lines.append(f"d{d},Avdelning {d},c{d}-{i},Barn,Nummer{i},g{d}-{i},Vårdnadshavare {i},,,")
        csv.write_text("\n".join(lines) + "\n")
        _lh_central("import", str(csv), "--db", db_url, "--yes")
    store = CentralStore(db_url)
    try:
        store.tag_key(create=True)
        if not via_cli:
            kids = [(d, i) for d in range(DEVICES) for i in range(CHILDREN_PER_DEPT)]
            with store.session() as s, s.begin():
                s.execute(
                    sa.insert(Department), [{"id": f"d{d}", "name": f"Avdelning {d}"} for d in range(DEVICES)]
                )
                s.execute(
                    sa.insert(Child),
                    [
                        {
                            "id": f"c{d}-{i}",
                            "first_name": "Barn",
                            "last_name": f"Nummer{i}",
                            "department_id": f"d{d}",
                        }
                        for d, i in kids
                    ],
                )
                s.execute(
                    sa.insert(Guardian), [{"id": f"g{d}-{i}", "name": f"Vårdnadshavare {i}"} for d, i in kids]
                )
                s.execute(
                    sa.insert(ChildGuardian),
                    [{"child_id": f"c{d}-{i}", "guardian_id": f"g{d}-{i}"} for d, i in kids],
                )
        for d in range(DEVICES):
            store.add_device(dev_id(d), f"d{d}")  # what `lh-central device add` does
    finally:
        store.close()


# -- central ---------------------------------------------------------------------------


def start_central(n: int, db_url: str, port: int, password: str, tmp: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("lh-central")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "central.cli"]
    with open(tmp / f"central-{n}.log", "ab") as log:
        return subprocess.Popen(
            [
                *cmd,
                "serve",
                "--db",
                db_url,
                "--broker",
                f"mqtt://central:{password}@127.0.0.1:{port}",
                "--client-id",
                f"central-{n}",
                "--log-level",
                "WARNING",
            ],
            stdout=log,
            stderr=log,
            cwd=ROOT,
        )


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes and all their descendants (alive now)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        todo.extend(_children_of(pid))
    return total / tick


# -- the Pis (worker processes) --------------------------------------------------------


@dataclass
class Pi:
    device_id: str
    client: Any
    seq: int = 0
    connected: bool = False
    subscribed: bool = False
    roster: int = 0


def pis_worker(port: int, devices: list[tuple[str, str, list[tuple[str, str]]]], conn: Any) -> None:
    """Run ``devices`` (id, password, [(child, guardian)...]) as MQTT clients in one thread.

    Commands on ``conn``: ("rush", [(t_monotonic, device, child, guardian)...]),
    ("burst", "check_out"), ("stop",).  Replies: "ready", then per phase a dict of
    results.  The loop never blocks longer than 5 ms past a due publish.
    """
    import heapq

    import paho.mqtt.client as mqtt

    from protocol.codec import encode
    from protocol.messages import Actor, ActorKind, DeviceStatus, Event, EventMethod, EventType

    sel = selectors.DefaultSelector()
    pis: dict[str, Pi] = {}
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    statuses: dict[str, int] = {}
    pending: set[str] = set()

    def on_connect(c: Any, pi: Pi, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            raise SystemExit(f"{pi.device_id}: broker refused: {rc}")
        pi.connected = True
        c.subscribe([(f"lh/v1/dev/{pi.device_id}/acks", 1), (f"lh/v1/dev/{pi.device_id}/roster", 1)])
        status = DeviceStatus(state="online", boot_id=uuid.uuid4().hex, version="0.2.0", outbox_depth=0)
        c.publish(f"lh/v1/dev/{pi.device_id}/status", encode(status), qos=1, retain=True)

    def on_subscribe(_c: Any, pi: Pi, _mid: int, rcs: list[Any], _p: Any = None) -> None:
        if any(rc.is_failure for rc in rcs):
            raise SystemExit(f"{pi.device_id}: subscription refused: {rcs}")
        pi.subscribed = True

    def on_message(_c: Any, pi: Pi, msg: Any) -> None:
        now = time.perf_counter()
        if msg.topic.endswith("/roster"):
            pi.roster += 1
            return
        import json

        for r in json.loads(msg.payload)["results"]:
            eid = r["event_id"]
            if eid not in got:
                got[eid] = now
                pending.discard(eid)
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1

    for device_id, password, _children in devices:
        pi = Pi(device_id, None)
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=device_id,
            protocol=mqtt.MQTTv5,
            userdata=pi,
            reconnect_on_failure=False,
        )
        c.username_pw_set(device_id, password)
        c.will_set(
            f"lh/v1/dev/{device_id}/status",
            encode(DeviceStatus(state="offline")),
            qos=1,
            retain=True,
        )
        c.on_connect = on_connect
        c.on_subscribe = on_subscribe
        c.on_message = on_message
        c.connect("127.0.0.1", port, keepalive=60)
        sel.register(c.socket(), selectors.EVENT_READ, c)
        pi.client = c
        pis[device_id] = pi
    sel.register(conn, selectors.EVENT_READ, None)

    due: list[tuple[float, int, str, str, str, str]] = []  # (t, n, device, child, guardian, type)
    n_pushed = 0
    phase: str | None = None
    phase_ids: list[str] = []
    phase_first = 0.0
    deadline = 0.0
    ready_sent = False
    last_misc = 0.0
    running = True

    def tap(device_id: str, child: str, guardian: str, kind: str) -> None:
        pi = pis[device_id]
        pi.seq += 1
        ev = Event(
            event_id=uuid.uuid4(),
            device_id=device_id,
            seq=pi.seq,
            type=EventType(kind),
            child_id=child,
            actor=Actor(kind=ActorKind.GUARDIAN, id=guardian),
            method=EventMethod.TAG,
            occurred_at=datetime.now(UTC),
            clock_synced=True,
        )
        eid = str(ev.event_id)
        phase_ids.append(eid)
        pending.add(eid)
        sent[eid] = time.perf_counter()
        pi.client.publish(f"lh/v1/dev/{device_id}/events", encode(ev), qos=1)

    while running:
        now = time.monotonic()
        while due and due[0][0] <= now:
            _t, _n, device_id, child, guardian, kind = heapq.heappop(due)
            tap(device_id, child, guardian, kind)
        timeout = 0.05 if not due else max(0.0, min(0.05, due[0][0] - time.monotonic()))
        for key, _ in sel.select(timeout):
            if key.data is None:
                cmd = conn.recv()
                if cmd[0] == "stop":
                    running = False
                elif cmd[0] == "rush":
                    phase, phase_ids[:] = "rush", []
                    for t, device_id, child, guardian in cmd[1]:
                        n_pushed += 1
                        heapq.heappush(due, (t, n_pushed, device_id, child, guardian, "check_in"))
                    deadline = max(t for t, *_ in cmd[1]) + ACK_TIMEOUT_S
                    phase_first = 0.0
                elif cmd[0] == "burst":
                    phase, phase_ids[:] = "burst", []
                    phase_first = time.perf_counter()
                    for device_id, _pw, children in devices:
                        for child, guardian in children:
                            tap(device_id, child, guardian, cmd[1])
                    deadline = time.monotonic() + CAPACITY_TIMEOUT_S
            else:
                key.data.loop_read(100)
        for pi in pis.values():
            if pi.client.want_write():
                pi.client.loop_write()
        if now - last_misc > 1.0:
            last_misc = now
            for pi in pis.values():
                pi.client.loop_misc()
        if not ready_sent and all(p.subscribed and p.roster > 0 for p in pis.values()):
            ready_sent = True
            conn.send("ready")
        if phase is not None and not due and (not pending or time.monotonic() > deadline):
            lat = [got[e] - sent[e] for e in phase_ids if e in got]
            acked_at = [got[e] for e in phase_ids if e in got]
            first = min(sent[e] for e in phase_ids) if phase_ids else 0.0
            conn.send(
                {
                    "phase": phase,
                    "latencies": lat,
                    "unacked": len(phase_ids) - len(lat),
                    "first_sent": phase_first or first,
                    "last_ack": max(acked_at) if acked_at else 0.0,
                    "statuses": dict(statuses),
                    "rosters": sum(p.roster for p in pis.values()),
                }
            )
            statuses.clear()
            pending.clear()
            phase = None
    for pi in pis.values():
        pi.client.disconnect()
        pi.client.loop_write()
    conn.send("stopped")


# -- one configuration -----------------------------------------------------------------


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return 1000 * s[min(len(s) - 1, int(q / 100 * len(s)))]


def run_config(instances: int, args: argparse.Namespace, tmp: Path, db_url: str) -> dict[str, float]:
    rng = random.Random(SEED)
    passwords = {dev_id(d): f"pw-{d}-{rng.getrandbits(32):x}" for d in range(DEVICES)}
    users = {"central": "central-pw", "monitor": "monitor-pw", **passwords}
    broker = GuardedBroker(tmp / f"broker-{instances}", users)
    centrals: list[subprocess.Popen[bytes]] = []
    workers: list[tuple[Any, Any]] = []
    try:
        broker.start()
        if not broker.guard_loaded():
            time.sleep(0.5)
        centrals = [start_central(n + 1, db_url, broker.port, "central-pw", tmp) for n in range(instances)]
        # The Pis: each worker gets every WORKERS-th device.
        ctx = mp.get_context("spawn")
        for w in range(WORKERS):
            mine = [
                (
                    dev_id(d),
                    passwords[dev_id(d)],
                    [(f"c{d}-{i}", f"g{d}-{i}") for i in range(CHILDREN_PER_DEPT)],
                )
                for d in range(w, DEVICES, WORKERS)
            ]
            parent, child = ctx.Pipe()
            p = ctx.Process(target=pis_worker, args=(broker.port, mine, child), daemon=True)
            p.start()
            workers.append((p, parent))
        t = time.perf_counter()
        for _p, conn in workers:
            if not conn.poll(120):
                raise SystemExit("the Pis did not all connect and get a roster within 120 s")
            assert conn.recv() == "ready"
        _say(f"{DEVICES} Pis connected, subscribed, each with a roster, in {time.perf_counter() - t:.1f} s")
        pids = [c.pid for c in centrals]
        # Settle: central's start-up roster publishing is over when it idles.
        for _ in range(30):
            a = cpu_seconds(pids)
            time.sleep(1.0)
            if cpu_seconds(pids) - a < 0.15 * instances:
                break
        if any(c.poll() is not None for c in centrals):
            raise SystemExit(f"central exited: {(tmp / 'central-1.log').read_text()[-2000:]}")

        # Rush: Poisson arrivals, every child once, in RUSH_S seconds.
        rush_s = FAST_RUSH_S if args.fast else RUSH_S
        n = DEVICES * CHILDREN_PER_DEPT
        children = [(d, i) for d in range(DEVICES) for i in range(CHILDREN_PER_DEPT)]
        rng.shuffle(children)
        rate = n / rush_s
        start = time.monotonic() + 1.0
        at = start
        plans: list[list[tuple[float, str, str, str]]] = [[] for _ in range(WORKERS)]
        for d, i in children:
            at += rng.expovariate(rate)
            plans[d % WORKERS].append((at, dev_id(d), f"c{d}-{i}", f"g{d}-{i}"))
        _say(f"rush: {n} check-ins, Poisson arrivals at {rate:.0f}/s for ~{rush_s:.0f} s")
        cpu0, w0 = cpu_seconds(pids), time.perf_counter()
        for (_p, conn), plan in zip(workers, plans, strict=True):
            conn.send(("rush", plan))
        rush = [conn.recv() for _p, conn in workers]
        cpu_rush, wall_rush = cpu_seconds(pids) - cpu0, time.perf_counter() - w0
        lat = [x for r in rush for x in r["latencies"]]
        unacked = sum(r["unacked"] for r in rush)
        lat += [ACK_TIMEOUT_S] * unacked
        _say(f"rush done in {wall_rush:.0f} s; ack statuses {_merge(r['statuses'] for r in rush)}")

        time.sleep(3.0)  # rosters of the last check-ins out
        # Capacity: all 10,000 check-outs at once.
        cpu0 = cpu_seconds(pids)
        for _p, conn in workers:
            conn.send(("burst", "check_out"))
        burst = [conn.recv() for _p, conn in workers]
        cpu_burst = cpu_seconds(pids) - cpu0
        first = min(r["first_sent"] for r in burst)
        last = max(r["last_ack"] for r in burst)
        acked = sum(len(r["latencies"]) for r in burst)
        blat = [x for r in burst for x in r["latencies"]]
        _say(f"capacity done in {last - first:.1f} s; ack statuses {_merge(r['statuses'] for r in burst)}")
        return {
            "p50_ms": _pct(lat, 50),
            "p99_ms": _pct(lat, 99),
            "max_ms": 1000 * max(lat),
            "unacked": unacked,
            "rush_seconds": wall_rush,
            "central_cpu_s": cpu_rush,
            "capacity_events_per_s": acked / (last - first) if acked else 0.0,
            "capacity_unacked": sum(r["unacked"] for r in burst),
            "capacity_p99_ms": _pct(blat, 99),
            "capacity_central_cpu_s": cpu_burst,
            "capacity_events_per_cpu_s": acked / cpu_burst if cpu_burst else float("nan"),
        }
    finally:
        for p, conn in workers:
            try:
                conn.send(("stop",))
                if conn.poll(10):
                    conn.recv()
            except (OSError, EOFError):
                pass
            p.join(10)
            if p.is_alive():
                p.kill()
        for c in centrals:
            if c.poll() is None:
                c.terminate()
        for c in centrals:
            try:
                c.wait(15)
            except subprocess.TimeoutExpired:
                c.kill()
                c.wait(5)
        broker.stop()


def _merge(dicts: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help=f"compress the rush into {FAST_RUSH_S:.0f} s")
    ap.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--import-cli", action="store_true", help="lh-central import the CSV (slow)")
    ap.add_argument("--pis", type=int, default=DEVICES, help=argparse.SUPPRESS)  # smoke runs
    args = ap.parse_args()
    globals()["DEVICES"] = args.pis
    t0 = time.perf_counter()
    _ = getpass.getuser()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        # One database for both: the first configuration ends with every child checked
        # out, so the second's rush checks them all in again.
        db_url, drop_db = make_db(args.db, Path(tmp), "db")
        try:
            t = time.perf_counter()
            fill_db(db_url, Path(tmp), via_cli=args.import_cli)
            _say(f"database filled in {time.perf_counter() - t:.1f} s ({args.db})")
            one = run_config(1, args, Path(tmp), db_url)
            two = run_config(2, args, Path(tmp), db_url)
        finally:
            drop_db()
    _say("rush_*: tap -> central's ack on the device's acks topic, Poisson arrivals, 1 central")
    _say("capacity: all 10,000 check-outs published at once; events acked per second")
    _say("scale_2_over_1 = capacity events/s with 2 centrals / with 1 (same group, same machine);")
    _say("scale_cpu_2_over_1 = events per central CPU-second, 2 centrals / 1 (1.0 = no overhead)")
    print(f"pis: {DEVICES}")
    print(f"children: {DEVICES * CHILDREN_PER_DEPT}")
    print(f"db: {args.db}")
    print(f"rush_seconds: {one['rush_seconds']:.0f}")
    print(f"rush_p50_ms: {one['p50_ms']:.1f}")
    print(f"rush_p99_ms: {one['p99_ms']:.1f}")
    print(f"rush_max_ms: {one['max_ms']:.1f}")
    print(f"rush_unacked: {one['unacked']}")
    print(f"central_cpu_s: {one['central_cpu_s']:.1f}")
    print(f"rush_p50_ms_2c: {two['p50_ms']:.1f}")
    print(f"rush_p99_ms_2c: {two['p99_ms']:.1f}")
    print(f"rush_unacked_2c: {two['unacked']}")
    print(f"central_cpu_s_2c: {two['central_cpu_s']:.1f}")
    print(f"capacity_events_per_s: {one['capacity_events_per_s']:.0f}")
    print(f"capacity_events_per_s_2c: {two['capacity_events_per_s']:.0f}")
    print(f"capacity_p99_ms: {one['capacity_p99_ms']:.0f}")
    print(f"capacity_p99_ms_2c: {two['capacity_p99_ms']:.0f}")
    print(f"capacity_unacked: {one['capacity_unacked']}")
    print(f"capacity_unacked_2c: {two['capacity_unacked']}")
    print(f"capacity_central_cpu_s: {one['capacity_central_cpu_s']:.1f}")
    print(f"capacity_central_cpu_s_2c: {two['capacity_central_cpu_s']:.1f}")
    print(f"cores: {os.cpu_count()}")
    # The machine is shared: other runs' load makes every figure here worse.
    print(f"loadavg_1m_start: {load0:.1f}")
    print(f"loadavg_1m_end: {os.getloadavg()[0]:.1f}")

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    print(
        f"scale_cpu_2_over_1: {ratio(two['capacity_events_per_cpu_s'], one['capacity_events_per_cpu_s']):.2f}"
    )
    print(f"bench_seconds: {time.perf_counter() - t0:.0f}")
    print(f"scale_2_over_1: {ratio(two['capacity_events_per_s'], one['capacity_events_per_s']):.2f}")


if __name__ == "__main__":
    main()
