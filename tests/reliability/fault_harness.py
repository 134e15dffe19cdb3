"""Faults at scale (issue 11): real processes, real faults, then count.

Mosquitto (tests/broker.py), ``lh-central serve`` as a subprocess (its ingest process is
a spawned child of it), and each Pi as ``lh-device simulate --headless`` fed ``tap UID``
lines on stdin, each behind its own TCP proxy to the broker (a cut link is the proxy
holding every byte).  While taps flow the faults run in turn: ``kill -9`` of the broker,
of central, of central's ingest process, of broker and central together, and of a Pi;
SIGSTOP/SIGCONT of central, the broker, the ingest process and a Pi; a cut link; and a
Pi clock jump (the Pi restarts with its clock hours ahead, as a Pi without a real-time
clock does when it boots without NTP; ``simulate --clock``).

Then everything is healed, the outboxes drain, and :func:`check` counts: every tap a Pi
confirmed stored once at central, no sequence gaps, no acked row left in an outbox, and
each child's presence (central's, and the Pi's) equal to its last tap.

Used by tests/reliability/test_faults_at_scale.py (short form) and bench/faults.py (full).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select

from tests.broker import MosquittoBroker

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Europe/Stockholm")
PASSWORDS = {"central": "central-pw", "monitor": "monitor-pw"}
DEPARTMENTS = ["solen", "manen", "stjarnan", "molnet", "regnet"]


@dataclass
class Profile:
    """How big and how long: the short form runs in CI, the full form is documented."""

    taps: int
    pis: int = 3
    children_per_pi: int = 6
    rate_per_pi: float = 4.0
    """Taps per second per Pi (while it runs)."""
    down_s: float = 1.0
    """How long a killed process stays down, and a SIGSTOP lasts."""
    cut_s: float = 6.0
    clock_jump: dt.timedelta = dt.timedelta(hours=3)
    keepalive_s: int = 5
    ack_timeout_s: float = 5.0
    gap_s: float = 0.5
    """Calm between two faults."""
    drain_timeout_s: float = 90.0
    repeat_faults: bool = False
    """Cycle through the faults until the taps are done (the full form)."""


SHORT = Profile(taps=200, rate_per_pi=3.0, down_s=0.7, cut_s=3.0, gap_s=0.3)
FULL = Profile(
    taps=10_000,
    rate_per_pi=10.0,
    down_s=3.0,
    cut_s=120.0,
    keepalive_s=30,
    ack_timeout_s=15.0,
    gap_s=3.0,
    drain_timeout_s=300.0,
    repeat_faults=True,
)


def _uid(pi: int, child: int) -> str:
    return f"04{pi + 1:02X}{child + 1:02X}7E"


# -- a link that can be cut -------------------------------------------------------------


class CuttableLink:
    """A TCP proxy between one Pi and the broker; :meth:`cut` holds every byte both ways
    (the sockets stay open, as when a switch or Wi-Fi drops), :meth:`heal` lets them flow."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flowing = threading.Event()
        self.flowing.set()
        self._stop = threading.Event()
        self._srv = socket.socket()
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(16)
        self._srv.settimeout(0.2)
        self.port = int(self._srv.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True, name=f"link-{self.port}").start()

    def cut(self) -> None:
        self.flowing.clear()

    def heal(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._stop.set()
        self.flowing.set()
        self._srv.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                a, _ = self._srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._pump, args=(a,), daemon=True).start()

    def _pump(self, a: socket.socket) -> None:
        try:
            b = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
        except OSError:
            a.close()
            return
        try:
            while not self._stop.is_set():
                if not self.flowing.is_set():
                    self.flowing.wait(0.2)
                    continue
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            a.close()
            b.close()


