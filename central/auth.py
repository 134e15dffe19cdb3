"""Who is calling: a :class:`Principal` (role and scope) from a bearer token.

People sign in on the web (:mod:`central.web`: OpenID Connect, server-side sessions).  For
integrations and development, the JSON API takes central's own short-lived **HS256 JWTs**.
Everything sees only :class:`Principal`; a staff member's departments are read from the
staff table (:func:`central.access.resolve`), never from a token.

Claims: ``iss``, ``aud``, ``sub`` (the person), ``iat``, ``exp``, ``role``
(``guardian``/``staff``/``admin``: one per session, chosen at sign-in by someone who is both)
and ``scope``: ``{"guardian_id": ...}`` for a guardian, ``{}`` for staff (an old token's
``departments`` is ignored) and for an administrator.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

import jwt

Role = Literal["guardian", "staff", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
ISSUER = "lh-central"
AUDIENCE = "lh-api"
MIN_SECRET_BYTES = 32


class AuthError(Exception):
    """The credentials are missing, malformed, expired or not ours (the API answers 401)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: ``subject`` acting as ``role`` within its scope."""

    subject: str
    role: Role
    guardian_id: str | None = None
    department_ids: frozenset[str] = field(default_factory=frozenset)


class Authenticator(Protocol):
    """Turns a bearer credential into a principal, or raises :class:`AuthError`."""

    def authenticate(self, token: str) -> Principal: ...


@dataclass(frozen=True)
class TokenConfig:
    """The signing secret (≥ 32 bytes, from ``LH_API_SECRET``) and token lifetime (``LH_TOKEN_TTL_S``)."""

    secret: str = field(repr=False)
    ttl_s: int = 900

    def __post_init__(self) -> None:
        if len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the API token secret must be at least {MIN_SECRET_BYTES} bytes")
        if not 30 <= self.ttl_s <= 24 * 3600:
            raise ValueError("the token lifetime must be between 30 seconds and 24 hours")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> TokenConfig:
        """``LH_API_SECRET`` (required) and ``LH_TOKEN_TTL_S`` (default 900)."""
        env = dict(os.environ) if env is None else env
        secret = env.get("LH_API_SECRET")
        if not secret:
            raise ValueError("set LH_API_SECRET (at least 32 bytes) to sign API tokens")
        return cls(secret, int(env.get("LH_TOKEN_TTL_S", "900")))


class TokenAuthority:
    """Mints and verifies central's own HS256 bearer tokens."""

    def __init__(self, config: TokenConfig) -> None:
        self.config = config

    def mint(
        self,
        subject: str,
        role: Role,
        *,
        guardian_id: str | None = None,
        departments: list[str] | tuple[str, ...] = (),
        ttl_s: int | None = None,
        now: dt.datetime | None = None,
    ) -> str:
        """A signed token; a guardian's scope is their guardian id, a staff member's their departments."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        scope: dict[str, Any] = {}
        if role == "guardian":
            if not guardian_id:
                raise ValueError("a guardian token needs the guardian id")
            scope = {"guardian_id": guardian_id}
        elif role == "staff" and departments:
            # Informational only: central reads a staff member's departments from its staff
            # table (central.access.resolve), never from a token.
            scope = {"departments": sorted(departments)}
        now = now or dt.datetime.now(dt.UTC)
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": int(now.timestamp()),
            "exp": int((now + dt.timedelta(seconds=ttl_s or self.config.ttl_s)).timestamp()),
            "role": role,
            "scope": scope,
        }
        return jwt.encode(claims, self.config.secret, algorithm="HS256")

    def authenticate(self, token: str) -> Principal:
        """The principal a valid token names; :class:`AuthError` for anything else."""
        try:
            claims = jwt.decode(
                token,
                self.config.secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        role, scope, subject = claims.get("role"), claims.get("scope"), claims.get("sub")
        if role not in ROLES or not isinstance(scope, dict) or not isinstance(subject, str):
            raise AuthError("invalid token: bad role or scope")
        if role == "guardian":
            gid = scope.get("guardian_id")
            if not isinstance(gid, str) or not gid:
                raise AuthError("invalid token: a guardian token needs scope.guardian_id")
            return Principal(subject, "guardian", guardian_id=gid)
        if role == "staff":
            # Departments are filled in from the staff table by central.access.resolve.
            return Principal(subject, "staff")
        return Principal(subject, "admin")
