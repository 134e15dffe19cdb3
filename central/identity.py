"""Personal identity numbers (personnummer) as central keeps them: a keyed digest, never the number.

Web sign-in with BankID or Freja eID gives central the number as an ID-token claim; the
administrator's import gives it per guardian.  Both go through :func:`pnr_digest` with the
site key (the one tag digests use), and only the digest is stored or compared.  The
number itself is dropped at once and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_PNR_RE = re.compile(r"^(\d{8})[-+]?(\d{4})$")


class IdentityNumberError(ValueError):
    """Not a 12-digit personal identity number (YYYYMMDD-NNNN)."""


def normalize_pnr(text: str) -> str:
    """``19800101-1234`` / ``198001011234`` -> ``198001011234``.

    A 10-digit number is refused: its century is a guess, and a wrong guess would map a
    person to someone else's digest.  Identity providers send 12 digits.
    """
    match = _PNR_RE.fullmatch(text.strip().replace(" ", ""))
    if match is None:
        raise IdentityNumberError("a personal identity number has 12 digits: YYYYMMDD-NNNN")
    return match.group(1) + match.group(2)


def pnr_digest(key: bytes, pnr: str) -> str:
    """HMAC-SHA256 of the normalised number under the site key, domain-separated from tag digests."""
    if len(key) < 16:
        raise ValueError("the site key must be at least 16 bytes")
    return hmac.new(key, b"pnr:" + normalize_pnr(pnr).encode(), hashlib.sha256).hexdigest()
