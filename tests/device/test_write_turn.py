"""A tap goes first (issue 11): the device's SQLite file has one writer at a time, and a
guardian's tap waits for at most the one bookkeeping step that is writing when it comes.

The orderings are forced with events, not timed: a step is held open, a second step and a
tap queue behind it, and the tap must get the next turn.  The store-level test holds a real
``apply_acks`` of thousands of acks between two of its steps and commits a tap there.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from device.demo import demo_roster
from device.store import DeviceStore
from device.store.store import BOOKKEEPING_STEP, WriteTurn
from protocol.messages import AckResult, Actor, EventMethod, EventType

ANNA = Actor(kind="guardian", id="g-anna")


def _queued(turn: WriteTurn, n_taps: int, n_waiters: int, deadline: float = 5.0) -> None:
    """Until ``n_taps`` taps wait and at least ``n_waiters`` threads sleep on the condition."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with turn._cond:
            if turn._taps_waiting == n_taps and len(turn._cond._waiters) >= n_waiters:  # type: ignore[attr-defined]
                return
        time.sleep(0.001)
    raise AssertionError("threads did not queue for the turn")


def test_a_waiting_tap_goes_before_a_waiting_step() -> None:
    turn = WriteTurn(quiet_s=0.0)
    order: list[str] = []
    release = threading.Event()
    held = threading.Event()

    def first_step() -> None:
        with turn.step():
            held.set()
            release.wait(5)
            order.append("step 1")

    def second_step() -> None:
        with turn.step():
            order.append("step 2")

    def tap() -> None:
        with turn.tap():
            order.append("tap")

    threads = [threading.Thread(target=first_step)]
    threads[0].start()
    assert held.wait(5)
    threads.append(threading.Thread(target=second_step))
    threads[1].start()
    _queued(turn, n_taps=0, n_waiters=1)  # the second step waits first ...
    threads.append(threading.Thread(target=tap))
    threads[2].start()
    _queued(turn, n_taps=1, n_waiters=2)  # ... then the tap comes
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["step 1", "tap", "step 2"]


def test_steps_keep_quiet_after_a_tap_and_reads_wait_too() -> None:
    quiet = 0.2
    turn = WriteTurn(quiet_s=quiet)
    with turn.tap():
        pass
    t0 = time.monotonic()
    with turn.step():
        waited_step = time.monotonic() - t0
    t1 = time.monotonic()
    turn.after_taps()  # the quiet window is over: no wait
    assert time.monotonic() - t1 < quiet / 2
    assert waited_step >= quiet * 0.9, "a step right after a tap must leave its confirmation alone"
    with turn.tap():
        pass
    t2 = time.monotonic()
    turn.after_taps()
    assert time.monotonic() - t2 >= quiet * 0.9, "the sender's next read waits as well"


def test_a_tap_commits_between_the_steps_of_a_long_ack(tmp_path: Path) -> None:
    """10,000 acks arrive while a guardian taps: the tap is committed between two of the ack's
    steps, not after all of them (before issue 11's fix it waited for the whole delete)."""
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    store._turn.quiet_s = 0.0
    assert store.save_roster(demo_roster())
    backlog = 4000
    ids: list[str] = []
    for _ in range(backlog // 500):
        evs = store.record([("c-noah", EventType.CHECK_IN)] * 500, ANNA, EventMethod.TAG)
        ids += [str(e.event_id) for e in evs]
    assert len(ids) == backlog

    steps_done = 0
    in_second_step = threading.Event()
    go_on = threading.Event()
    real_step = store._turn.step

    from contextlib import contextmanager

    @contextmanager
    def step():  # type: ignore[no-untyped-def]
        nonlocal steps_done
        with real_step():
            yield
        steps_done += 1
        if steps_done == 2:
            in_second_step.set()
            go_on.wait(5)  # between two steps: the turn is free, the ack is not done

    store._turn.step = step  # type: ignore[method-assign]
    acker = threading.Thread(
        target=store.apply_acks, args=([AckResult(event_id=i, status="stored") for i in ids],)
    )
    acker.start()
    assert in_second_step.wait(5)
    tap = store.record([("c-alva", EventType.CHECK_IN)], ANNA, EventMethod.TAG)[0]
    left_when_tapped = store.depth()
    go_on.set()
    acker.join(10)
    assert not acker.is_alive()
    assert left_when_tapped == backlog - 2 * BOOKKEEPING_STEP + 1, "the tap went in after two steps"
    assert [i.event_id for i in store.pending(10)] == [str(tap.event_id)], "every ack applied, the tap kept"
    assert store.presence()["c-alva"] == "present"
    store.close()


def test_a_roster_overrides_presence_once_the_tap_is_acked(tmp_path: Path) -> None:
    """save_roster finds unacked children through ``presence.local_seq``: acked, the roster wins."""
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    roster = demo_roster()
    assert store.save_roster(roster)
    ev = store.record([("c-alva", EventType.CHECK_IN)], ANNA, EventMethod.TAG)[0]
    assert store.save_roster(roster.model_copy(update={"version": roster.version + 1}))
    assert store.presence()["c-alva"] == "present", "unacked: the local tap wins"
    assert store.apply_acks([AckResult(event_id=str(ev.event_id), status="stored")]) == (1, 0)
    assert store.save_roster(roster.model_copy(update={"version": roster.version + 2}))
    assert store.presence()["c-alva"] == "absent", "acked: central's roster (absent) is the truth"
    store.close()
