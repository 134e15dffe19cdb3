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


PIN_ITERATIONS = 200_000
MAX_PIN_ITERATIONS = 2_000_000
"""A hash asking for more is refused, not computed: on a Pi's CPU it would hold the PIN
check for minutes (a corrupt or hostile roster must not freeze staff out)."""


def hash_pin(pin: str, *, iterations: int = PIN_ITERATIONS, salt: str | None = None) -> str:
    """``pbkdf2_sha256$iterations$salt$hexdigest`` of a staff PIN (4–8 digits)."""
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValueError("PIN must be 4 to 8 digits")
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_pin(pin: str, encoded: str) -> bool:
    """True if ``pin`` matches a hash made by :func:`hash_pin`; False for any malformed hash."""
    try:
        algo, iterations, salt, digest = encoded.split("$")
        rounds = int(iterations)
        if algo != "pbkdf2_sha256" or not 1 <= rounds <= MAX_PIN_ITERATIONS:
            return False
        actual = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), rounds).hex()
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, digest)
