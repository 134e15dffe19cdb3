"""USB keyboard-wedge tag readers, read through evdev (Linux input devices).

The reader shows up as a keyboard; we open its event device, grab it so the
digits don't reach other programs (or a console login), and decode the
keystrokes with :mod:`device.hardware.reader.keystrokes`.  ``evdev`` is
optional and imported only when such a reader is opened.
"""

from __future__ import annotations

import collections
import importlib
import logging
import select
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from device.hardware.errors import ReaderError, ReaderNotAvailableError
from device.hardware.reader.base import TagReader
from device.hardware.reader.keystrokes import ByteOrder, KeystrokeDecoder, NumberFormat
from device.hardware.reader.taps import DEFAULT_REPEAT_WINDOW_S

logger = logging.getLogger(__name__)


class InputDeviceLike(Protocol):
    """The part of ``evdev.InputDevice`` we use."""

    def fileno(self) -> int: ...
    def read(self) -> Iterable[Any]: ...  # events with .type, .code, .value
    def grab(self) -> None: ...
    def ungrab(self) -> None: ...
    def close(self) -> None: ...


def _open_with_evdev(path: str) -> InputDeviceLike:
    try:
        evdev = importlib.import_module("evdev")
    except ImportError as exc:
        raise ReaderNotAvailableError("the evdev package is needed for usb_hid readers") from exc
    device: InputDeviceLike = evdev.InputDevice(path)
    return device


class UsbHidReader(TagReader):
    """A keyboard-wedge reader at ``device_path``; one report per tap."""

    presence_based = False

    def __init__(
        self,
        *,
        device_path: str,
        grab: bool = True,
        number_format: NumberFormat = "auto",
        byte_order: ByteOrder = "msb_first",
        wait_s: float = 0.2,
        repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S,
        confirm_reads: int | None = None,
        opener: Callable[[str], InputDeviceLike] = _open_with_evdev,
    ) -> None:
        """``wait_s`` bounds how long :meth:`poll_once` waits for keystrokes;
        ``opener`` opens the device (``evdev.InputDevice`` unless a test injects one)."""
        super().__init__(poll_interval_s=0.0, repeat_window_s=repeat_window_s, confirm_reads=confirm_reads)
        self.device_path, self.grab, self.wait_s = device_path, grab, wait_s
        self._decoder = KeystrokeDecoder(number_format=number_format, byte_order=byte_order)
        self._opener = opener
        self._device: InputDeviceLike | None = None
        self._pending: collections.deque[str] = collections.deque()

    def open(self) -> None:
        """Open (and grab) the input device; ReaderError if it is missing or busy."""
        if self._device is not None:
            return
        try:
            device = self._opener(self.device_path)
        except OSError as exc:
            raise ReaderError(f"cannot open {self.device_path} ({exc.strerror or exc})") from exc
        if self.grab:
            try:
                device.grab()
            except OSError as exc:
                device.close()
                raise ReaderError(f"cannot grab {self.device_path}: in use elsewhere?") from exc
        self._device = device
        logger.info("USB HID tag reader open at %s", self.device_path)

    def close(self) -> None:
        """Release and close the input device."""
        device, self._device = self._device, None
        if device is None:
            return
        try:
            if self.grab:
                device.ungrab()
        except OSError:
            pass  # already gone (unplugged)
        device.close()

    def poll_once(self) -> str | None:
        """The next UID typed by the reader, waiting up to ``wait_s`` for keystrokes."""
        if self._pending:
            return self._pending.popleft()
        self.open()
        assert self._device is not None
        try:
            ready, _, _ = select.select([self._device], [], [], self.wait_s)
            if ready:
                for event in self._read_available():
                    uid = self._decoder.feed(event.type, event.code, event.value)
                    if uid is not None:
                        self._pending.append(uid)
        except OSError as exc:  # unplugged: reopen on a later poll
            self.close()
            raise ReaderError(f"{self.device_path} failed ({exc.strerror or exc})") from exc
        return self._pending.popleft() if self._pending else None

    def _read_available(self) -> Iterable[Any]:
        assert self._device is not None
        try:
            return list(self._device.read())
        except BlockingIOError:
            return []
