"""The one interface every tag reader implements, and the poll loop they share.

A backend **must** override :meth:`TagReader.poll_once`.  It **may** override
:meth:`TagReader.open` and :meth:`TagReader.close` (acquire and release the
hardware; both are called for you by :meth:`start`/:meth:`stop` and the context
manager) and set :attr:`TagReader.presence_based`.  Everything else (the daemon
thread, tap filtering, error back-off) lives here, so backends stay small.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import ClassVar, Self

from device.hardware.errors import ReaderError
from device.hardware.reader.taps import DEFAULT_REPEAT_WINDOW_S, TapFilter

logger = logging.getLogger(__name__)

TapCallback = Callable[[str], None]
ErrorCallback = Callable[[Exception], None]

#: Back-off after a failing poll: doubles from the first value up to the second.
ERROR_BACKOFF_S = (0.5, 30.0)


class TagReader(ABC):
    """A source of tag UIDs (normalised, see :mod:`device.hardware.uid`).

    Use it either by calling :meth:`poll_once` yourself (tests, one-shot tools)
    or with :meth:`start`, which runs a daemon thread that polls, filters reads
    into taps (:class:`~device.hardware.reader.taps.TapFilter`) and calls
    ``on_tap(uid)`` once per tap **on the reader thread**: hand the UID over to
    your own thread (a queue, ``pygame.event.post``) and return quickly.
    """

    #: True if :meth:`poll_once` keeps reporting a tag on every call while it
    #: stays in the field (polling readers); False if it reports a tap once.
    presence_based: ClassVar[bool] = False

    #: Reads in a row needed before a UID counts, when the config leaves it open.
    default_confirm_reads: ClassVar[int] = 1

    def __init__(
        self,
        *,
        poll_interval_s: float = 0.0,
        repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S,
        confirm_reads: int | None = None,
    ) -> None:
        """``poll_interval_s`` is the pause between polls (0 for readers whose
        :meth:`poll_once` blocks by itself); the others configure the tap filter."""
        if poll_interval_s < 0:
            raise ValueError("poll_interval_s must be >= 0")
        self.poll_interval_s = poll_interval_s
        self.tap_filter = TapFilter(
            repeat_window_s=repeat_window_s,
            confirm_reads=confirm_reads or self.default_confirm_reads,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: What is wrong while the reader is failing (open or poll), None while it works:
        #: the screen shows it, because a hallway where taps silently do nothing is worse
        #: than one that says the reader is broken.  Written by the poll thread only.
        self.error: str | None = None

    # -- what a backend implements ---------------------------------------

    @abstractmethod
    def poll_once(self) -> str | None:
        """Read once and return the normalised UID of a tag, or None if there is none.

        May block, but for about one poll at most (a second at the very most) so
        :meth:`stop` stays prompt.  Raise :class:`~device.hardware.errors.ReaderError`
        (or ``OSError``) when the hardware fails; the poll loop backs off and retries.
        Never log the UID above DEBUG.
        """

    def open(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Acquire the hardware.  Called by :meth:`start`; must be idempotent."""

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Release the hardware.  Called by :meth:`stop`; must be idempotent."""

    # -- the shared poll loop ---------------------------------------------

    @property
    def is_running(self) -> bool:
        """True while the poll thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(
        self, on_tap: TapCallback, on_error: ErrorCallback | None = None, *, retry_open: bool = False
    ) -> None:
        """Open the reader and poll on a daemon thread, calling ``on_tap(uid)`` per tap.

        ``on_error(exc)`` (optional) hears about each failing poll, e.g. to show
        the error signal; polling goes on with a back-off.  Raises
        :class:`~device.hardware.errors.ReaderError` if the reader cannot be opened,
        unless ``retry_open``: then the thread keeps trying to open it (with the same
        back-off, :attr:`error` saying why), so a reader plugged in late still works.
        """
        with self._lock:
            if self.is_running:
                raise ReaderError("reader already started")
            if not retry_open:
                self.open()
            self._stop.clear()
            self.tap_filter.reset()
            self._thread = threading.Thread(
                target=self._run,
                args=(on_tap, on_error, retry_open),
                name=f"{type(self).__name__}-poll",
                daemon=True,
            )
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop polling, wait up to ``timeout`` s for the thread, then close the reader."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
                if thread.is_alive():
                    logger.warning("reader thread did not stop within %.1f s", timeout)
            self.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, on_tap: TapCallback, on_error: ErrorCallback | None, must_open: bool = False) -> None:
        backoff = ERROR_BACKOFF_S[0]
        while not self._stop.is_set():
            uid: str | None = None
            try:
                if must_open:
                    self.open()
                    must_open = False
                uid = self.poll_once()
            except (ReaderError, OSError) as exc:
                logger.warning("tag reader failed (%s); retrying in %.1f s", exc, backoff)
                failure: Exception | None = exc
            except Exception as exc:  # a bug must not silence the reader for good
                logger.exception("tag reader poll crashed; retrying in %.1f s", backoff)
                failure = exc
            else:
                failure = None
            if failure is not None:
                self.error = describe(failure)
                self._notify_error(on_error, failure)
                self.tap_filter.feed(None)  # a failed poll breaks a confirmation streak
                self._stop.wait(backoff)
                backoff = min(backoff * 2, ERROR_BACKOFF_S[1])
                continue
            backoff = ERROR_BACKOFF_S[0]
            if self.error is not None:
                logger.info("tag reader works again")
                self.error = None
            tap = self.tap_filter.feed(uid)
            if tap is not None:
                logger.info("tag tapped")  # never the UID itself (privacy)
                try:
                    on_tap(tap)
                except Exception:
                    logger.exception("on_tap callback failed")
            if self.poll_interval_s:
                self._stop.wait(self.poll_interval_s)

    @staticmethod
    def _notify_error(on_error: ErrorCallback | None, exc: Exception) -> None:
        if on_error is None:
            return
        try:
            on_error(exc)
        except Exception:
            logger.exception("on_error callback failed")


def describe(exc: Exception) -> str:
    """A failure as the technician screen shows it: a :class:`ReaderError` already says what
    is wrong in words; anything else (``OSError``, a bug) keeps its type for the bug report."""
    if isinstance(exc, ReaderError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"