# -- processes ----------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Central:
    """``lh-central serve`` as a process of its own, so ``kill -9`` is real."""

    def __init__(self, db_url: str, broker: MosquittoBroker, log: Path) -> None:
        self.db_url, self.broker, self.log = db_url, broker, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "central.cli",
                    "serve",
                    "--db",
                    self.db_url,
                    "--broker",
                    f"mqtt://central:{PASSWORDS['central']}@127.0.0.1:{self.broker.port}",
                    "--log-level",
                    "WARNING",
                ],
                cwd=ROOT,
                stdout=fh,
                stderr=fh,
            )

    def ingest_pid(self) -> int | None:
        """The spawned ingest process (not multiprocessing's resource tracker)."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        for c in _children(self.proc.pid):
            cmd = _cmdline(c)
            if "spawn_main" in cmd and "resource_tracker" not in cmd:
                return c
        return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Pi:
    """One hallway device process behind its own cuttable link."""

    device_id: str
    config: Path
    store_path: Path
    link: CuttableLink
    uids: list[str]
    log: Path
    clock_offset: dt.timedelta = dt.timedelta(0)
    proc: subprocess.Popen[str] | None = None
    confirmed: list[tuple[int, str, str]] = field(default_factory=list)
    """(seq, child id, check_in|check_out) of each tap the Pi said was done."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopped: bool = False

    def start(self) -> None:
        cmd = [sys.executable, "-m", "device.cli", "simulate", "--config", str(self.config), "--headless"]
        if self.clock_offset:
            at = dt.datetime.now(TZ) + self.clock_offset
            cmd += ["--clock", at.strftime("%H:%M")]
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        with open(self.log, "ab") as err:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, env=env
            )
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()
        with self.lock:
            self.proc = proc
            self.stopped = False

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 5 and parts[0] == "tap:" and parts[3] == "seq":
                with self.lock:
                    self.confirmed.append((int(parts[4]), parts[2], parts[1]))
        proc.stdout.close()

    def alive(self) -> bool:
        with self.lock:
            return self.proc is not None and self.proc.poll() is None and not self.stopped

    def send(self, line: str) -> None:
        with self.lock:
            proc = self.proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()

    def kill(self) -> None:
        with self.lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()

    def quit(self) -> None:
        with self.lock:
            proc = self.proc
        if proc is None:
            return
        self.send("quit")
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()

    def pause(self, on: bool) -> None:
        with self.lock:
            proc = self.proc
            self.stopped = on
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGSTOP if on else signal.SIGCONT)

    def outbox(self) -> tuple[int, int, list[str]]:
        """(pending rows, rejected rows, every event id) read without the device's help."""
        con = sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute("SELECT event_id, state FROM outbox").fetchall()
        finally:
            con.close()
        pending = sum(1 for _, s in rows if s == "pending")
        return pending, len(rows) - pending, [e for e, _ in rows]

    def next_seq(self) -> int:
        con = sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()
        finally:
            con.close()
        return int(row[0]) if row else 1

    def presence(self) -> dict[str, str]:
        con = sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True, timeout=10)
        try:
            return dict(con.execute("SELECT child_id, status FROM presence").fetchall())
        finally:
            con.close()


# -- the run ------------------------------------------------------------------------------


@dataclass
class Result:
    taps_confirmed: int = 0
    stored: int = 0
    duplicated: int = 0
    lost: int = 0
    gaps: int = 0
    acked_left_in_outbox: int = 0
    pending_left: int = 0
    rejected: int = 0
    presence_mismatches: int = 0
    device_presence_mismatches: int = 0
    faults: int = 0
    fault_counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"taps_confirmed: {self.taps_confirmed}",
            f"stored: {self.stored}",
            f"duplicated: {self.duplicated}",
            f"lost: {self.lost}",
            f"sequence_gaps: {self.gaps}",
            f"acked_rows_left_in_outbox: {self.acked_left_in_outbox}",
            f"pending_left_in_outbox: {self.pending_left}",
            f"rejected: {self.rejected}",
            f"presence_mismatches: {self.presence_mismatches} (central), "
            f"{self.device_presence_mismatches} (Pis)",
            f"faults: {self.faults} ({', '.join(f'{k} {v}' for k, v in sorted(self.fault_counts.items()))})",
            f"seconds: {self.seconds:.0f}",
        ]


def seed(db_url: str, pis: int, children: int) -> bytes:
    from central.importer import apply, parse
    from central.store import CentralStore

    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    assert key is not None
    lines = [
        "department_id,department_name,child_id,child_first_name,child_last_name,guardian_id,"
        "guardian_name,guardian_phone,guardian_email,tag_uid"
    ]
    for p in range(pis):
        d = DEPARTMENTS[p % len(DEPARTMENTS)] + (str(p) if p >= len(DEPARTMENTS) else "")
        for c in range(children):
            # One guardian per child: one tap is one event.
            lines.append(f"{d},{d.title()},c-{p}-{c},Barn,Nummer{c},g-{p}-{c},Vh Nummer{c},,,{_uid(p, c)}")
    with store.session() as s, s.begin():
        apply(s, parse("\n".join(lines) + "\n", key))
    for p in range(pis):
        d = DEPARTMENTS[p % len(DEPARTMENTS)] + (str(p) if p >= len(DEPARTMENTS) else "")
        store.add_device(f"pi-{p}", d)
    store.close()
    return key


