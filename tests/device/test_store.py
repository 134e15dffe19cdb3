"""The device's outbox: durable, ordered, sequence survives restarts, acks remove rows."""

from __future__ import annotations

from pathlib import Path

from device.demo import demo_roster
from device.store import DeviceStore
from protocol.messages import AckResult, Actor, EventMethod, EventType

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
