"""The other guardian hears of a new agreement: e-mail through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from central.notify import AgreementNotice, Recipient, SmtpConfig, SmtpNotifier


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


NOTICE = AgreementNotice(
    agreement_id="a-1",
    child_id="c-alva",
    child_display="Alva S.",
    kind="pickup_by",
    first=dt.date(2026, 3, 27),
    last=dt.date(2026, 3, 27),
    author_display="Anna S.",
    recipients=[Recipient("g-peter", "peter@example.se"), Recipient("g-no-mail", None)],
)


def test_the_other_guardian_gets_one_swedish_mail(smtp_server: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_server
    cfg = SmtpConfig("127.0.0.1", "lh@example.se", port=port, starttls=False)
    SmtpNotifier(cfg).agreement_created(NOTICE)
    assert len(inbox.messages) == 1, "one mail; the guardian without an address gets none"
    to, msg = inbox.messages[0]
    assert to == ["peter@example.se"]
    assert (msg["From"], msg["Subject"]) == ("lh@example.se", "Nytt avtal för Alva S.")
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Anna S. har skapat ett avtal (hämtas av någon annan) för Alva S., 2026-03-27." in text


def test_an_unreachable_server_is_logged_and_the_agreement_stands(caplog: pytest.LogCaptureFixture) -> None:
    cfg = SmtpConfig("127.0.0.1", "lh@example.se", port=_free_port(), starttls=False, timeout_s=2)
    with caplog.at_level(logging.ERROR, logger="central.notify"):
        SmtpNotifier(cfg).agreement_created(NOTICE)  # must not raise: the change is already committed
    assert "could not send agreement a-1 notices" in caplog.text
    assert "peter@example.se" not in caplog.text, "logs hold no addresses"
