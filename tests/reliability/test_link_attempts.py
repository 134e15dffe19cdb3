"""The outbox counts resends, not every send (issue 11: the drain's bookkeeping halved).

``outbox.attempts`` is a technician's clue to a row central never acks; writing it on
every first send doubled the link's writes while a backlog drained, each of them a turn a
guardian's tap could wait behind.  Real Mosquitto, no central: nothing is acked, so the
link resends after its ack timeout."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from device.mqtt.link import DeviceLink
from device.store import DeviceStore
from device.store.schema import outbox
from protocol.messages import Actor, ActorKind, EventMethod, EventType
from tests.conftest import PASSWORDS, wait_for

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")


def _attempts(store: DeviceStore) -> list[int]:
    with store.engine.connect() as c:
        return list(c.scalars(select(outbox.c.attempts).order_by(outbox.c.seq)))


def test_first_sends_write_nothing_and_resends_are_counted(broker, tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "dev-a.sqlite3", device_id="dev-a")
    for kind in (EventType.CHECK_IN, EventType.CHECK_OUT, EventType.CHECK_IN):
        store.record([("c-alva", kind)], ANNA, EventMethod.TAG)
    link = DeviceLink(store, url=broker.url, password=PASSWORDS["dev-a"], ack_timeout_s=2.0)
    try:
        link.start()
        wait_for(lambda: link.state.sent_messages >= 1, 10)
        time.sleep(0.5)  # well before the resend: a write after the first send would show by now
        assert link.state.sent_messages == 1
        assert _attempts(store) == [0, 0, 0], "a first send is no attempt worth a write"
        wait_for(lambda: link.state.sent_messages >= 2, 10)  # no central: resent after 2 s
        wait_for(lambda: _attempts(store) == [1, 1, 1], 5)
        assert store.depth() == 3, "unacked rows stay"
    finally:
        link.stop()
        store.close()