class Run:
    def __init__(self, workdir: Path, db_url: str, profile: Profile, seed_: int = 11) -> None:
        self.dir = workdir
        self.db_url = db_url
        self.p = profile
        self.rng = random.Random(seed_)
        self.result = Result()
        self._stop_tapping = threading.Event()
        self._faults_done = threading.Event()
        users = dict(PASSWORDS) | {f"pi-{i}": f"pw-{i}" for i in range(profile.pis)}
        self.broker = MosquittoBroker(workdir / "broker", users)
        self.central = Central(db_url, self.broker, workdir / "central.log")
        self.pis: list[Pi] = []
        self._t0 = time.monotonic()
        self.log: Callable[[str], None] = lambda _m: None

    # -- set-up --

    def _make_pis(self, key: bytes) -> None:
        keyfile = self.dir / "tag.key"
        keyfile.write_text(key.hex())
        for i in range(self.p.pis):
            dev = f"pi-{i}"
            pw = self.dir / f"{dev}.password"
            pw.write_text(f"pw-{i}")
            link = CuttableLink(self.broker.port)
            store = self.dir / f"{dev}.sqlite3"
            cfg = self.dir / f"{dev}.toml"
            cfg.write_text(
                f'device_id = "{dev}"\ntag_key_file = "{keyfile}"\n'
                f'[mqtt]\nurl = "mqtt://127.0.0.1:{link.port}"\npassword_file = "{pw}"\n'
                f"reconnect_min_s = 0.5\nreconnect_max_s = 2.0\n"
                f"ack_timeout_s = {self.p.ack_timeout_s}\nkeepalive_s = {self.p.keepalive_s}\n"
                f'[store]\npath = "{store}"\n'
            )
            uids = [_uid(i, c) for c in range(self.p.children_per_pi)]
            self.pis.append(Pi(dev, cfg, store, link, uids, self.dir / f"{dev}.log"))

    def _wait(self, pred: Callable[[], Any], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s")
            time.sleep(0.1)

    def _roster_cached(self, pi: Pi) -> bool:
        try:
            con = sqlite3.connect(f"file:{pi.store_path}?mode=ro", uri=True, timeout=10)
            try:
                return con.execute("SELECT count(*) FROM roster_cache").fetchone()[0] > 0
            finally:
                con.close()
        except sqlite3.Error:
            return False

    # -- tapping --

    def _confirmed(self) -> int:
        return sum(len(pi.confirmed) for pi in self.pis)

    def _tapper(self, pi: Pi) -> None:
        rng = random.Random(pi.device_id)
        period = 1.0 / self.p.rate_per_pi
        nxt = time.monotonic()
        while not self._stop_tapping.is_set():
            if self._faults_done.is_set() and self._confirmed() >= self.p.taps:
                return
            if pi.alive():
                pi.send(f"tap {rng.choice(pi.uids)}")
            nxt += period
            time.sleep(max(0.0, nxt - time.monotonic()))

    # -- faults --

    def _fault(self, name: str) -> None:
        self.result.faults += 1
        self.result.fault_counts[name] += 1
        self.log(
            f"{time.monotonic() - self._t0:6.1f} s fault {self.result.faults}: {name} "
            f"(taps confirmed so far {self._confirmed()})"
        )

    def _pause(self, pid: int | None, name: str) -> None:
        if pid is None:
            self.result.notes.append(f"{name}: no process to pause")
            return
        self._fault(name)
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(self.p.down_s)
        finally:
            os.kill(pid, signal.SIGCONT)

    def _ingest_pid(self, timeout: float = 20.0) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.central.ingest_pid()
            if pid is not None:
                return pid
            time.sleep(0.1)
        return None

    def faults(self) -> list[tuple[str, Callable[[], None]]]:
        p = self.p

        def kill_broker() -> None:
            self._fault("kill -9 broker")
            self.broker.kill()
            time.sleep(p.down_s)
            self.broker.start()

        def kill_central() -> None:
            self._fault("kill -9 central")
            self.central.kill()
            time.sleep(p.down_s)
            self.central.start()

        def kill_ingest() -> None:
            pid = self._ingest_pid()
            if pid is None:
                self.result.notes.append("kill -9 ingest: no ingest process found")
                return
            self._fault("kill -9 central's ingest process")
            os.kill(pid, signal.SIGKILL)

        def kill_both() -> None:
            self._fault("kill -9 broker and central together")
            self.broker.kill()
            self.central.kill()
            time.sleep(p.down_s)
            self.broker.start()
            self.central.start()

        def kill_pi() -> None:
            pi = self.rng.choice(self.pis)
            self._fault("kill -9 a Pi")
            pi.kill()
            time.sleep(p.down_s)
            pi.start()

        def stop_central() -> None:
            self._pause(self.central.proc.pid if self.central.proc else None, "SIGSTOP central")

        def stop_ingest() -> None:
            self._pause(self._ingest_pid(), "SIGSTOP central's ingest process")

        def stop_broker() -> None:
            self._pause(self.broker.proc.pid if self.broker.proc else None, "SIGSTOP broker")

        def stop_pi() -> None:
            pi = self.rng.choice(self.pis)
            self._fault("SIGSTOP a Pi")
            pi.pause(True)
            try:
                time.sleep(p.down_s)
            finally:
                pi.pause(False)

        def cut_link() -> None:
            pi = self.rng.choice(self.pis)
            self._fault("cut link of a Pi")
            pi.link.cut()
            try:
                time.sleep(p.cut_s)
            finally:
                pi.link.heal()

        def clock_jump() -> None:
            pi = self.pis[-1]
            now = dt.datetime.now(TZ)
            jumped = now + pi.clock_offset + p.clock_jump
            if jumped.date() != now.date():
                # --clock sets a time of today: past midnight it would jump backwards.
                self.result.notes.append("clock jump skipped: it would cross local midnight")
                return
            self._fault("Pi clock jump (restart with the clock ahead)")
            pi.kill()
            pi.clock_offset += p.clock_jump
            pi.start()

        return [
            ("kill -9 ingest", kill_ingest),  # first: central's first ingest process is up
            ("kill -9 broker", kill_broker),
            ("kill -9 central", kill_central),
            ("kill -9 broker and central", kill_both),
            ("kill -9 Pi", kill_pi),
            ("clock jump", clock_jump),
            ("cut link", cut_link),
            ("SIGSTOP central", stop_central),
            ("SIGSTOP ingest", stop_ingest),
            ("SIGSTOP broker", stop_broker),
            ("SIGSTOP Pi", stop_pi),
        ]

    # -- the whole thing --

    def run(self) -> Result:
        t0 = self._t0 = time.monotonic()
        key = seed(self.db_url, self.p.pis, self.p.children_per_pi)
        self.log(f"{time.monotonic() - t0:6.1f} s seeded")
        self.broker.start()
        self.central.start()
        self._make_pis(key)
        tappers: list[threading.Thread] = []
        try:
            for pi in self.pis:
                pi.start()
            for pi in self.pis:
                self._wait(lambda pi=pi: self._roster_cached(pi), 60, f"{pi.device_id} got no roster")
            self.log(f"{time.monotonic() - t0:6.1f} s Pis have their rosters")
            for pi in self.pis:
                t = threading.Thread(target=self._tapper, args=(pi,), daemon=True)
                t.start()
                tappers.append(t)
            faults = self.faults()
            while True:
                for _name, fn in faults:
                    time.sleep(self.p.gap_s)
                    fn()
                    if self.p.repeat_faults and self._confirmed() >= self.p.taps:
                        break
                if not self.p.repeat_faults or self._confirmed() >= self.p.taps:
                    break
            self._faults_done.set()
            self.log("faults done; tapping on until the count is reached")
            for t in tappers:
                t.join(timeout=3600)
            self.log(f"{time.monotonic() - t0:6.1f} s taps done: {self._confirmed()}; draining")
            time.sleep(1.0)  # the last taps' output
            self._wait(
                lambda: all(pi.outbox()[0] == 0 for pi in self.pis),
                self.p.drain_timeout_s,
                "outboxes did not drain",
            )
            self._wait(self._device_presence_settled, 30, "Pi presence did not follow")
            self.log(f"{time.monotonic() - t0:6.1f} s drained")
        except AssertionError as exc:
            self.result.notes.append(str(exc))
        finally:
            self._stop_tapping.set()
            for pi in self.pis:
                pi.pause(False)
                pi.quit()
                pi.link.close()
            self.central.stop()
            self.broker.stop()
        self.check()
        self.result.seconds = time.monotonic() - t0
        return self.result

    def _want(self) -> dict[str, str]:
        """child id -> status after its last tap, by device seq (the Pi's own order): the last
        tap a Pi confirmed, or a later one it committed but was killed before it could say so
        (then the stored event is the truth)."""
        from central.db.schema import EventRow
        from central.store import CentralStore

        last: dict[str, tuple[int, str]] = {}
        for pi in self.pis:
            for seq, child, kind in list(pi.confirmed):
                if child not in last or seq > last[child][0]:
                    last[child] = (seq, "present" if kind == "check_in" else "gone")
        store = CentralStore(self.db_url, run_migrations=False)
        try:
            with store.session() as s:
                for _dev, seq, child, kind in s.execute(
                    sa_select(EventRow.device_id, EventRow.seq, EventRow.child_id, EventRow.type)
                ):
                    if child not in last or seq > last[child][0]:
                        last[child] = (seq, "present" if kind == "check_in" else "gone")
        finally:
            store.close()
        return {c: st for c, (_, st) in last.items()}

    def _device_presence(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for pi in self.pis:
            mine = f"c-{pi.device_id[3:]}-"
            out |= {c: st for c, st in pi.presence().items() if c.startswith(mine)}
        return out

    def _device_presence_settled(self) -> bool:
        want = self._want()
        have = self._device_presence()
        return all(have.get(c) == st for c, st in want.items())

    def check(self) -> None:
        from central.db.schema import DeadLetter, EventRow, Presence
        from central.store import CentralStore

        r = self.result
        r.taps_confirmed = self._confirmed()
        store = CentralStore(self.db_url, run_migrations=False)
        try:
            with store.session() as s:
                rows = s.execute(sa_select(EventRow.event_id, EventRow.device_id, EventRow.seq)).all()
                presence = dict(s.execute(sa_select(Presence.child_id, Presence.status)).all())
                rejected = s.scalar(
                    sa_select(func.count())
                    .select_from(DeadLetter)
                    .where(~DeadLetter.reason.startswith("flag:"))
                )
        finally:
            store.close()
        r.stored = len(rows)
        r.rejected = int(rejected or 0)
        by_dev: dict[str, Counter[int]] = defaultdict(Counter)
        stored_ids = set()
        for eid, dev, seq in rows:
            by_dev[dev][seq] += 1
            stored_ids.add(eid)
        r.duplicated = sum(n - 1 for c in by_dev.values() for n in c.values() if n > 1)
        for pi in self.pis:
            seqs = by_dev.get(pi.device_id, Counter())
            r.lost += sum(1 for seq, _, _ in pi.confirmed if seq not in seqs)
            committed = pi.next_seq() - 1  # everything the Pi ever committed
            r.gaps += sum(1 for q in range(1, committed + 1) if q not in seqs)
            r.gaps += sum(1 for q in seqs if q > committed)  # stored but never committed?
            pending, rej, ids = pi.outbox()
            r.pending_left += pending
            r.rejected += rej
            r.acked_left_in_outbox += sum(1 for e in ids if e in stored_ids)
        want = self._want()
        r.presence_mismatches = sum(1 for c, st in want.items() if presence.get(c) != st)
        device = self._device_presence()
        r.device_presence_mismatches = sum(1 for c, st in want.items() if device.get(c) != st)

    def ok(self) -> bool:
        r = self.result
        return (
            r.taps_confirmed >= self.p.taps
            and r.lost == 0
            and r.duplicated == 0
            and r.gaps == 0
            and r.acked_left_in_outbox == 0
            and r.pending_left == 0
            and r.rejected == 0
            and r.presence_mismatches == 0
            and r.device_presence_mismatches == 0
            and r.stored >= r.taps_confirmed
            and not [n for n in r.notes if "not within" in n]
        )
