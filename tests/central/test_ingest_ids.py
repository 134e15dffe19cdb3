"""An event id is acked as the device spelled it (issue 11's fuzzing left this open).

Central stores and deduplicates an event under its canonical UUID (``str(UUID)``), but a
device finds its outbox row by the text it sent: an uppercase, unhyphenated or braced id
acked in central's spelling would never be matched, and the device would resend it for
ever (each time acked ``duplicate``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from central.db.schema import EventRow
from central.ingest import Ingestor, RawMessage
from central.store import CentralStore

TOPIC = "lh/v1/dev/dev-a/events"


@pytest.fixture
def store(seeded_store: CentralStore) -> CentralStore:
    return seeded_store


def _event(event_id: str, seq: int) -> dict[str, Any]:
    return {
        "schema": "lh.event/1",
        "event_id": event_id,
        "device_id": "dev-a",
        "seq": seq,
        "type": "check_in",
        "child_id": "c-alva",
        "actor": {"kind": "guardian", "id": "g-anna"},
        "method": "tag",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "clock_synced": True,
    }


def _acks(store: CentralStore, payload: Any) -> list[tuple[str, str]]:
    out = Ingestor(store).process([RawMessage(TOPIC, json.dumps(payload).encode())])
    return [(r.event_id, r.status.value) for r in out.acks["dev-a"]]


def _stored(store: CentralStore, u: uuid.UUID) -> int:
    with store.session() as s:
        n = s.scalar(select(func.count()).select_from(EventRow).where(EventRow.event_id == str(u)))
    return int(n or 0)


@pytest.mark.parametrize(
    "spell",
    [str.upper, lambda s: s.replace("-", ""), lambda s: "{" + s.upper() + "}"],
    ids=["uppercase", "no hyphens", "braces"],
)
def test_a_single_event_is_acked_in_its_own_spelling(store: CentralStore, spell: Any) -> None:
    u = uuid.uuid4()
    sent = spell(str(u))
    assert sent != str(u)
    assert _acks(store, _event(sent, 1)) == [(sent, "stored")]
    assert _stored(store, u) == 1, "stored once, under the canonical id"
    assert _acks(store, _event(str(u), 2)) == [(str(u), "duplicate")], "the other spelling is the same event"
    assert _stored(store, u) == 1


def test_a_batch_acks_each_spelling_once_and_stores_the_event_once(store: CentralStore) -> None:
    u, v = uuid.uuid4(), uuid.uuid4()
    batch = [_event(str(u).upper(), 1), _event(str(u), 2), _event(str(u).upper(), 3), _event(str(v), 4)]
    assert _acks(store, batch) == [
        (str(u).upper(), "stored"),
        (str(u), "duplicate"),
        (str(v), "stored"),
    ]
    assert _stored(store, u) == 1 and _stored(store, v) == 1


def test_a_refused_event_is_acked_rejected_in_its_own_spelling(store: CentralStore) -> None:
    sent = str(uuid.uuid4()).upper()
    ev = _event(sent, 1) | {"child_id": "c-nobody"}
    assert _acks(store, ev) == [(sent, "rejected")]
