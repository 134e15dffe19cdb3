"""Keyed digests of tag UIDs and hashes of staff PINs.

Raw UIDs never leave the device: central computes the same HMAC from the
administrator's import, and rosters carry only digests.  The key is a site
secret (``tag_key``) shared by central and the site's devices, so a digest means
nothing to anyone holding a roster alone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_HEX_RE = re.compile(r"^[0-9A-F]+$")


def normalize_uid_hex(uid: str) -> str:
    """``04:a2-3b 11`` -> ``04A23B11``; raises ValueError for anything not 4, 7 or 10 bytes of hex."""
    text = re.sub(r"[\s:\-]", "", uid).upper()
    if not _HEX_RE.fullmatch(text) or len(text) not in (8, 14, 20):
        raise ValueError("tag UID must be 4, 7 or 10 bytes of hex")
    return text


def tag_digest(key: bytes, uid: str) -> str:
    """HMAC-SHA256 of the normalised UID under the site's tag key, as 64 hex chars."""
    if len(key) < 16:
        raise ValueError("tag key must be at least 16 bytes")
    return hmac.new(key, normalize_uid_hex(uid).encode(), hashlib.sha256).hexdigest()


# -- staff PINs ---------------------------------------------------------------------------
#
# New hashes are scrypt (memory-hard: a GPU or ASIC gains little over the Pi that checks
# them); the older ``pbkdf2_sha256`` hashes in existing rosters and databases still
# verify.  A PIN's secrecy against someone holding a roster (a stolen Pi) is its length
# times this cost and no more: see docs/security.md for the threat and what to do.

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
"""16 MiB and ~45 ms per check on the x86 server core this was measured on, ~0.15-0.25 s
on a Pi 4 (docs/security.md): a device checks every staff hash of its roster per PIN."""

MAX_SCRYPT_N = 2**16
MAX_SCRYPT_R = 16
MAX_SCRYPT_P = 4
MAX_SCRYPT_MEMORY = 64 * 1024 * 1024
MAX_SCRYPT_WORK = 2**20
"""A hash asking for more (n, r, p; memory 128·n·r; work n·r·p, 8x ours) is refused, not
computed: on a Pi it would hold the PIN check for seconds per staff member, or exhaust
memory (a corrupt or hostile roster must not freeze staff out)."""

PIN_ITERATIONS = 200_000
MAX_PIN_ITERATIONS = 2_000_000
"""The same for the older PBKDF2 format: more rounds than this are refused, not computed."""

MIN_PIN_DIGITS = 4
MAX_PIN_DIGITS = 8
MIN_NEW_PIN_DIGITS = 6
"""Where a PIN is chosen (central's admin tools), ask for at least this many digits:
a 4-digit PIN is 10,000 guesses, minutes for an offline attacker whatever the hash."""


def _check_pin(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        raise ValueError(f"PIN must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")


def new_pin_problem(pin: str) -> str | None:
    """Why ``pin`` should not be accepted as a *new* PIN, or None: the policy for
    the places where staff choose one (existing 4-digit PINs keep working)."""
    try:
        _check_pin(pin)
    except ValueError as exc:
        return str(exc)
    if len(pin) < MIN_NEW_PIN_DIGITS:
        return f"a new PIN needs at least {MIN_NEW_PIN_DIGITS} digits"
    if len(set(pin)) == 1 or pin in "01234567890" or pin in "98765432109":
        return "a PIN of one repeated digit or a run of digits is the first thing guessed"
    return None


def hash_pin(pin: str, *, iterations: int | None = None, salt: str | None = None) -> str:
    """``scrypt$n$r$p$salt$hexdigest`` of a staff PIN (4-8 digits).

    With ``iterations``, the older ``pbkdf2_sha256$iterations$salt$hexdigest`` instead:
    for tests and the demo, which want a cheap hash, and for a roster read by devices
    older than scrypt support (docs/security.md, "Rolling out")."""
    _check_pin(pin)
    if iterations is not None:
        salt = salt or secrets.token_hex(8)
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), iterations).hex()
        return f"pbkdf2_sha256${iterations}${salt}${digest}"
    salt = salt or secrets.token_hex(16)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt}${digest}"


def _scrypt(pin: str, salt: str, n: int, r: int, p: int) -> str:
    memory = 128 * n * r
    return hashlib.scrypt(
        pin.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=memory + 1024 * 1024, dklen=32
    ).hex()


def _scrypt_allowed(n: int, r: int, p: int) -> bool:
    return (
        2 <= n <= MAX_SCRYPT_N
        and n & (n - 1) == 0
        and 1 <= r <= MAX_SCRYPT_R
        and 1 <= p <= MAX_SCRYPT_P
        and 128 * n * r <= MAX_SCRYPT_MEMORY
        and n * r * p <= MAX_SCRYPT_WORK
    )


def verify_pin(pin: str, encoded: str) -> bool:
    """True if ``pin`` matches a hash made by :func:`hash_pin` (scrypt or the older PBKDF2);
    False for any malformed hash or one asking for absurd work."""
    try:
        algo, _, rest = encoded.partition("$")
        if algo == "scrypt":
            n_s, r_s, p_s, salt, digest = rest.split("$")
            n, r, p = int(n_s), int(r_s), int(p_s)
            if not salt or not _scrypt_allowed(n, r, p):
                return False
            actual = _scrypt(pin, salt, n, r, p)
        elif algo == "pbkdf2_sha256":
            iterations, salt, digest = rest.split("$")
            rounds = int(iterations)
            if not 1 <= rounds <= MAX_PIN_ITERATIONS:
                return False
            actual = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), rounds).hex()
        else:
            return False
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(actual, digest)


def pin_hash_is_current(encoded: str) -> bool:
    """True if ``encoded`` uses today's scheme and cost (an admin tool can say which
    staff should set a new PIN; a hash cannot be upgraded without the PIN)."""
    return encoded.startswith(f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$")
