"""systemd notification (READY, WATCHDOG, STOPPING) over ``$NOTIFY_SOCKET``, without a dependency.

It lives with the display because the watchdog is fed from the UI loop: a
frozen screen stops the pings and systemd restarts the service.
"""

from __future__ import annotations

import logging
import os
import socket

logger = logging.getLogger(__name__)


class Notifier:
    """Sends ``sd_notify`` datagrams; does nothing when not started by systemd."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        addr = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + addr[1:] if addr.startswith("@") else addr
        usec = env.get("WATCHDOG_USEC", "")
        # WATCHDOG_PID is not checked: under cage the service's main PID is the
        # compositor and lh-device its child, which the unit allows (NotifyAccess=all).
        #: seconds between watchdog pings (half the configured timeout), or None
        self.watchdog_s = int(usec) / 2e6 if usec.isdigit() else None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, state: str) -> bool:
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                s.connect(self.address)
                s.sendall(state.encode())
            return True
        except OSError as exc:
            logger.warning("sd_notify failed: %s", exc)
            return False

    def ready(self) -> bool:
        return self.notify("READY=1")

    def ping(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")
