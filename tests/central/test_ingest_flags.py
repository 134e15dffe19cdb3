"""Issue 11, tasks 2 and 3: ingest stores, but flags, events it must not take at face value.

* A Pi whose clock jumped ahead sends events "from the future" with clock_synced true.
  They are stored (never lost) at a time no later than central received them, marked
  clock_synced false, with a ``flag:implausible_time`` note keeping the event as sent;
  presence does not stick to the future.
* A guardian's self-service handover from a ``staff_confirmed`` unit is stored (the child
  did go) but flagged ``flag:unconfirmed_handover``, counted, and shown to staff as a
  deviation.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from central.db.schema import DeadLetter, Department, EventRow, Presence, Unit
from central.ingest import FUTURE_TOLERANCE, Ingestor, RawMessage
from central.planning.presence import UNCONFIRMED_HANDOVER, department_day, department_deviations
from central.rules import local_date
from central.store import CentralStore
from protocol.messages import ChildStatus

TOPIC = "lh/v1/dev/dev-a/events"


@pytest.fixture
def store(seeded_store: CentralStore) -> CentralStore:
    return seeded_store


def _event(type_: str, at: dt.datetime, seq: int = 1, **over: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "schema": "lh.event/1",
        "event_id": str(uuid.uuid4()),
        "device_id": "dev-a",
        "seq": seq,
        "type": type_,
        "child_id": "c-alva",
        "actor": {"kind": "guardian", "id": "g-anna"},
        "method": "tag",
        "occurred_at": at.isoformat(),
        "clock_synced": True,
    }
    ev.update(over)
    return ev


def _send(store: CentralStore, *events: dict[str, Any]) -> Any:
    payload = json.dumps(events[0] if len(events) == 1 else list(events)).encode()
    return Ingestor(store).process([RawMessage(TOPIC, payload)])


def _row(store: CentralStore, event_id: str) -> EventRow:
    with store.session() as s:
        row = s.get(EventRow, event_id)
        assert row is not None
        s.expunge(row)
        return row


def _notes(store: CentralStore) -> list[DeadLetter]:
    with store.session() as s:
        return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def _presence(store: CentralStore) -> Presence:
    with store.session() as s:
        p = s.get(Presence, "c-alva")
        assert p is not None
        s.expunge(p)
        return p


def test_event_from_a_jumped_clock_is_stored_flagged_and_does_not_pin_presence(store: CentralStore) -> None:
    before = dt.datetime.now(dt.UTC)
    jumped = _event("check_in", before + dt.timedelta(days=1))  # the Pi's clock is a day ahead
    out = _send(store, jumped)
    after = dt.datetime.now(dt.UTC)
    assert out.stored == 1 and out.rejected == 0 and out.implausible_time == 1
    assert [r.status.value for r in out.acks["dev-a"]] == ["stored"]  # the device can let go of it

    row = _row(store, jumped["event_id"])
    assert before <= row.occurred_at <= after, "stored at (about) central's receive time"
    assert row.occurred_at <= row.received_at
    assert row.clock_synced is False, "staff see it as a clock_unsynced event"
    (note,) = _notes(store)
    assert note.event_id == jumped["event_id"] and note.reason.startswith("flag:implausible_time:")
    assert json.loads(note.payload)["occurred_at"] == jumped["occurred_at"], "the device's time is kept"
    assert _presence(store).since <= after

    # A check-out a moment later (a staff member's Pi with a good clock) wins: not stuck present.
    good = _event("check_out", dt.datetime.now(dt.UTC), seq=2)
    _send(store, good)
    assert _presence(store).status == "gone"
    roster = store.build_roster("solen")
    alva = next(c for c in roster.children if c.id == "c-alva")
    assert alva.status == ChildStatus.GONE
    # Today's staff view has both events; nothing landed on tomorrow.
    today = local_date(dt.datetime.now(dt.UTC))
    with store.session() as s:
        on_today = department_day(s, "solen", today).events.get("c-alva", [])
        tomorrow = department_day(s, "solen", today + dt.timedelta(days=1)).events.get("c-alva", [])
    assert sorted(e.event_id for e in on_today) == sorted([jumped["event_id"], good["event_id"]])
    assert tomorrow == []


def test_jumped_events_drained_together_keep_their_order_and_spacing(store: CentralStore) -> None:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, hours=2)
    cin = _event("check_in", start, seq=1)
    cout = _event("check_out", start + dt.timedelta(minutes=40), seq=2)
    out = _send(store, cout, cin)  # order in the batch does not matter
    assert out.stored == 2 and out.implausible_time == 2
    a, b = _row(store, cin["event_id"]), _row(store, cout["event_id"])
    assert b.occurred_at - a.occurred_at == dt.timedelta(minutes=40)
    assert b.occurred_at <= b.received_at
    assert _presence(store).status == "gone"


def test_small_clock_differences_are_believed(store: CentralStore) -> None:
    ahead = dt.datetime.now(dt.UTC) + FUTURE_TOLERANCE - dt.timedelta(seconds=30)
    ev = _event("check_in", ahead)
    out = _send(store, ev)
    assert out.stored == 1 and out.implausible_time == 0
    row = _row(store, ev["event_id"])
    assert row.occurred_at == ahead and row.clock_synced is True
    assert _notes(store) == []


def test_a_resent_jumped_event_is_a_duplicate_with_no_second_note(store: CentralStore) -> None:
    ev = _event("check_in", dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    _send(store, ev)
    out = _send(store, ev)
    assert out.duplicates == 1 and out.implausible_time == 0
    assert len(_notes(store)) == 1


def _staff_confirmed(store: CentralStore, mode: str = "staff_confirmed") -> None:
    with store.session() as s, s.begin():
        s.add(Unit(id="u-solbacken", name="Solbackens förskola", handover_mode=mode))
        s.flush()
        dept = s.get(Department, "solen")
        assert dept is not None
        dept.unit_id = "u-solbacken"


def test_self_service_handover_in_a_staff_confirmed_unit_is_stored_flagged_and_shown(
    store: CentralStore,
) -> None:
    _staff_confirmed(store)
    now = dt.datetime.now(dt.UTC)
    unconfirmed = _event("check_in", now - dt.timedelta(minutes=2))
    confirmed = _event(
        "check_in", now - dt.timedelta(minutes=1), seq=2, child_id="c-noah", confirmed_by="s-lena"
    )
    by_staff = _event(
        "check_out", now, seq=3, child_id="c-elsa", actor={"kind": "staff", "id": "s-lena"}, method="touch"
    )
    out = _send(store, unconfirmed, confirmed, by_staff)
    assert out.stored == 3 and out.rejected == 0
    assert out.unconfirmed_handover == 1
    assert {r.status.value for r in out.acks["dev-a"]} == {"stored"}
    (note,) = _notes(store)
    assert note.event_id == unconfirmed["event_id"]
    assert note.reason.startswith("flag:unconfirmed_handover:")
    assert _presence(store).status == "present", "the child did arrive: presence follows"

    with store.session() as s:
        _, found = department_deviations(s, "solen", dt.datetime.now(dt.UTC))
    flagged = [d for d in found if d.kind == UNCONFIRMED_HANDOVER]
    assert [(d.child_id, d.event_ids) for d in flagged] == [("c-alva", (unconfirmed["event_id"],))]


def test_self_service_units_are_not_flagged(store: CentralStore) -> None:
    _staff_confirmed(store, mode="self_service")
    out = _send(store, _event("check_in", dt.datetime.now(dt.UTC)))
    assert out.stored == 1 and out.unconfirmed_handover == 0
    assert _notes(store) == []


def test_a_jumped_backlog_split_over_batches_keeps_the_device_s_order(store: CentralStore) -> None:
    """Central paused, the Pi (clock a day ahead) kept tapping: the queue drains in two
    batches, the second spanning 30 s of the Pi's time.  Anchored per batch at the receive
    time, the second batch's first events landed before the first batch's last, and presence
    kept an older tap; the device's seq order must hold across batches (bench/faults.py)."""
    base = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    kinds = ["check_in", "check_out"] * 3
    first = [_event(kinds[i], base + dt.timedelta(seconds=i), seq=i + 1) for i in range(3)]
    second = [_event(kinds[i], base + dt.timedelta(seconds=3 + 13 * (i - 3)), seq=i + 1) for i in range(3, 6)]
    _send(store, *first)
    _send(store, *second)
    times = [_row(store, e["event_id"]).occurred_at for e in first + second]
    assert times == sorted(times) and len(set(times)) == 6, "stored in the device's own order"
    assert _presence(store).status == "gone", "the last tap (a check-out) is the child's status"
    assert _presence(store).event_id == second[-1]["event_id"]


def test_a_jumped_event_resent_after_later_ones_lands_before_them(store: CentralStore) -> None:
    """The broker lost seq 2's ack; seq 3 and 4 were stored meanwhile.  Seq 2 comes again in
    a later batch: stored at its later receipt it would be the child's newest tap."""
    base = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    e1, e2, e3, e4 = (
        _event(kind, base + dt.timedelta(seconds=i), seq=i + 1)
        for i, kind in enumerate(["check_in", "check_out", "check_in", "check_out"])
    )
    _send(store, e1)
    _send(store, e3, e4)  # e2 lost on the way
    _send(store, e2)  # resent later
    times = [_row(store, e["event_id"]).occurred_at for e in (e1, e2, e3, e4)]
    assert times == sorted(times), "stored in the device's own order (squeezed in, if need be)"
    assert times[1] < times[2], "before the later taps stored meanwhile"
    assert _presence(store).event_id == e4["event_id"] and _presence(store).status == "gone"
