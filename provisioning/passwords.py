"""Mosquitto password files in Mosquitto's own hash format, without its tools.

Mosquitto 2.x stores ``user:$7$ITERATIONS$SALT$HASH`` with PBKDF2-SHA512, a
12-byte salt and base64 fields (``mosquitto_passwd``'s ``$7$`` format); a
technician's laptop need not have Mosquitto installed to make one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 101  # mosquitto_passwd's default for $7$
SALT_BYTES = 12


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        _, alg, iterations, salt, digest = encoded.split("$")
        if alg != "7":
            return False
        actual = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(base64.b64encode(actual).decode(), digest)


def render_password_file(users: dict[str, str]) -> str:
    """``users`` maps username -> an already hashed password; sorted for stable output."""
    for name in users:
        if not name or ":" in name or "\n" in name:
            raise ValueError(f"invalid MQTT username {name!r}")
    return "".join(f"{name}:{users[name]}\n" for name in sorted(users))


def new_secret() -> str:
    """A password for a machine account: 32 url-safe characters."""
    return secrets.token_urlsafe(24)
