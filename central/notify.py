"""Notifications to guardians, behind one small hook (:class:`Notifier`).

When a guardian creates an agreement (avtal), the child's other guardian(s) are told.
:class:`LoggingNotifier` only logs ids (the default); :class:`SmtpNotifier` sends e-mail
through a configured SMTP server.  Sending happens after the change is committed and a
failure is logged, never turned into a failed request: the agreement stands either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recipient:
    guardian_id: str
    email: str | None


@dataclass(frozen=True, slots=True)
class AgreementNotice:
    """An agreement someone else made for a child you are a guardian of."""

    agreement_id: str
    child_id: str
    child_display: str
    kind: str
    first: dt.date
    last: dt.date
    author_display: str
    recipients: Sequence[Recipient]


class Notifier(Protocol):
    def agreement_created(self, notice: AgreementNotice) -> None: ...


class LoggingNotifier:
    """Logs that a notice would go out (ids only, no names or addresses)."""

    def agreement_created(self, notice: AgreementNotice) -> None:
        for r in notice.recipients:
            logger.info(
                "agreement %s for child %s: notify guardian %s",
                notice.agreement_id,
                notice.child_id,
                r.guardian_id,
            )


@dataclass(frozen=True)
class SmtpConfig:
    """SMTP settings: ``LH_SMTP_HOST``, ``_PORT``, ``_FROM``, ``_USER``, ``_PASSWORD``, ``_STARTTLS``."""

    host: str
    sender: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls) -> SmtpConfig | None:
        """The configuration from the environment, or ``None`` if ``LH_SMTP_HOST`` is unset."""
        host = os.environ.get("LH_SMTP_HOST")
        if not host:
            return None
        return cls(
            host=host,
            sender=os.environ.get("LH_SMTP_FROM", "noreply@localhost"),
            port=int(os.environ.get("LH_SMTP_PORT", "587")),
            user=os.environ.get("LH_SMTP_USER") or None,
            password=os.environ.get("LH_SMTP_PASSWORD") or None,
            starttls=os.environ.get("LH_SMTP_STARTTLS", "1") not in ("0", "false", "no"),
        )


# The agreement kinds as a guardian says them (central.rules.AgreementKind values).
KIND_SV = {
    "early_pickup": "tidig hämtning",
    "pickup_by": "hämtas av någon annan",
    "walk_home_alone": "får gå hem själv",
    "late_dropoff": "sen lämning",
    "note": "meddelande",
}


def agreement_mail(notice: AgreementNotice, sender: str, to: str) -> EmailMessage:
    """The e-mail for one recipient (Swedish, as guardians read it); built apart from sending."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"Nytt avtal för {notice.child_display}"
    when = notice.first.isoformat() if notice.first == notice.last else f"{notice.first} – {notice.last}"
    msg.set_content(
        f"{notice.author_display} har skapat ett avtal ({KIND_SV.get(notice.kind, notice.kind)}) "
        f"för {notice.child_display}, {when}.\n"
        "Logga in i Lämna & Hämta för att se det.\n"
    )
    return msg


class SmtpNotifier:
    """Sends each recipient with an address one e-mail; recipients without one are logged."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def agreement_created(self, notice: AgreementNotice) -> None:
        cfg = self.config
        with_mail = [r for r in notice.recipients if r.email]
        for r in notice.recipients:
            if not r.email:
                logger.info("guardian %s has no e-mail address; not notified", r.guardian_id)
        if not with_mail:
            return
        try:
            with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s) as smtp:
                if cfg.starttls:
                    smtp.starttls()
                if cfg.user:
                    smtp.login(cfg.user, cfg.password or "")
                for r in with_mail:
                    smtp.send_message(agreement_mail(notice, cfg.sender, r.email or ""))
        except (OSError, smtplib.SMTPException):
            logger.exception("could not send agreement %s notices", notice.agreement_id)


def from_env() -> Notifier:
    """SMTP if configured, otherwise logging."""
    cfg = SmtpConfig.from_env()
    return SmtpNotifier(cfg) if cfg is not None else LoggingNotifier()
