"""A tap travels from the device's outbox through a real Mosquitto to central and back.

Runs on SQLite and on PostgreSQL (the ``db_url`` fixture), against a broker
started from broker_config/dev with the project's ACL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from central.db.schema import EventRow
from central.store import CentralStore
from protocol.messages import Actor, ActorKind, EventMethod
from tests.backbone.helpers import (
    RawClient,
    dead_letters,
    device_config,
    event_count,
    start_central,
    start_device,
    stop_central,
)
from tests.conftest import wait_for

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")


def _event(device_id: str = "dev-a", child: str = "c-alva", actor: str = "g-anna", **over: object) -> dict:
    ev = {
        "schema": "lh.event/1",
        "event_id": str(uuid.uuid4()),
        "device_id": device_id,
        "seq": 1,
        "type": "check_in",
        "child_id": child,
        "actor": {"kind": "guardian", "id": actor},
        "method": "tag",
        "occurred_at": datetime.now(UTC).isoformat(),
        "clock_synced": True,
    }
    ev.update(over)
    return ev


@contextmanager
def _central_and_dev_a(db_url: str, broker: object) -> Iterator[tuple[Any, RawClient]]:
    """Central running, and a raw MQTT client logged in as dev-a listening to its acks."""
    central = start_central(db_url, broker)
    raw = RawClient(broker, "dev-a")
    try:
        raw.connected.wait(5)
        raw.client.subscribe("lh/v1/dev/dev-a/acks", qos=1)
        wait_for(lambda: raw.sub_rcs)
        yield central, raw
    finally:
        raw.close()
        stop_central(central)


def test_tap_is_stored_acked_and_roster_follows(seeded, broker, tmp_path: Path) -> None:
    db_url, key = seeded
    central = start_central(db_url, broker)
    app = start_device(device_config(tmp_path, broker), key)
    try:
        wait_for(lambda: app.terminal.roster is not None, 10)
        assert {c.id for c in app.terminal.roster.children} == {
            "c-alva",
            "c-noah",
            "c-elsa",
            "c-omar",
            "c-ines",
            "c-liam",
            "c-adam",
            "c-mira",
            "c-sara",
            "c-yusuf",
        }, "dev-a must get solen's children only"
        first_version = app.terminal.roster.version
        ident = app.terminal.identify("04A1B2C3")
        assert ident.person_id == "g-anna"
        assert {c.id for c in ident.children} == {"c-alva", "c-noah"}
        events = app.terminal.toggle(["c-alva"], ANNA, EventMethod.TAG)
        assert app.store.depth() == 1, "the tap is in the outbox before anything is sent"
        wait_for(lambda: app.store.depth() == 0)
        assert event_count(db_url, event_id=str(events[0].event_id)) == 1
        # Central republishes the roster after the check-in: Alva is present there too.
        wait_for(lambda: app.terminal.roster.version > first_version)
        alva = next(c for c in app.terminal.roster.children if c.id == "c-alva")
        assert alva.status == "present"
        assert app.terminal.status_of("c-alva") == "present"
    finally:
        app.stop()
        stop_central(central)


def test_duplicate_is_acked_duplicate_and_stored_once(seeded, broker) -> None:
    db_url, _ = seeded
    with _central_and_dev_a(db_url, broker) as (_central, raw):
        ev = json.dumps(_event())
        raw.client.publish("lh/v1/dev/dev-a/events", ev, qos=1)
        wait_for(lambda: len(raw.json_on("lh/v1/dev/dev-a/acks")) == 1)
        raw.client.publish("lh/v1/dev/dev-a/events", ev, qos=1)
        wait_for(lambda: len(raw.json_on("lh/v1/dev/dev-a/acks")) == 2)
        statuses = [a["results"][0]["status"] for a in raw.json_on("lh/v1/dev/dev-a/acks")]
        assert statuses == ["stored", "duplicate"]
        assert event_count(db_url) == 1


def test_spoofed_device_and_unknown_child_are_rejected_and_kept(seeded, broker) -> None:
    db_url, _ = seeded
    with _central_and_dev_a(db_url, broker) as (_central, raw):
        spoofed = _event(device_id="dev-b", child="c-saga", actor="g-peter")
        unknown_child = _event(child="c-nobody")
        other_dept = _event(child="c-saga", actor="g-peter")
        not_their_child = _event(child="c-elsa", actor="g-anna")
        batch = [spoofed, unknown_child, other_dept, not_their_child]
        raw.client.publish("lh/v1/dev/dev-a/events", json.dumps(batch), qos=1)
        wait_for(lambda: raw.json_on("lh/v1/dev/dev-a/acks"))
        results = {r["event_id"]: r for r in raw.json_on("lh/v1/dev/dev-a/acks")[0]["results"]}
        assert all(results[e["event_id"]]["status"] == "rejected" for e in batch)
        assert "does not match the topic" in results[spoofed["event_id"]]["reason"]
        assert "unknown child" in results[unknown_child["event_id"]]["reason"]
        assert "not in department" in results[other_dept["event_id"]]["reason"]
        assert "not a guardian" in results[not_their_child["event_id"]]["reason"]
        assert event_count(db_url) == 0
        kept = {d.event_id for d in dead_letters(db_url)}
        assert kept == {e["event_id"] for e in batch}


def test_a_staff_confirmed_handover_keeps_who_confirmed_it(seeded, broker) -> None:
    db_url, _ = seeded
    with _central_and_dev_a(db_url, broker) as (_central, raw):
        confirmed = _event(confirmed_by="s-lena")
        stranger = _event(child="c-noah", confirmed_by="s-nobody")
        raw.client.publish("lh/v1/dev/dev-a/events", json.dumps([confirmed, stranger]), qos=1)
        wait_for(lambda: raw.json_on("lh/v1/dev/dev-a/acks"))
        results = {r["event_id"]: r for r in raw.json_on("lh/v1/dev/dev-a/acks")[0]["results"]}
        assert results[confirmed["event_id"]]["status"] == "stored"
        assert results[stranger["event_id"]]["status"] == "rejected"
        reason = results[stranger["event_id"]]["reason"]
        assert "confirmed_by 's-nobody' does not work in department" in reason
        store = CentralStore(db_url)
        with store.session() as s:
            row = s.get(EventRow, confirmed["event_id"])
            assert row is not None and (row.actor_id, row.confirmed_by) == ("g-anna", "s-lena")
        store.close()


def test_garbage_does_not_stop_central(seeded, broker) -> None:
    db_url, _ = seeded
    with _central_and_dev_a(db_url, broker) as (central, raw):
        for junk in (b"\xff\x00\x13garbage", b"{}", b"[1, 2]", b"[]", b'{"event_id": 5}', b"null"):
            raw.client.publish("lh/v1/dev/dev-a/events", junk, qos=1)
        good = _event()
        raw.client.publish("lh/v1/dev/dev-a/events", json.dumps(good), qos=1)
        wait_for(lambda: event_count(db_url, event_id=good["event_id"]) == 1)
        assert len(dead_letters(db_url)) >= 6
        assert central._worker is not None and central._worker.is_alive()
