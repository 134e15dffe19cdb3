"""Staff PIN hashes (protocol/tags.py): scrypt for new hashes, the older PBKDF2 format
still verified, absurd cost parameters refused without being computed, and the policy
for new PINs.  Threat model and figures: docs/security.md."""

from __future__ import annotations

import hashlib
import time

import pytest

from protocol.tags import (
    MAX_SCRYPT_MEMORY,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    hash_pin,
    new_pin_problem,
    pin_hash_is_current,
    verify_pin,
)


def test_new_hashes_are_scrypt_with_a_random_salt_and_verify() -> None:
    h = hash_pin("482915")
    algo, n, r, p, salt, digest = h.split("$")
    assert (algo, int(n), int(r), int(p)) == ("scrypt", SCRYPT_N, SCRYPT_R, SCRYPT_P)
    assert len(salt) == 32 and len(digest) == 64
    assert hash_pin("482915") != h  # salted
    assert verify_pin("482915", h)
    assert not verify_pin("482916", h)
    assert not verify_pin("48291", h)
    assert pin_hash_is_current(h)
    assert len(h) <= 200  # fits central's column


def test_the_cost_is_memory_hard_and_bounded() -> None:
    memory = 128 * SCRYPT_N * SCRYPT_R
    assert memory == 16 * 1024 * 1024  # 16 MiB per guess: what makes GPUs and ASICs pay
    assert memory * 4 <= MAX_SCRYPT_MEMORY


def test_old_pbkdf2_hashes_in_rosters_still_verify() -> None:
    # Made the way every roster before scrypt made them (protocol/tags.py at 48f4482).
    digest = hashlib.pbkdf2_hmac("sha256", b"2580", b"0011223344556677", 200_000).hex()
    old = f"pbkdf2_sha256$200000$0011223344556677${digest}"
    assert verify_pin("2580", old)
    assert not verify_pin("2581", old)
    assert not pin_hash_is_current(old)
    assert hash_pin("2580", iterations=1000).startswith("pbkdf2_sha256$1000$")  # tests and demo


@pytest.mark.parametrize(
    ("n", "r", "p"),
    [
        (2**30, 8, 1),  # 128 GiB
        (2**17, 8, 1),  # 128 MiB
        (2**16, 16, 1),  # 128 MiB
        (2**14, 8, 64),  # 64x the work
        (2**14, 10_000, 1),
        (2**14, 8, 0),
        (1, 8, 1),
        (0, 8, 1),
        (12345, 8, 1),  # not a power of two
        (-16384, 8, 1),
    ],
)
def test_absurd_scrypt_parameters_are_refused_not_computed(n: int, r: int, p: int) -> None:
    _, _, _, _, salt, digest = hash_pin("482915").split("$")
    started = time.perf_counter()
    assert not verify_pin("482915", f"scrypt${n}${r}${p}${salt}${digest}")
    assert time.perf_counter() - started < 0.5


def test_absurd_pbkdf2_rounds_are_refused_not_computed() -> None:
    _, _, salt, digest = hash_pin("2580", iterations=1000).split("$")
    started = time.perf_counter()
    assert not verify_pin("2580", f"pbkdf2_sha256$2000000000${salt}${digest}")
    assert not verify_pin("2580", f"pbkdf2_sha256$0${salt}${digest}")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "garbage",
        "scrypt$",
        "scrypt$16384$8$1$salt",
        "scrypt$16384$8$1$$" + "0" * 64,  # empty salt
        "scrypt$x$8$1$salt$" + "0" * 64,
        "scrypt$16384$8$1$salt$" + "0" * 64 + "$extra",
        "argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "pbkdf2_sha256$abc$salt$00",
    ],
)
def test_malformed_hashes_do_not_verify(encoded: str) -> None:
    assert not verify_pin("482915", encoded)


def test_pins_are_4_to_8_ascii_digits() -> None:
    for bad in ("123", "123456789", "12a4", "", "١٢٣٤"):
        with pytest.raises(ValueError):
            hash_pin(bad)


def test_policy_for_new_pins() -> None:
    assert new_pin_problem("482915") is None
    assert new_pin_problem("48291537") is None
    assert new_pin_problem("2580") == "a new PIN needs at least 6 digits"
    for guessable in ("000000", "123456", "987654", "234567"):
        assert new_pin_problem(guessable) is not None, guessable
    assert new_pin_problem("12ab56") is not None
