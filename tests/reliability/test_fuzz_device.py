"""Issue 11, task 3, the Pi's side: fuzz the roster and ack parsers and what applies them.

Hypothesis payloads (malformed, oversized, wrong types, wrong schema, deep nesting, hostile
strings, and valid rosters and acks bent in one place) go through ``protocol.codec``'s
``decode_roster``/``decode_ack`` and through the device's own handlers
(``DeviceLink._handle_roster``/``_handle_ack``: decode, then ``DeviceStore.save_roster`` /
``apply_acks`` and the terminal's roster index) on a real SQLite file with pending taps.
Properties: nothing but the documented ``ProtocolError`` ever comes out; the store still
opens and reads its roster; a valid ack among the noise removes exactly its rows.

``LH_FUZZ_EXAMPLES`` examples per test (default 250; full form 2500).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.core import Terminal
from device.demo import DEMO_TAG_KEY, demo_roster
from device.mqtt.link import DeviceLink
from device.store import DeviceStore
from protocol.codec import ProtocolError, decode_ack, decode_roster, encode
from protocol.messages import Actor, ActorKind, EventMethod, EventType, RosterNotice, RosterUnit
from tests.reliability.fuzz_payloads import (
    EXAMPLES,
    deep_nesting,
    dumps,
    hostile_text,
    json_value,
    malformed,
    oversized,
)

pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
BASE_ROSTER: dict[str, Any] = json.loads(
    encode(
        demo_roster().model_copy(
            update={
                "unit": RosterUnit(),
                "notices": [RosterNotice(id="n-1", text="Hej", last=demo_roster().date)],
            }
        )
    )
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _paths(v, (*prefix, i))
    return out


ROSTER_PATHS = [p for p in _paths(BASE_ROSTER) if p]


@st.composite
def bent(draw: st.DrawFn, base: dict[str, Any], paths: list[tuple[Any, ...]]) -> dict[str, Any]:
    """``base`` changed in one to three places: a value replaced, a key dropped or added."""
    obj = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent = obj
        try:
            for p in path[:-1]:
                parent = parent[p]
            how = draw(st.sampled_from(["value", "string", "drop", "extra"]))
            if how == "value":
                parent[path[-1]] = draw(json_value)
            elif how == "string":
                parent[path[-1]] = draw(hostile_text)
            elif how == "drop" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, dict):
                parent[draw(hostile_text)] = draw(json_value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the path
    return obj


def payloads(valid: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        malformed,
        st.builds(dumps, json_value),
        deep_nesting(),
        oversized(),
        valid,
    )


TEXT_FIELDS = [p for p in ROSTER_PATHS if p[-1] in ("display_name", "name", "text") and p[0] != "plan"]


@st.composite
def hostile_strings(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed roster with hostile strings where free text is allowed (names, notices)."""
    obj = json.loads(json.dumps(BASE_ROSTER))
    for path in draw(st.lists(st.sampled_from(TEXT_FIELDS), min_size=1, max_size=6)):
        parent = obj
        for p in path[:-1]:
            parent = parent[p]
        parent[path[-1]] = draw(hostile_text)
    return obj


