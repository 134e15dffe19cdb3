"""device.memory.settle: start-up objects leave the collector's way, later garbage is still
collected (a generation-2 collection walked every start-up object: 40-67 ms in which no
thread ran, the rare 50-100 ms tap of bench/tap.py)."""

from __future__ import annotations

import gc
import weakref

from device.memory import settle


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settle_freezes_what_exists_and_still_collects_what_comes_later() -> None:
    before = _Node()
    try:
        frozen = settle()
        assert frozen == gc.get_freeze_count() > 0
        assert not any(before is o for o in gc.get_objects(generation=2)), "frozen, not walked"
        later = _Node()
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None, "garbage made after start-up is collected as before"
    finally:
        gc.unfreeze()
