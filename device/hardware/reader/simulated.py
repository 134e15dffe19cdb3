"""A tag reader fed by code: tests, demos and machines without a reader.

``reader.tap("04:A2:3B:11")`` queues a tap as if a tag had been presented;
:meth:`SimulatedReader.poll_once` hands queued UIDs out one per call.  It
behaves like a keyboard-wedge reader (one report per tap), so the same tap
filter applies: tapping the same tag twice within the repeat window is one tap.
"""

from __future__ import annotations

import logging
import queue

from device.hardware.reader.base import TagReader
from device.hardware.reader.taps import DEFAULT_REPEAT_WINDOW_S
from device.hardware.uid import normalize_uid

logger = logging.getLogger(__name__)


class SimulatedReader(TagReader):
    """A reader whose tags come from :meth:`tap`; thread-safe."""

    presence_based = False

    def __init__(
        self,
        *,
        wait_s: float = 0.1,
        repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S,
        confirm_reads: int | None = None,
    ) -> None:
        """``wait_s`` is how long :meth:`poll_once` waits for a queued tap."""
        super().__init__(poll_interval_s=0.0, repeat_window_s=repeat_window_s, confirm_reads=confirm_reads)
        self.wait_s = wait_s
        self._taps: queue.Queue[str] = queue.Queue()

    def tap(self, uid: str) -> None:
        """Present a tag: any UID form :func:`~device.hardware.uid.normalize_uid` accepts."""
        self._taps.put(normalize_uid(uid))

    def poll_once(self) -> str | None:
        """The next queued UID, waiting up to ``wait_s`` for one."""
        try:
            return self._taps.get(timeout=self.wait_s) if self.wait_s else self._taps.get_nowait()
        except queue.Empty:
            return None

    @property
    def pending(self) -> int:
        """Taps queued and not yet polled."""
        return self._taps.qsize()
