"""Issue 11, task 2: power cuts on the Pi's SQLite, during heavy writes.

A child process (``powercut_child.py``) records taps through ``DeviceStore.record`` - the
call the terminal makes before the guardian sees "done" - as fast as it can, while a
second thread does the MQTT side's writes (sent marks, acks, rosters). It prints each
confirmed seq after the call returned. It is SIGKILLed at a random moment, again and
again, on the same file. After every kill:

- the database opens (``PRAGMA integrity_check`` is ``ok``, and ``DeviceStore`` opens it);
- every seq printed as confirmed is in the outbox, unless an ack for it had begun;
- no row an ack had finished removing is back; seqs are never reused after a restart
  and ``next_seq`` is past every confirmed one.

CI kills it ``LH_POWERCUT_KILLS`` times (default 30); the documented full form is 100:
``LH_POWERCUT_KILLS=100 .venv/bin/pytest -s tests/reliability/test_power_cut.py``.
A SIGKILL loses what the process held, not what the kernel had already accepted: it
tests our commit-before-confirm ordering and SQLite's recovery of a torn transaction,
not the SD card's cache (synchronous=FULL is what covers that on the Pi).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from device.store import DeviceStore

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("LH_POWERCUT_KILLS", "30"))


def _run_and_kill(db: Path, rng: random.Random) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.powercut_child", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("ready"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(30):
        proc.kill()
        proc.wait()
        raise AssertionError(f"child did not start: {proc.stderr.read() if proc.stderr else ''}")
    time.sleep(rng.uniform(0.01, 0.35))  # somewhere in the middle of a write, most likely
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    reader.join(10)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"child ended by itself: {err[-2000:]}"
    return lines


def test_sigkill_during_heavy_writes_keeps_every_confirmed_tap(tmp_path: Path) -> None:
    db = tmp_path / "dev-a.sqlite3"
    rng = random.Random(int(os.environ.get("LH_POWERCUT_SEED", "11")))
    last_confirmed = 0
    ack_begun = 0  # rows up to here may have been removed by an ack
    ack_done = 0  # rows up to here must be gone
    total_confirmed = 0
    for kill in range(KILLS):
        lines = _run_and_kill(db, rng)
        confirmed = [int(x.split()[1]) for x in lines if x.startswith("confirmed ")]
        for x in lines:
            if x.startswith("acking "):
                ack_begun = max(ack_begun, int(x.split()[1]))
            elif x.startswith("acked "):
                ack_done = max(ack_done, int(x.split()[1]))
        if confirmed:
            assert confirmed[0] > last_confirmed, f"kill {kill}: seq {confirmed[0]} reused after a restart"
            assert confirmed == sorted(set(confirmed)), f"kill {kill}: seqs out of order or repeated"
            last_confirmed = confirmed[-1]
        total_confirmed += len(confirmed)

        con = sqlite3.connect(db)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"kill {kill}: corrupt"
            in_outbox = {s for (s,) in con.execute("SELECT seq FROM outbox")}
            next_seq = int(con.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()[0])
        finally:
            con.close()
        lost = [s for s in confirmed if s not in in_outbox and s > ack_begun]
        assert not lost, f"kill {kill}: confirmed taps not in the outbox: {lost[:10]}"
        back = [s for s in in_outbox if s <= ack_done]
        assert not back, f"kill {kill}: acked rows back in the outbox: {back[:10]}"
        assert next_seq > last_confirmed, f"kill {kill}: next_seq {next_seq} <= confirmed {last_confirmed}"
        store = DeviceStore(db, device_id="dev-a")  # opens as the device opens it after a reboot
        try:
            assert store.next_seq() == next_seq
            store.depth()
            store.roster()
        finally:
            store.close()
    print(f"\npower cuts: {KILLS} kills, {total_confirmed} taps confirmed, all kept (seq {last_confirmed})")
    assert total_confirmed >= KILLS, "the child barely wrote: the kills did not land in heavy writes"
