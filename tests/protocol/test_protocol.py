"""The contract: schemas generated from the types, one validation path, no raw UIDs."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from device.demo import demo_roster
from protocol.codec import ProtocolError, decode_ack, decode_events, decode_roster, encode, encode_events
from protocol.messages import Actor, Event
from protocol.schemas import HERE, render
from protocol.tags import hash_pin, normalize_uid_hex, tag_digest, verify_pin
from protocol.topics import Topics


def _event(**over: object) -> Event:
    base = dict(
        event_id=uuid.uuid4(),
        device_id="dev-a",
        seq=1,
        type="check_in",
        child_id="c1",
        actor=Actor(kind="guardian", id="g1"),
        method="tag",
        occurred_at=datetime.now(UTC),
        clock_synced=True,
    )
    base.update(over)
    return Event.model_validate(base)


def test_schema_files_are_generated_from_the_types() -> None:
    for name, text in render().items():
        assert (HERE / name).read_text() == text, f"{name} is stale: run python -m protocol.schemas"


def test_event_round_trips_with_wire_names() -> None:
    ev = _event()
    wire = json.loads(encode(ev))
    assert wire["schema"] == "lh.event/1" and "schema_" not in wire
    assert decode_events(encode(ev)) == [ev]
    assert decode_events(encode_events([ev, _event(seq=2)]))[1].seq == 2


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[]", "empty"),
        (b"42", "object or an array"),
        (b'{"schema": "lh.event/2"}', "schema"),
    ],
)
def test_bad_events_are_clear_errors(payload: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError, match=fragment):
        decode_events(payload)


def test_event_refuses_unknown_keys_naive_times_and_bad_ids() -> None:
    wire = json.loads(encode(_event()))
    for change in (
        {"extra": 1},
        {"occurred_at": "2026-11-28T07:30:00"},
        {"device_id": "A/B"},
        {"seq": 0},
        {"type": "arrive"},
    ):
        with pytest.raises(ProtocolError):
            decode_events(json.dumps({**wire, **change}))


def test_ack_and_roster_decode() -> None:
    ack = decode_ack(b'{"schema":"lh.ack/1","results":[{"event_id":"x","status":"rejected","reason":"r"}]}')
    assert ack.results[0].reason == "r"
    roster = demo_roster()
    assert decode_roster(encode(roster)) == roster


def test_roster_holds_no_raw_uid() -> None:
    text = encode(demo_roster()).decode().upper()
    for uid in ("04A1B2C3", "04D4E5F6", "0411223344556A", "04CAFE01"):
        assert uid not in text


def test_tag_digest_normalises_and_depends_on_key() -> None:
    key = b"k" * 32
    assert normalize_uid_hex("04:a1-b2 c3") == "04A1B2C3"
    assert tag_digest(key, "04:a1:b2:c3") == tag_digest(key, "04A1B2C3")
    assert tag_digest(key, "04A1B2C3") != tag_digest(b"j" * 32, "04A1B2C3")
    with pytest.raises(ValueError):
        normalize_uid_hex("04A1B2")  # 3 bytes


def test_pin_hash() -> None:
    h = hash_pin("2580", iterations=1000)
    assert verify_pin("2580", h) and not verify_pin("2581", h) and not verify_pin("2580", "garbage")
    # A hash asking for absurd work is refused at once (it would freeze a Pi's PIN check).
    _, _, salt, digest = h.split("$")
    started = time.perf_counter()
    assert not verify_pin("2580", f"pbkdf2_sha256$2000000000${salt}${digest}")
    assert not verify_pin("2580", f"pbkdf2_sha256$0${salt}${digest}")
    assert time.perf_counter() - started < 5  # 2e9 rounds would take hours


def test_topics() -> None:
    t = Topics("site/v1")
    assert t.events("d1") == "site/v1/dev/d1/events"
    assert t.device_of("site/v1/dev/d1/events", "events") == "d1"
    assert t.device_of("site/v1/dev/d1/x/events", "events") is None
    assert t.shared(t.all_events) == "$share/central/site/v1/dev/+/events"
    with pytest.raises(ValueError):
        Topics("lh/#")
