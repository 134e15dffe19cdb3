"""normalize_uid: one form for every reader, and ISO 14443-A checks."""

from __future__ import annotations

import pytest

from device.hardware.errors import InvalidUidError
from device.hardware.reader import iso14443a as iso
from device.hardware.uid import normalize_uid, uid_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("04a23b11", "04A23B11"),
        ("04:A2:3B:11", "04A23B11"),
        ("04-a2 3b\t11", "04A23B11"),
        ("04 11 22 33 44 55 66", "04112233445566"),
        (bytes.fromhex("04A23B11"), "04A23B11"),
        (bytearray(b"\x04\x11\x22\x33\x44\x55\x66"), "04112233445566"),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "0102030405060708090A"),
    ],
)
def test_normalize_uid_accepts_every_form(value: object, expected: str) -> None:
    assert normalize_uid(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "04A23B",
        "04A23B118C",  # UID + BCC, as the mfrc522 package returns it
        "04A23B1",
        "04A23BXY",
        "0xAABBCCDD",
        b"\x01\x02\x03\x04\x05",
        [300, 1, 2, 3],
    ],
)
def test_normalize_uid_rejects_other_lengths_and_junk(value: object) -> None:
    with pytest.raises(InvalidUidError) as info:
        normalize_uid(value)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert "04A23B" not in str(info.value)  # errors never echo a UID


def test_uid_bytes_round_trips() -> None:
    assert uid_bytes("04:a2:3b:11") == b"\x04\xa2\x3b\x11"


def test_crc_a_matches_iso_examples() -> None:
    assert iso.crc_a(b"\x00\x00") == b"\xa0\x1e"
    assert iso.crc_a(b"\x50\x00") == b"\x57\xcd"  # HLTA as every reader sends it
    assert iso.has_valid_crc_a(b"\x50\x00\x57\xcd")
    assert not iso.has_valid_crc_a(b"\x50\x00\x57\xce")
    assert not iso.has_valid_crc_a(b"\x57\xcd")


def test_cascade_levels_insert_the_cascade_tag() -> None:
    assert iso.cascade_levels(bytes.fromhex("04A23B11")) == [bytes.fromhex("04A23B11")]
    assert iso.cascade_levels(bytes.fromhex("04112233445566")) == [
        bytes.fromhex("88041122"),
        bytes.fromhex("33445566"),
    ]
    assert len(iso.cascade_levels(bytes(range(10)))) == 3
    assert iso.bcc(bytes.fromhex("04A23B11")) == 0x8C
    with pytest.raises(ValueError):
        iso.cascade_levels(b"\x01\x02")
