"""Server-side web sessions: the cookie holds a random token, the database its SHA-256.

A session ends at log-out (the row is deleted, so a copied cookie is dead too), after
``idle_minutes`` without a request, and ``absolute_hours`` after sign-in whatever happens.
Each session has its own CSRF token, checked on every form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from central.db.schema import WebSession

COOKIE = "lh_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Identity:
    """Who signed in: a guardian, a staff member, or a person who is both."""

    guardian_id: str | None = None
    staff_id: str | None = None

    @property
    def roles(self) -> list[str]:
        return [r for r, v in (("guardian", self.guardian_id), ("staff", self.staff_id)) if v]


def create(session: Session, who: Identity, *, lang: str, now: dt.datetime) -> str:
    """A new session for ``who``; the role is chosen now if they have only one.  Returns the token."""
    token = secrets.token_urlsafe(32)
    roles = who.roles
    session.add(
        WebSession(
            token_hash=_hash(token),
            guardian_id=who.guardian_id,
            staff_id=who.staff_id,
            role=roles[0] if len(roles) == 1 else None,
            csrf=secrets.token_urlsafe(24),
            lang=lang,
            created_at=now,
            last_seen=now,
        )
    )
    return token


def load(
    session: Session, token: str | None, *, now: dt.datetime, idle: dt.timedelta, absolute: dt.timedelta
) -> WebSession | None:
    """The live session for ``token`` (its ``last_seen`` moved to ``now``), or None; an expired
    one is deleted."""
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, _hash(token))
    if row is None:
        return None
    if now - row.last_seen > idle or now - row.created_at > absolute:
        session.delete(row)
        return None
    # Write last_seen at most once a minute: a page view need not always be a write.
    if now - row.last_seen > dt.timedelta(seconds=60):
        row.last_seen = now
    return row


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def purge(session: Session, *, now: dt.datetime, idle: dt.timedelta, absolute: dt.timedelta) -> int:
    """Delete expired sessions; returns how many."""
    res = session.execute(
        delete(WebSession).where(
            (WebSession.last_seen < now - idle) | (WebSession.created_at < now - absolute)
        )
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