def mostly(good: st.SearchStrategy[bytes], rest: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """``good`` in about half the examples (``one_of`` would flatten and dilute it)."""
    return st.booleans().flatmap(lambda b: good if b else rest)


ROSTERS = mostly(
    st.builds(dumps, hostile_strings()), payloads(st.builds(dumps, bent(BASE_ROSTER, ROSTER_PATHS)))
)


def _ack(ids: list[str]) -> st.SearchStrategy[bytes]:
    result = st.fixed_dictionaries(
        {
            "event_id": st.one_of(st.sampled_from(ids), hostile_text),
            "status": st.integers(0, 19).flatmap(
                lambda i: hostile_text if i == 0 else st.sampled_from(["stored", "duplicate", "rejected"])
            ),
            "reason": st.one_of(st.none(), hostile_text),
        }
    )
    ack = st.fixed_dictionaries({"schema": st.just("lh.ack/1"), "results": st.lists(result, max_size=8)})
    base = {"schema": "lh.ack/1", "results": [{"event_id": ids[0], "status": "stored", "reason": None}]}
    return payloads(
        st.one_of(st.builds(dumps, ack), st.builds(dumps, bent(base, [p for p in _paths(base) if p])))
    )


@pytest.fixture
def device(tmp_path: Path) -> Any:
    store = DeviceStore(tmp_path / "dev.sqlite3", device_id="solen-1")
    store.save_roster(demo_roster())
    terminal = Terminal(store, DEMO_TAG_KEY)
    link = DeviceLink(store, url="mqtt://127.0.0.1:1", password="x", on_roster=terminal.apply_roster)
    yield store, terminal, link
    store.close()


@pytest.mark.timeout(max(300, EXAMPLES // 2))
def test_fuzz_roster(device: Any, tmp_path: Path) -> None:
    store, terminal, link = device
    seen = {"applied": 0, "refused": 0}
    version = [1]

    @SETTINGS
    @given(ROSTERS)
    def one(payload: bytes) -> None:
        version[0] += 1
        try:  # a newer version, so that a valid roster is applied, not skipped
            obj = json.loads(payload)
            if isinstance(obj, dict) and isinstance(obj.get("version"), int):
                obj["version"] = version[0]
                payload = dumps(obj)
        except (ValueError, RecursionError):
            pass
        with contextlib.suppress(ProtocolError):
            decode_roster(payload)
        try:
            link._handle_roster(payload)  # what paho's thread runs for a roster message
            seen["applied"] += 1
        except ProtocolError:
            seen["refused"] += 1
        # The device still works from what it kept: the cached roster reads back and indexes.
        cached = store.roster()
        assert cached is not None
        terminal.apply_roster(cached)
        terminal.identify("04A1B2C3")

    one()
    reopened = DeviceStore(tmp_path / "dev.sqlite3", device_id="solen-1")  # as after a reboot
    assert reopened.roster() is not None
    reopened.close()
    print(f"\nfuzz roster: {seen['applied']} handled, {seen['refused']} refused with ProtocolError")


@pytest.mark.timeout(max(300, EXAMPLES // 2))
def test_fuzz_ack(device: Any) -> None:
    store, _terminal, link = device
    anna = Actor(kind=ActorKind.GUARDIAN, id="g-anna")
    for i in range(20):
        kind = EventType.CHECK_IN if i % 2 == 0 else EventType.CHECK_OUT
        store.record([("c-alva", kind)], anna, EventMethod.TAG)
    ids = [r.event_id for r in store.pending(100)]
    seen = {"handled": 0, "refused": 0}

    @SETTINGS
    @given(_ack(ids))
    def one(payload: bytes) -> None:
        try:
            expected = decode_ack(payload)
        except ProtocolError:
            expected = None
        before = {r.event_id for r in store.pending(100)}
        try:
            link._handle_ack(payload)  # what paho's thread runs for an ack message
            seen["handled"] += 1
        except ProtocolError:
            seen["refused"] += 1
            assert expected is None
        after = {r.event_id for r in store.pending(100)}
        if expected is not None:
            gone = {r.event_id for r in expected.results if r.event_id in before}
            assert before - after == gone, "an ack removed other rows, or not its own"
        else:
            assert after == before, "a refused ack changed the outbox"

    one()
    print(f"\nfuzz ack: {seen['handled']} handled, {seen['refused']} refused with ProtocolError")


def test_ack_with_an_unstorable_id_still_applies_the_rest(device: Any) -> None:
    """Found by the fuzz run: a result whose event id (or reason) held a lone surrogate made
    ``apply_acks`` raise UnicodeEncodeError in SQLite's driver, so the valid results of the
    same ack were dropped with it and those rows sent again and again."""
    store, _terminal, link = device
    anna = Actor(kind=ActorKind.GUARDIAN, id="g-anna")
    a, b = store.record(
        [("c-alva", EventType.CHECK_IN), ("c-noah", EventType.CHECK_IN)], anna, EventMethod.TAG
    )
    link._handle_ack(
        dumps(
            {
                "schema": "lh.ack/1",
                "results": [
                    {"event_id": "\ud800", "status": "stored", "reason": None},
                    {"event_id": "\udfff", "status": "rejected", "reason": "\ud800"},
                    {"event_id": str(a.event_id), "status": "stored", "reason": None},
                    {"event_id": str(b.event_id), "status": "rejected", "reason": "bad \ud800"},
                ],
            }
        )
    )
    assert store.depth() == 0
    assert [r.event_id for r in store.rejected()] == [str(b.event_id)]
