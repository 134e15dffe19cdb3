"""Why a connection to the broker failed, in one sentence an operator can act on.

Central and the device both use :class:`ConnectionWatch` on their paho client.  paho hides
most failures: a certificate that names another host raises ``ssl.SSLCertVerificationError``
inside its network thread (and nothing is logged), and a broker that wants a client
certificate closes the TLS session with an alert, which reaches ``on_disconnect`` as
"Unspecified error".  The watch catches the exception where paho's loop (re)connects, reads
the socket error paho logs, and turns either, or a CONNACK refusal, into a sentence
(:func:`explain`), logged once per distinct failure instead of on every retry.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ConnectHints", "ConnectionWatch", "certificate_names", "explain", "explain_refusal"]


@dataclass(frozen=True, slots=True)
class ConnectHints:
    """Where the operator sets each thing, in the words of the program that connects."""

    host: str
    port: int
    username: str | None = None
    tls: bool = False
    client_cert: bool = False
    ca_file: str | None = None
    ca_option: str = "--tls-ca"
    cert_option: str = "--tls-cert/--tls-key"
    url_option: str = "--broker"
    password_option: str = "--password-file"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def certificate_names(host: str, port: int, ca_file: str | None, timeout: float = 3.0) -> list[str]:
    """The DNS names and IP addresses the broker's certificate carries (checked against
    ``ca_file``, host name not checked); [] if it cannot be read."""
    try:
        ctx = ssl.create_default_context(cafile=ca_file)
        ctx.check_hostname = False
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert() or {}
    except (OSError, ValueError):
        return []
    names = cert.get("subjectAltName", ())
    return [str(pair[1]) for pair in names if isinstance(pair, tuple) and pair[0] in ("DNS", "IP Address")]


def explain(error: BaseException | str, hints: ConnectHints) -> str:
    """One sentence for a failed connect or a lost connection: what failed and what to do."""
    text = str(error)
    low = text.lower()
    where = hints.where
    if isinstance(error, ssl.SSLCertVerificationError) or "certificate verify failed" in low:
        reason = getattr(error, "verify_message", None) or text
        rlow = reason.lower()
        if "mismatch" in rlow or "not valid for" in rlow:
            names = certificate_names(hints.host, hints.port, hints.ca_file)
            if names:
                return (
                    f"the broker's certificate is for {', '.join(names)}, not {hints.host}: "
                    f"connect to {names[0]} ({hints.url_option}), or re-issue it with --alt-name {hints.host}"
                )
            return (
                f"the broker's certificate does not name {hints.host}: connect with the name it carries "
                f"({hints.url_option}), or re-issue it with --alt-name {hints.host}"
            )
        if "expired" in rlow or "not yet valid" in rlow:
            return (
                f"the broker's certificate at {where} is outside its validity ({reason.rstrip('.')}): "
                "check this machine's clock, or renew the broker certificate"
            )
        return (
            f"the broker's certificate at {where} is not signed by the CA this side trusts "
            f"({reason.rstrip('.')}): pass the site's ca.crt with {hints.ca_option}"
        )
    if "certificate required" in low or ("handshake failure" in low and not hints.client_cert):
        if hints.client_cert:
            return f"the broker at {where} did not accept the client certificate: is it from this site's CA?"
        return f"the broker wants a client certificate: pass {hints.cert_option}"
    if "certificate revoked" in low:
        return (
            f"the broker at {where} refused the client certificate: it is revoked "
            "(a rotated or revoked identity); install the current credentials (a new bundle for a device)"
        )
    if "unknown ca" in low or "bad certificate" in low:
        return (
            f"the broker at {where} refused the client certificate ({_short(text)}): "
            f"use the one the site issued ({hints.cert_option})"
        )
    if hints.tls and any(
        s in low for s in ("wrong version number", "record layer failure", "unexpected eof")
    ):
        return (
            f"TLS failed with {where} ({_short(text)}): is it a TLS port? "
            "mqtts:// needs the broker's TLS listener (8883), mqtt:// its plain one"
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS failed with the broker at {where}: {_short(text)}"
    if isinstance(error, ConnectionRefusedError):
        return f"nothing accepts connections at {where}: is the broker running, and is the port right?"
    if isinstance(error, socket.gaierror):
        return (
            f"cannot find the broker host {hints.host!r} ({error.strerror}): "
            f"check the name in {hints.url_option}"
        )
    if isinstance(error, TimeoutError) or "timed out" in low:
        return f"no answer from {where}: check the network, a firewall, and the address"
    if isinstance(error, OSError) and error.errno is not None:
        return f"cannot reach the broker at {where}: {error.strerror or text}"
    if isinstance(error, OSError):
        return f"cannot reach the broker at {where}: {_short(text)}"
    return f"lost the connection to the broker at {where}: {_short(text)}"


def explain_refusal(reason: Any, hints: ConnectHints) -> str:
    """A CONNACK refusal (an MQTT reason code) as a sentence."""
    name = str(reason)
    user = f"user {hints.username!r}" if hints.username else "this client"
    if name in ("Not authorized", "Bad user name or password"):
        return (
            f"the broker at {hints.where} refused the login of {user} ({name}): check the password "
            f"({hints.password_option}) and that the broker's passwd file has the user (reloaded since)"
        )
    if name == "Client identifier not valid":
        return f"the broker refused the client id of {user}: is another client using it?"
    if name == "Banned":
        return f"the broker at {hints.where} has banned {user}"
    if name in ("Server unavailable", "Server busy"):
        return f"the broker at {hints.where} is unavailable ({name}); retrying"
    return f"the broker at {hints.where} refused the connection: {name}"


def _short(text: str) -> str:
    """An OpenSSL message without its ``[SSL: X]`` prefix and ``(_ssl.c:N)`` suffix."""
    if text.startswith("[SSL:") and "]" in text:
        text = text.split("]", 1)[1].strip()
    if "(_ssl.c" in text:
        text = text.split("(_ssl.c", 1)[0].strip()
    return text


class ConnectionWatch:
    """Watches one paho client and reports each distinct connection problem once.

    :meth:`install` wraps the client's ``reconnect`` (paho's loop calls it for the first
    connect and every retry, and swallows what it raises) and listens to paho's error log
    (the TLS alert that ends a session only shows there).  The owner's ``on_connect`` and
    ``on_disconnect`` call :meth:`connected`, :meth:`refused` and :meth:`disconnected`.
    ``on_problem(sentence)`` is told of every new problem (the device's technician screen).
    """

    def __init__(
        self,
        hints: ConnectHints,
        log: logging.Logger,
        *,
        who: str = "",
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.hints = hints
        self.log = log
        self.prefix = f"{who}: " if who else ""
        self.on_problem = on_problem
        self.problem: str | None = None  # the current problem, None while connected
        self._socket_error: str | None = None  # paho's last logged socket error

    def install(self, client: Any) -> None:
        original = client.reconnect

        def reconnect() -> Any:
            try:
                return original()
            except OSError as exc:
                self.report(explain(exc, self.hints))
                raise

        client.reconnect = reconnect
        previous = client.on_log

        def on_log(c: Any, userdata: Any, level: int, buf: str) -> None:
            if "on socket:" in buf and ("failed to receive" in buf or "failed to send" in buf):
                self._socket_error = buf.split("on socket:", 1)[1].strip()
            if previous is not None:
                previous(c, userdata, level, buf)

        client.on_log = on_log

    def report(self, sentence: str) -> str:
        """Log ``sentence`` unless it is the problem already reported; returns it."""
        if sentence != self.problem:
            self.problem = sentence
            self.log.error("%s%s", self.prefix, sentence)
            if self.on_problem is not None:
                self.on_problem(sentence)
        return sentence

    def connected(self) -> None:
        """A CONNACK accepted: the next failure is news again."""
        self.problem = None
        self._socket_error = None

    def refused(self, reason: Any) -> str:
        return self.report(explain_refusal(reason, self.hints))

    def disconnected(self, reason: Any) -> str:
        """An unexpected disconnect, explained by the socket error paho logged if any."""
        error, self._socket_error = self._socket_error, None
        if error is not None:
            return self.report(explain(_as_ssl_error(error), self.hints))
        name = str(reason)
        if name == "Session taken over":
            return self.report(
                f"another client connected with the same id to {self.hints.where} and took the session: "
                "two machines with one identity?"
            )
        if self.problem is not None and name in ("Unspecified error", "Protocol error"):
            return self.problem  # the refusal or failure already said why
        return self.report(f"lost the connection to the broker at {self.hints.where} ({name}); reconnecting")


def _as_ssl_error(text: str) -> BaseException:
    return ssl.SSLError(text) if text.startswith("[SSL") else OSError(text)
