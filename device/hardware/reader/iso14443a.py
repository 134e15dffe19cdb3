"""ISO/IEC 14443-3 type A constants and checks, shared by the MFRC522 backend and its emulator.

Pure functions on bytes: the CRC_A that protects SELECT and its answer (SAK),
the BCC that protects each cascade level of the UID, and how a UID is split
across cascade levels.
"""

from __future__ import annotations

from collections.abc import Iterable

REQA = 0x26  # wakes IDLE cards only; 7-bit short frame
WUPA = 0x52  # wakes IDLE and HALTed cards; 7-bit short frame
HLTA = 0x50
READ = 0x30
CASCADE_TAG = 0x88  # first byte of a cascade level that is not the last
SEL_CODES = (0x93, 0x95, 0x97)  # SELECT / ANTICOLLISION, cascade levels 1, 2, 3
NVB_ANTICOLL = 0x20  # "I send 2 bytes, send me all 5 bytes of this level"
NVB_SELECT = 0x70  # "I send all 7 bytes: select the card with this level"
SAK_UID_INCOMPLETE = 0x04  # SAK bit: more cascade levels follow


def crc_a(data: Iterable[int]) -> bytes:
    """CRC_A of ``data`` (preset 0x6363, reflected 0x8408), low byte first as sent on air."""
    crc = 0x6363
    for byte in data:
        byte ^= crc & 0xFF
        byte = (byte ^ (byte << 4)) & 0xFF
        crc = ((crc >> 8) ^ (byte << 8) ^ (byte << 3) ^ (byte >> 4)) & 0xFFFF
    return bytes((crc & 0xFF, crc >> 8))


def has_valid_crc_a(frame: bytes | list[int]) -> bool:
    """True if the last two bytes of ``frame`` are the CRC_A of the bytes before them."""
    frame = bytes(frame)
    return len(frame) >= 3 and crc_a(frame[:-2]) == frame[-2:]


def bcc(data: Iterable[int]) -> int:
    """Block check character of a cascade level: the XOR of its four bytes."""
    check = 0
    for byte in data:
        check ^= byte
    return check


def cascade_levels(uid: bytes) -> list[bytes]:
    """The 4-byte chunks a card answers at each cascade level (cascade tag included)."""
    if len(uid) == 4:
        return [uid]
    if len(uid) == 7:
        return [bytes((CASCADE_TAG,)) + uid[:3], uid[3:]]
    if len(uid) == 10:
        return [bytes((CASCADE_TAG,)) + uid[:3], bytes((CASCADE_TAG,)) + uid[3:6], uid[6:]]
    raise ValueError("a UID is 4, 7 or 10 bytes")
