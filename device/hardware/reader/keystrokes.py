"""Keystrokes of a USB keyboard-wedge reader -> normalised UIDs.  Pure; no evdev needed.

Such readers "type" the UID followed by Enter: as hex (``04A23B11``) or as a
decimal number (``0295893777``), sometimes with the bytes reversed.  The events
are evdev's ``(type, code, value)`` triples; only key presses (EV_KEY, value 1)
of digits, A-F, Enter and Tab matter, Shift is ignored, and any other key
spoils the line up to the next Enter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

from device.hardware.errors import InvalidUidError
from device.hardware.uid import UID_LENGTHS, normalize_uid

logger = logging.getLogger(__name__)

NumberFormat = Literal["auto", "hex", "decimal"]
ByteOrder = Literal["msb_first", "lsb_first"]

EV_KEY = 1
KEY_PRESS = 1
# Linux input event codes (linux/input-event-codes.h).
_CHARS = {
    2: "1",
    3: "2",
    4: "3",
    5: "4",
    6: "5",
    7: "6",
    8: "7",
    9: "8",
    10: "9",
    11: "0",
    79: "1",
    80: "2",
    81: "3",
    75: "4",
    76: "5",
    77: "6",
    71: "7",
    72: "8",
    73: "9",
    82: "0",
    30: "A",
    48: "B",
    46: "C",
    32: "D",
    18: "E",
    33: "F",
}
_TERMINATORS = {28, 96, 15}  # Enter, keypad Enter, Tab
_IGNORED = {42, 54, 29, 97, 56, 100, 58}  # Shifts, Ctrls, Alts, Caps Lock
_MAX_CHARS = 32
# Shorter lines are stray keypresses, not UIDs: hex needs 8, and readers typing decimal
# pad a 4-byte UID to 10 digits.
_MIN_CHARS = 8


def uid_from_text(
    text: str, *, number_format: NumberFormat = "auto", byte_order: ByteOrder = "msb_first"
) -> str:
    """One typed line -> normalised UID; InvalidUidError if it is not a 4/7/10-byte UID.

    ``auto`` reads the line as hex if it has a letter A-F or is 8, 14 or 20
    characters long (the hex lengths of the UID sizes), else as decimal.
    Lines shorter than 8 characters are refused as stray keypresses.
    """
    text = text.strip().upper()
    if not text.isalnum():
        raise InvalidUidError("empty or not a number")
    if len(text) < _MIN_CHARS:
        raise InvalidUidError("too short for a UID")
    if number_format == "auto":
        is_hex = any(c in "ABCDEF" for c in text) or len(text) in (8, 14, 20)
        number_format = "hex" if is_hex else "decimal"
    if number_format == "hex":
        raw = bytes.fromhex(normalize_uid(text))
    else:
        if not text.isdigit():
            raise InvalidUidError("not a decimal number")
        value = int(text)
        size = next((n for n in UID_LENGTHS if value < 1 << (8 * n)), None)
        if size is None:
            raise InvalidUidError("number too large for a UID")
        raw = value.to_bytes(size, "big")
    if byte_order == "lsb_first":
        raw = raw[::-1]
    return normalize_uid(raw)


class KeystrokeDecoder:
    """Feed it events one by one; it returns a UID when a line ends with a valid one."""

    def __init__(self, *, number_format: NumberFormat = "auto", byte_order: ByteOrder = "msb_first") -> None:
        self.number_format: NumberFormat = number_format
        self.byte_order: ByteOrder = byte_order
        self._line: list[str] = []
        self._spoiled = False

    def feed(self, ev_type: int, code: int, value: int) -> str | None:
        """One evdev event; the UID if it completed a valid line, else None."""
        if ev_type != EV_KEY or value != KEY_PRESS or code in _IGNORED:
            return None
        if code in _TERMINATORS:
            line, spoiled = "".join(self._line), self._spoiled
            self._line, self._spoiled = [], False
            if spoiled or not line:
                logger.debug("keyboard-wedge line discarded")
                return None
            try:
                return uid_from_text(line, number_format=self.number_format, byte_order=self.byte_order)
            except InvalidUidError as exc:
                logger.debug("keyboard-wedge line is not a UID: %s", exc)
                return None
        char = _CHARS.get(code)
        if char is None or len(self._line) >= _MAX_CHARS:
            self._spoiled = True
        else:
            self._line.append(char)
        return None


def decode_keystrokes(
    events: Iterable[tuple[int, int, int]],
    *,
    number_format: NumberFormat = "auto",
    byte_order: ByteOrder = "msb_first",
) -> list[str]:
    """Every UID typed in ``events`` (evdev-like ``(type, code, value)`` triples), in order."""
    decoder = KeystrokeDecoder(number_format=number_format, byte_order=byte_order)
    uids = []
    for ev_type, code, value in events:
        uid = decoder.feed(ev_type, code, value)
        if uid is not None:
            uids.append(uid)
    return uids
