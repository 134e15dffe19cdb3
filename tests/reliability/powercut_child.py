"""The child of test_power_cut.py: records taps through the device store as fast as it can.

Run as ``python -m tests.reliability.powercut_child DB``.  It writes what the hallway
terminal writes before it shows "done" (``DeviceStore.record``: outbox row, presence,
next seq, one transaction), and a second thread does the link's writes at the same time
(``mark_sent``, ``apply_acks`` of old rows, a roster now and then), so the kill lands in
all kinds of write.  Output lines, each flushed only *after* the call returned:

- ``confirmed SEQ`` - a tap the guardian would have seen confirmed;
- ``acking SEQ``    - printed *before* acking every row up to SEQ (may or may not commit);
- ``acked SEQ``     - that ack committed.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, date, datetime

from device.store import DeviceStore
from protocol.messages import (
    AckResult,
    AckStatus,
    Actor,
    ActorKind,
    EventMethod,
    EventType,
    Roster,
    RosterChild,
    RosterDepartment,
)

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")
CHILDREN = ["c-alva", "c-noah", "c-elsa"]
_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _roster(version: int) -> Roster:
    return Roster(
        version=version,
        generated_at=datetime.now(UTC),
        date=date.today(),
        department=RosterDepartment(id="solen", name="Solen"),
        children=[
            RosterChild(id=c, display_name="X Y", guardian_ids=["g-anna"], status="absent") for c in CHILDREN
        ],
        guardians=[],
        staff=[],
        plan=[],
    )


def link_writes(store: DeviceStore, stop: threading.Event) -> None:
    """The MQTT side's writes: sent marks, acks of the oldest rows, rosters."""
    version = (store.roster_version() or 0) + 1
    while not stop.is_set():
        rows = store.pending(50)
        if rows:
            store.mark_sent([r.seq for r in rows])
        if len(rows) >= 40:
            upto = rows[19].seq
            say(f"acking {upto}")
            store.apply_acks(
                AckResult(event_id=r.event_id, status=AckStatus.STORED, reason=None) for r in rows[:20]
            )
            say(f"acked {upto}")
        store.save_roster(_roster(version))
        version += 1
        time.sleep(0.002)


def main(path: str) -> None:
    store = DeviceStore(path, device_id="dev-a")
    stop = threading.Event()
    threading.Thread(target=link_writes, args=(store, stop), daemon=True).start()
    say("ready")
    i = 0
    while True:
        child = CHILDREN[i % len(CHILDREN)]
        kind = EventType.CHECK_IN if (i // len(CHILDREN)) % 2 == 0 else EventType.CHECK_OUT
        n = 1 + i % 2  # one child, or two in one tap (one transaction)
        changes = [(child, kind)] + ([(CHILDREN[(i + 1) % len(CHILDREN)], kind)] if n == 2 else [])
        for ev in store.record(changes, ANNA, EventMethod.TAG):
            say(f"confirmed {ev.seq}")
        i += 1


if __name__ == "__main__":
    main(sys.argv[1])
