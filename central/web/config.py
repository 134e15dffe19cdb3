"""The web's settings, from the environment (``LH_WEB_*`` and ``LH_OIDC_*``), typed and checked.

Each identity provider is optional: a site whose guardians sign in with BankID through the
municipality's OpenID provider sets the ``LH_OIDC_GUARDIAN_*`` trio, a site whose staff sign
in with the municipality's directory sets ``LH_OIDC_STAFF_*``; staff with a local password
(``lh-central staff set-password``) can always sign in on the password form.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OidcProvider:
    """One OpenID Connect provider: its issuer URL and this site's client registration there."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    claim: str
    """The ID-token claim that names the person: the personal identity number for guardians
    (its name varies between providers), the staff id for staff."""

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class WebConfig:
    guardian_idp: OidcProvider | None = None
    staff_idp: OidcProvider | None = None
    cookie_secure: bool = True
    """Session cookies are ``Secure`` (HTTPS only); turn off only for plain-HTTP development."""
    idle_minutes: int = 30
    absolute_hours: int = 12
    contact_text: str = ""
    """What an unknown person is told to do (e.g. "Ring förskolans expedition, 031-123 45 67")."""
    login_attempts: int = 10
    """Sign-in attempts allowed per client address in ``login_window_s`` (then 429)."""
    login_window_s: int = 300

    def __post_init__(self) -> None:
        if not 1 <= self.idle_minutes <= 24 * 60:
            raise ValueError("LH_WEB_IDLE_MINUTES must be between 1 and 1440")
        if not 1 <= self.absolute_hours <= 72:
            raise ValueError("LH_WEB_MAX_HOURS must be between 1 and 72")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WebConfig:
        env = dict(os.environ) if env is None else env

        def idp(kind: str, default_claim: str) -> OidcProvider | None:
            prefix = f"LH_OIDC_{kind}_"
            issuer = env.get(prefix + "ISSUER")
            if not issuer:
                return None
            client_id = env.get(prefix + "CLIENT_ID")
            secret = env.get(prefix + "CLIENT_SECRET")
            if not client_id or not secret:
                raise ValueError(
                    f"{prefix}ISSUER is set: set {prefix}CLIENT_ID and {prefix}CLIENT_SECRET too"
                )
            return OidcProvider(issuer, client_id, secret, env.get(prefix + "CLAIM", default_claim))

        return cls(
            guardian_idp=idp("GUARDIAN", "personal_identity_number"),
            staff_idp=idp("STAFF", "staff_id"),
            cookie_secure=env.get("LH_WEB_COOKIE_SECURE", "1") not in ("0", "false", "no"),
            idle_minutes=int(env.get("LH_WEB_IDLE_MINUTES", "30")),
            absolute_hours=int(env.get("LH_WEB_MAX_HOURS", "12")),
            contact_text=env.get("LH_WEB_CONTACT", ""),
        )
