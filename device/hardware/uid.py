"""The one place where tag UIDs are normalised.

Whatever reader saw the tag, a UID is written as uppercase hex without
separators and without the BCC check byte: 8 characters for a 4-byte UID,
14 for a 7-byte UID (NTAG stickers, many key fobs) and 20 for the rare 10-byte
UID.  Text goes through ``protocol.tags.normalize_uid_hex``, the rule central uses too.
"""

from __future__ import annotations

from collections.abc import Iterable

from device.hardware.errors import InvalidUidError
from protocol.tags import normalize_uid_hex

#: Lengths in bytes of the UIDs ISO/IEC 14443-3 allows (single, double, triple size).
UID_LENGTHS = (4, 7, 10)


def normalize_uid(value: str | bytes | bytearray | Iterable[int]) -> str:
    """Return ``value`` as a normalised UID, e.g. ``"04:a2-3b 11"`` -> ``"04A23B11"``.

    Accepts hex text (whitespace, ``:`` and ``-`` are ignored), or the UID's
    bytes.  Raises :class:`InvalidUidError` (a ``ValueError``) for anything that
    is not 4, 7 or 10 bytes; the message never repeats the value.
    """
    if isinstance(value, str):
        try:
            return normalize_uid_hex(value)
        except ValueError:
            raise InvalidUidError("a tag UID must be 4, 7 or 10 bytes of hex") from None
    try:
        raw = bytes(value)
    except (TypeError, ValueError) as exc:
        raise InvalidUidError("a tag UID must be 4, 7 or 10 bytes") from exc
    if len(raw) not in UID_LENGTHS:
        raise InvalidUidError("a tag UID must be 4, 7 or 10 bytes")
    return raw.hex().upper()


def uid_bytes(uid: str) -> bytes:
    """The bytes of a UID given as text in any form :func:`normalize_uid` accepts."""
    return bytes.fromhex(normalize_uid(uid))
