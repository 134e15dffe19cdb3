"""The device program's garbage-collector policy: settle once start-up is done.

CPython's cyclic collector now and then walks every tracked object (a generation-2
collection). On the device that is everything SQLAlchemy, pydantic, paho and pygame built
at import and start-up: 40-67 ms on the bench machine, during which no thread runs, so a
guardian's tap that met one took 50-100 ms instead of ~6 (bench/tap.py, issue 11).
Objects built at start-up live as long as the program, so :func:`settle` collects once
and moves them into the permanent generation (:func:`gc.freeze`), which the collector skips;
what is built afterwards (rosters, events, acks) is still collected as before.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def settle() -> int:
    """Collect once, then freeze what is left; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("start-up done: %d objects moved out of the collector's way", frozen)
    return frozen
