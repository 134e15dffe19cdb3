"""A real Mosquitto for tests, started on a free port from broker_config/dev.

Tests break it on purpose: :meth:`MosquittoBroker.stop` (clean), :meth:`kill`
(SIGKILL: nothing flushed beyond the last autosave) and :meth:`start` again on
the same port and persistence folder.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from string import Template

from provisioning.passwords import hash_password, render_password_file

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "broker_config" / "dev" / "mosquitto.conf.template"
ACL = ROOT / "broker_config" / "acl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
    return found


class MosquittoBroker:
    def __init__(self, workdir: Path, users: dict[str, str], port: int | None = None) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.users = dict(users)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "mosquitto.log"
        self.conf = self.dir / "mosquitto.conf"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def write_files(self) -> None:
        (self.dir / "passwd").write_text(
            render_password_file({u: hash_password(p) for u, p in self.users.items()})
        )
        os.chmod(self.dir / "passwd", 0o600)
        text = Template(TEMPLATE.read_text()).substitute(
            port=self.port, dir=str(self.dir), acl=str(ACL), user=getpass.getuser()
        )
        self.conf.write_text(text)

    def start(self, timeout: float = 10.0) -> None:
        self.write_files()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([mosquitto_binary(), "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not open port {self.port}")

    def reload(self) -> None:
        """SIGHUP: Mosquitto rereads the password and ACL files."""
        self.write_files()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
