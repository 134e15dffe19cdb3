"""Nothing is lost: break the broker, central and the device mid-flow, then count.

Every tap the device committed must end up stored exactly once at central and
the device's outbox must drain to empty.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from device.store import DeviceStore
from protocol.messages import Actor, ActorKind, EventMethod
from tests.backbone.helpers import (
    device_config,
    event_count,
    event_ids,
    start_central,
    start_device,
    stop_central,
)
from tests.conftest import PASSWORDS, wait_for

pytestmark = pytest.mark.slow

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")
CHILDREN = ["c-alva", "c-noah"]


def _tap_many(app, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        for ev in app.terminal.toggle(CHILDREN, ANNA, EventMethod.TAG):
            ids.append(str(ev.event_id))
    return ids


def _assert_exactly_once(db_url: str, ids: list[str]) -> None:
    stored = event_ids(db_url)
    assert sorted(stored) == sorted(set(stored)), "an event id stored twice"
    missing = set(ids) - set(stored)
    assert not missing, f"{len(missing)} tap(s) lost"


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_broker_down_while_tapping(seeded, broker, tmp_path: Path, how: str) -> None:
    db_url, key = seeded
    central = start_central(db_url, broker)
    app = start_device(device_config(tmp_path, broker), key)
    try:
        wait_for(lambda: app.link.state.connected and app.terminal.roster is not None)
        ids = _tap_many(app, 5)
        getattr(broker, how)()
        wait_for(lambda: not app.link.state.connected, 10)
        ids += _tap_many(app, 10)  # the hallway goes on while the broker is away
        assert app.store.depth() >= 20
        time.sleep(1.0)
        broker.start()
        wait_for(lambda: app.store.depth() == 0, 30)
        _assert_exactly_once(db_url, ids)
        assert event_count(db_url) == len(ids)
    finally:
        app.stop()
        stop_central(central)


def test_central_stopped_while_tapping(seeded, broker, tmp_path: Path) -> None:
    db_url, key = seeded
    central = start_central(db_url, broker)
    app = start_device(device_config(tmp_path, broker), key)
    try:
        wait_for(lambda: app.link.state.central_online and app.terminal.roster is not None)
        ids = _tap_many(app, 3)
        wait_for(lambda: app.store.depth() == 0)
        stop_central(central)
        wait_for(lambda: app.link.state.central_online is False, 10)
        ids += _tap_many(app, 10)
        time.sleep(0.5)
        assert app.store.depth() == 20, "nothing is acked while central is away"
        central = start_central(db_url, broker)
        wait_for(lambda: app.store.depth() == 0, 30)
        _assert_exactly_once(db_url, ids)
        assert event_count(db_url) == len(ids)
    finally:
        app.stop()
        stop_central(central)


def _central_process(db_url: str, broker_port: int, log: Path) -> subprocess.Popen[bytes]:
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
            ],
            stdout=fh,
            stderr=fh,
        )


def test_central_killed_mid_flow(seeded, broker, tmp_path: Path) -> None:
    """SIGKILL: no offline status from central itself, only its last will."""
    db_url, key = seeded
    log = tmp_path / "central.log"
    proc = _central_process(db_url, broker.port, log)
    app = start_device(device_config(tmp_path, broker), key)
    try:
        wait_for(lambda: app.link.state.central_online and app.terminal.roster is not None, 20)
        ids = _tap_many(app, 5)
        helpers = _children(proc.pid)
        assert helpers, "central serve runs its ingest process"
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        # Its ingest process (and multiprocessing's resource tracker) must not outlive it.
        wait_for(lambda: not any(_alive(pid) for pid in helpers), 10)
        ids += _tap_many(app, 10)
        proc = _central_process(db_url, broker.port, log)
        wait_for(lambda: app.store.depth() == 0, 40)
        _assert_exactly_once(db_url, ids)
    finally:
        app.stop()
        proc.terminate()
        proc.wait(10)


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_ingest_process_killed_mid_batch(seeded, broker, tmp_path: Path) -> None:
    """The child that stores batches dies holding one: a new child stores it, once."""
    db_url, key = seeded
    central = start_central(db_url, broker)
    app = start_device(device_config(tmp_path, broker), key)
    try:
        wait_for(lambda: app.link.state.central_online and app.terminal.roster is not None)
        ids = _tap_many(app, 3)
        wait_for(lambda: app.store.depth() == 0)
        child = central._ingest_process.pid if central._ingest_process else None
        assert child is not None, "central stores through its ingest process"
        os.kill(child, signal.SIGSTOP)  # freeze it: the next batch is handed over and hangs
        ids += _tap_many(app, 10)
        wait_for(lambda: central.stats["batches_in_flight"] == 1, 10)
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: app.store.depth() == 0, 30)
        _assert_exactly_once(db_url, ids)
        assert event_count(db_url) == len(ids)
        new_child = central._ingest_process.pid
        assert new_child is not None and new_child != child
    finally:
        app.stop()
        stop_central(central)


def _finish(p: subprocess.Popen[str], *, kill: bool = False) -> None:
    """End a device process (quit, or SIGKILL) and close its pipes."""
    if p.poll() is None:
        if kill:
            p.send_signal(signal.SIGKILL)
        else:
            p.stdin.write("quit\n")
            p.stdin.flush()
        p.wait(10)
    p.stdin.close()
    p.stdout.close()


def _device_process(cfg_path: Path, script: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    return subprocess.Popen(
        [sys.executable, "-m", "device.cli", "simulate", "--config", str(cfg_path), "--headless"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def test_device_killed_with_unacked_rows(seeded, broker, tmp_path: Path) -> None:
    """Taps confirmed, process SIGKILLed before any ack, restarted: all arrive once."""
    db_url, key = seeded
    cfg = device_config(tmp_path, broker)
    keyfile = tmp_path / "tag.key"
    keyfile.write_text(key.hex())
    cfg_path = tmp_path / "device.toml"
    cfg_path.write_text(
        f'device_id = "dev-a"\ntag_key_file = "{keyfile}"\n'
        f'[mqtt]\nurl = "{broker.url}"\npassword_file = "{cfg.mqtt.password_file}"\n'
        f"reconnect_min_s = 0.5\nreconnect_max_s = 1.0\nack_timeout_s = 3.0\n"
        f'[store]\npath = "{cfg.store.path}"\n'
    )
    # Seed the device's roster cache by letting it meet central once.
    central = start_central(db_url, broker)
    p = _device_process(cfg_path, "")
    try:
        wait_for(lambda: DeviceStore(cfg.store.path, device_id="dev-a").roster_version(), 20)
        _finish(p)
        stop_central(central)  # central away: nothing can be acked
        p = _device_process(cfg_path, "")
        for _ in range(5):
            p.stdin.write("tap 04A1B2C3\n")
        p.stdin.flush()
        confirmed = 0
        while confirmed < 10:  # each tap toggles two children
            line = p.stdout.readline()
            assert line, "device process ended early"
            if line.startswith("tap: check_"):
                confirmed += 1
        _finish(p, kill=True)
        store = DeviceStore(cfg.store.path, device_id="dev-a")
        pending = [i.event_id for i in store.pending(100)]
        store.close()
        assert len(pending) == 10, "every confirmed tap survived the kill"
        central = start_central(db_url, broker)
        p = _device_process(cfg_path, "")
        store = DeviceStore(cfg.store.path, device_id="dev-a")
        wait_for(lambda: store.depth() == 0, 30)
        store.close()
        _assert_exactly_once(db_url, pending)
    finally:
        _finish(p)
        stop_central(central)
