"""Keyboard-wedge readers: keystroke decoding (pure) and the evdev-backed reader."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest

from device.hardware.errors import InvalidUidError, ReaderError, ReaderNotAvailableError
from device.hardware.reader.keystrokes import decode_keystrokes, uid_from_text
from device.hardware.reader.usb_hid import UsbHidReader

EV_KEY, EV_SYN, EV_MSC = 1, 0, 4
ENTER, KP_ENTER, SHIFT = 28, 96, 42
KEYS = {"1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11,
        "A": 30, "B": 48, "C": 46, "D": 32, "E": 18, "F": 33, "X": 45}  # fmt: skip


def typed(text: str, *, end: int = ENTER, shift_letters: bool = True) -> list[tuple[int, int, int]]:
    """Events a keyboard wedge sends for ``text`` + Enter: scan code, press, release, sync."""
    events = []
    for char in text:
        shifted = shift_letters and char.isalpha()
        if shifted:
            events.append((EV_KEY, SHIFT, 1))
        events += [(EV_MSC, 4, 0x7001E), (EV_KEY, KEYS[char], 1), (EV_SYN, 0, 0)]
        events += [(EV_KEY, KEYS[char], 0), (EV_SYN, 0, 0)]
        if shifted:
            events.append((EV_KEY, SHIFT, 0))
    return [*events, (EV_KEY, end, 1), (EV_KEY, end, 0)]


def test_hex_reader_with_shifted_letters() -> None:
    assert decode_keystrokes(typed("04A23B11")) == ["04A23B11"]


def test_decimal_reader_ten_digits() -> None:
    assert decode_keystrokes(typed("0077740817")) == ["04A23B11"]  # 0x04A23B11


def test_decimal_reader_with_reversed_bytes() -> None:
    # 0x113BA204 = 289120772: the same tag as a reader sending the UID least significant first
    assert decode_keystrokes(typed("0289120772"), byte_order="lsb_first") == ["04A23B11"]


def test_7_byte_uid_in_hex_and_decimal() -> None:
    assert decode_keystrokes(typed("04112233445566")) == ["04112233445566"]
    assert decode_keystrokes(typed(str(0x04112233445566))) == ["04112233445566"]


def test_keypad_digits_and_keypad_enter() -> None:
    keypad = {"0": 82, "1": 79, "2": 80, "3": 81, "4": 75, "5": 76, "6": 77, "7": 71, "8": 72}
    events = [(EV_KEY, keypad[c], 1) for c in "0077740817"] + [(EV_KEY, KP_ENTER, 1)]
    assert decode_keystrokes(events) == ["04A23B11"]


def test_autorepeat_and_releases_are_ignored() -> None:
    events = typed("04A23B11")
    events.insert(3, (EV_KEY, KEYS["0"], 2))  # autorepeat of the first key
    assert decode_keystrokes(events) == ["04A23B11"]


def test_junk_lines_are_dropped_and_the_next_line_still_reads() -> None:
    events = typed("04A2X3B11") + typed("") + typed("12") + typed("9" * 40) + typed("04A23B11")
    assert decode_keystrokes(events) == ["04A23B11"]


def test_forced_formats() -> None:
    assert uid_from_text("12345678", number_format="hex") == "12345678"
    assert uid_from_text("12345678", number_format="decimal") == "00BC614E"
    assert uid_from_text("12345678") == "12345678"  # auto: 8 characters read as hex
    with pytest.raises(InvalidUidError):
        uid_from_text("04A23B11", number_format="decimal")
    with pytest.raises(InvalidUidError):
        uid_from_text(str(1 << 80))


class FakeInputDevice:
    """Just enough of evdev.InputDevice: a real fd for select(), queued events."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        self.events: list[SimpleNamespace] = []
        self.grabbed = False
        self.closed = False
        self.unplugged = False

    def type(self, text: str) -> None:
        self.events += [SimpleNamespace(type=t, code=c, value=v) for t, c, v in typed(text)]
        os.write(self._w, b"x")

    def fileno(self) -> int:
        return self._r

    def read(self) -> Iterator[SimpleNamespace]:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        os.read(self._r, 1024)
        events, self.events = self.events, []
        return iter(events)

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        self.closed = True
        os.close(self._r)
        os.close(self._w)


@pytest.fixture
def devices() -> list[FakeInputDevice]:
    return []


@pytest.fixture
def reader(devices: list[FakeInputDevice]) -> Iterator[UsbHidReader]:
    def opener(path: str) -> FakeInputDevice:
        assert path == "/dev/input/by-id/usb-reader-event-kbd"
        devices.append(FakeInputDevice())
        return devices[-1]

    r = UsbHidReader(device_path="/dev/input/by-id/usb-reader-event-kbd", wait_s=0.01, opener=opener)
    yield r
    r.close()


def test_reader_grabs_and_reads_typed_uids(reader: UsbHidReader, devices: list[FakeInputDevice]) -> None:
    assert reader.poll_once() is None
    assert devices[0].grabbed
    devices[0].type("04A23B11")
    devices[0].type("04112233445566")
    assert [reader.poll_once(), reader.poll_once()] == ["04A23B11", "04112233445566"]
    reader.close()
    assert devices[0].closed and not devices[0].grabbed


def test_unplugged_reader_fails_then_reopens(reader: UsbHidReader, devices: list[FakeInputDevice]) -> None:
    reader.open()
    devices[0].unplugged = True
    devices[0].type("04A23B11")
    with pytest.raises(ReaderError):
        reader.poll_once()
    assert devices[0].closed
    assert reader.poll_once() is None  # a new device was opened
    assert len(devices) == 2


def test_missing_device_is_a_reader_error() -> None:
    def opener(path: str) -> FakeInputDevice:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    with pytest.raises(ReaderError, match="cannot open"):
        UsbHidReader(device_path="/dev/input/event9", opener=opener).open()


def test_without_evdev_the_reader_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "evdev", None)
    with pytest.raises(ReaderNotAvailableError):
        UsbHidReader(device_path="/dev/input/event0").open()


def test_a_running_reader_reports_being_unplugged_until_plugged_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``reader.error`` (what the idle and technician screens show) while the USB reader is
    out, through the real poll loop and its back-off; cleared, and taps work, once it is back."""
    from device.hardware.reader import base

    monkeypatch.setattr(base, "ERROR_BACKOFF_S", (0.01, 0.02))
    plugged = [True]
    devices: list[FakeInputDevice] = []

    def opener(path: str) -> FakeInputDevice:
        if not plugged[0]:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        devices.append(FakeInputDevice())
        return devices[-1]

    def wait_for(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 5
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.005)

    reader = UsbHidReader(device_path="/dev/input/event7", wait_s=0.01, opener=opener)
    taps: list[str] = []
    reader.start(taps.append, retry_open=True)
    try:
        wait_for(lambda: len(devices) == 1, "the reader to open")
        assert reader.error is None
        plugged[0] = False
        devices[0].unplugged = True
        devices[0].type("04A23B11")  # the kernel wakes the reader up with ENODEV
        wait_for(lambda: reader.error is not None and "cannot open" in reader.error, "the error")
        assert reader.error == "cannot open /dev/input/event7 (No such file or directory)"
        plugged[0] = True
        wait_for(lambda: reader.error is None, "the error to clear")
        devices[-1].type("04112233445566")
        wait_for(lambda: taps == ["04112233445566"], "a tap after plugging back in")
    finally:
        reader.stop()
