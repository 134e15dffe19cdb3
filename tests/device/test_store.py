"""The device's outbox: durable, ordered, sequence survives restarts, acks remove rows.

Also the guarantees the store keeps on SQLAlchemy Core: commits with WAL and
``synchronous=FULL``, a tap all or nothing, one sequence across threads, files of the
first (ORM) store still open, and the device's program never importing ``sqlalchemy.orm``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from device.demo import demo_roster
from device.store import DeviceStore
from device.store.schema import SCHEMA_VERSION
from protocol.messages import AckResult, Actor, EventMethod, EventType

ROOT = Path(__file__).resolve().parents[2]

ANNA = Actor(kind="guardian", id="g-anna")


def test_sequence_survives_restart_and_acks_remove_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    store = DeviceStore(path, device_id="dev-a")
    evs = store.record(
        [("c-alva", EventType.CHECK_IN), ("c-noah", EventType.CHECK_IN)], ANNA, EventMethod.TAG
    )
    assert [e.seq for e in evs] == [1, 2]
    store.close()
    store = DeviceStore(path, device_id="dev-a")
    ev3 = store.record([("c-alva", EventType.CHECK_OUT)], ANNA, EventMethod.TAG)[0]
    assert ev3.seq == 3
    assert [i.seq for i in store.pending(10)] == [1, 2, 3]
    assert [i.seq for i in store.pending(10, after_seq=1)] == [2, 3]
    removed, rejected = store.apply_acks(
        [
            AckResult(event_id=str(evs[0].event_id), status="stored"),
            AckResult(event_id=str(evs[1].event_id), status="rejected", reason="unknown child"),
            AckResult(event_id="not-ours", status="duplicate"),
        ]
    )
    assert (removed, rejected) == (1, 1)
    assert store.depth() == 1
    assert [r.reason for r in store.rejected()] == ["unknown child"]
    assert [i.seq for i in store.pending(10)] == [3], "rejected rows are not retried"
    store.close()


def test_store_belongs_to_one_device(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    DeviceStore(path, device_id="dev-a").close()
    try:
        DeviceStore(path, device_id="dev-b")
    except RuntimeError as exc:
        assert "belongs to device" in str(exc)
    else:
        raise AssertionError("a store must refuse another device id")


def test_roster_keeps_unacked_local_status(tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    roster = demo_roster()
    assert store.save_roster(roster)
    assert not store.save_roster(roster), "same version is not applied twice"
    store.record([("c-alva", EventType.CHECK_IN)], ANNA, EventMethod.TAG)
    newer = roster.model_copy(update={"version": 2})  # central has not seen the tap yet
    assert store.save_roster(newer)
    presence = store.presence()
    assert presence["c-alva"] == "present", "an unacked local tap wins over an older central view"
    assert presence["c-noah"] == "absent"
    store.close()


def test_commits_use_wal_and_full_sync(tmp_path: Path) -> None:
    """A power cut right after "Klar" must not lose the row (module docstring of the store)."""
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    with store.engine.connect() as c:
        assert c.scalar(text("PRAGMA journal_mode")) == "wal"
        assert c.scalar(text("PRAGMA synchronous")) == 2  # FULL
    store.close()


def test_a_tap_is_all_or_nothing(tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    store.record([("c-alva", EventType.CHECK_IN)], ANNA, EventMethod.TAG)
    changes = [("c-noah", EventType.CHECK_IN), ("not an id!", EventType.CHECK_IN)]
    with pytest.raises(ValidationError):  # the second event fails after the first row was written
        store.record(changes, ANNA, EventMethod.TAG)
    assert [i.seq for i in store.pending(10)] == [1]
    assert store.next_seq() == 2
    assert "c-noah" not in store.presence()
    store.close()


def test_threads_share_one_gapless_sequence(tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")

    def tap(n: int) -> None:
        for _ in range(25):
            store.record([(f"c-{n}", EventType.CHECK_IN)], ANNA, EventMethod.TAG)

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [i.seq for i in store.pending(1000)] == list(range(1, 101))
    store.close()


def test_times_are_stored_as_utc_whatever_the_offset(tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a", tz="Europe/Stockholm")
    at = datetime(2026, 6, 1, 20, 0, tzinfo=timezone(timedelta(hours=-5)))  # 03:00 on 2 June in Stockholm
    store.record([("c-alva", EventType.CHECK_IN)], ANNA, EventMethod.TAG, occurred_at=at)
    assert store.presence(today=date(2026, 6, 2)) == {"c-alva": "present"}
    assert store.presence(today=date(2026, 6, 1)) == {"c-alva": "absent"}
    store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    store = DeviceStore(path, device_id="dev-a")
    with store.engine.begin() as c:
        c.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": SCHEMA_VERSION + 1})
    store.close()
    with pytest.raises(RuntimeError, match="newer than this software"):
        DeviceStore(path, device_id="dev-a")


#: The tables exactly as the first store (SQLAlchemy ORM, schema version 1) created them.
V1_DDL = """
CREATE TABLE outbox (seq INTEGER NOT NULL, event_id VARCHAR(36) NOT NULL, child_id VARCHAR(64) NOT NULL,
    payload TEXT NOT NULL, created_at DATETIME NOT NULL, state VARCHAR(10) NOT NULL, reason TEXT,
    attempts INTEGER NOT NULL, PRIMARY KEY (seq), UNIQUE (event_id));
CREATE INDEX ix_outbox_state_seq ON outbox (state, seq);
CREATE TABLE meta ("key" VARCHAR(40) NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key"));
CREATE TABLE roster_cache (id INTEGER NOT NULL, version INTEGER NOT NULL, payload TEXT NOT NULL,
    received_at DATETIME NOT NULL, PRIMARY KEY (id));
CREATE TABLE presence (child_id VARCHAR(64) NOT NULL, status VARCHAR(10) NOT NULL, since DATETIME,
    local_seq INTEGER, PRIMARY KEY (child_id));
INSERT INTO meta VALUES ('schema_version', '1'), ('device_id', 'dev-a'), ('next_seq', '8');
INSERT INTO outbox VALUES (7, 'e7', 'c-alva', '{}', '2026-06-01 06:00:00.000000', 'rejected', 'unknown', 1);
"""


def test_a_file_of_the_first_store_opens(tmp_path: Path) -> None:
    """Devices in the field keep their file across the ORM -> Core change: same tables, no migration."""
    path = tmp_path / "d.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(V1_DDL)
    store = DeviceStore(path, device_id="dev-a")
    assert SCHEMA_VERSION == 1, "a new schema version needs a test that upgrades this file"
    assert [(r.seq, r.reason, r.created_at) for r in store.rejected()] == [
        (7, "unknown", datetime(2026, 6, 1, 6, 0))
    ]
    assert store.record([("c-alva", EventType.CHECK_IN)], ANNA, EventMethod.TAG)[0].seq == 8
    store.close()


def test_the_device_program_never_imports_the_orm(tmp_path: Path) -> None:
    """``sqlalchemy.orm`` costs a Pi about 6 MB (bench/device_footprint.py); the store uses Core."""
    code = (
        "import sys\n"
        "from device.cli import main\n"
        "main(['simulate'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.orm')))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        input="quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=True,
    )
    lines = res.stdout.splitlines()
    assert lines[0].startswith("ready"), res.stdout
    assert lines[-1] == "[]", res.stdout
