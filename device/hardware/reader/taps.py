"""Turning raw reads into taps: pure, with an injectable clock.

Rules (docs/hardware.md explains them to technicians):

* **Confirmation.**  A UID becomes a tap only after ``confirm_reads``
  consecutive reads of it.  Polling readers (MFRC522) report the tag on every
  poll while it lies in the field, so 2 reads (one poll interval, ~0.1 s) filter
  a tag that brushes the edge of the field for a single poll.  Readers that
  report once per tap (USB keyboard wedges, the simulation) use 1.  Corrupt
  frames never get this far: the MFRC522 backend drops reads that fail the BCC,
  the CRC_A or the SELECT handshake, and a missed poll (``None``) breaks a streak.
* **One tap per presentation.**  Once a UID has been tapped it is suppressed
  while it stays on the reader and until it has been away for
  ``repeat_window_s`` (default 3 s): a tag held still, or tapped twice quickly,
  is one tap.  The window runs from when the tag was *last seen*, so holding a
  tag for a minute never produces a second tap.
* Different UIDs are independent: guardian B is not slowed down by guardian A.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_REPEAT_WINDOW_S = 3.0


@dataclass
class TapFilter:
    """Feed it every poll result; it answers with the UID when a new tap happens.

    Not thread-safe: one reader thread owns one filter.
    """

    repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S
    confirm_reads: int = 1
    clock: Callable[[], float] = time.monotonic
    _streak_uid: str | None = field(default=None, init=False, repr=False)
    _streak: int = field(default=0, init=False, repr=False)
    _last_seen: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.repeat_window_s < 0:
            raise ValueError("repeat_window_s must be >= 0")
        if self.confirm_reads < 1:
            raise ValueError("confirm_reads must be >= 1")

    def feed(self, uid: str | None) -> str | None:
        """Record one read (``None`` = nothing read); return ``uid`` if it is a new tap."""
        now = self.clock()
        self._forget_older_than(now - self.repeat_window_s)
        if uid is None:
            self._streak_uid, self._streak = None, 0
            return None
        if uid == self._streak_uid:
            self._streak += 1
        else:
            self._streak_uid, self._streak = uid, 1
        if uid in self._last_seen:
            # Already tapped and not away long enough: still the same presentation.
            self._last_seen[uid] = now
            return None
        if self._streak < self.confirm_reads:
            return None
        self._last_seen[uid] = now
        return uid

    def reset(self) -> None:
        """Forget everything, e.g. after the reader was reopened."""
        self._streak_uid, self._streak = None, 0
        self._last_seen.clear()

    def _forget_older_than(self, cutoff: float) -> None:
        for uid in [u for u, seen in self._last_seen.items() if seen < cutoff]:
            del self._last_seen[uid]
