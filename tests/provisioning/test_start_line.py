"""Issue 10, task 2: the broker start line that ``init-site`` prints works as printed, as root,
with the default ``--broker-user mosquitto`` (Mosquitto drops root for that user before it
writes its pid file, reads passwd and loads the server key); and keeps working after
``add-device`` rewrites passwd and reloads it."""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.site import Site
from tests.broker import free_port
from tests.provisioning.helpers import as_user, lh

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not any(p.pw_name == "mosquitto" for p in pwd.getpwall()),
    reason="needs root and a 'mosquitto' user (the Debian package's)",
)


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"no broker on {port}: {log.read_text()}")


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder Mosquitto's user can enter (pytest's tmp_path is under a 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="lh-start-line-"))
    folder.chmod(0o755)
    for parent in folder.parents:
        if parent.stat().st_mode & 0o001 == 0:
            pytest.skip(f"{parent} is closed to other users")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_printed_start_line_runs_as_root_with_the_default_user(open_tmp: Path) -> None:
    tmp_path = open_tmp
    port = free_port()
    root = tmp_path / "site"
    out = lh(
        "init-site", "--site", str(root), "--broker-host", "127.0.0.1", "--broker-port", str(port)
    ).output
    assert "!" not in out, out  # nothing to do first
    line = next(x for x in out.splitlines() if x.startswith("start the broker with: "))
    argv = shlex.split(line.removeprefix("start the broker with: "))
    log = tmp_path / "mosquitto.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, stdout=fh, stderr=fh)
    try:
        _wait_port(port, proc, log)
        site = Site(root.resolve())
        time.sleep(0.3)
        assert site.pid_file.read_text().strip() == str(proc.pid)
        out = lh("add-device", "--site", str(root), "dev-a", "--department", "solen").output
        assert f"broker (pid {proc.pid}) reloaded" in out
        time.sleep(0.5)
        assert proc.poll() is None, log.read_text()
        p = as_user(site, port, site.device("dev-a"), "dev-a")
        try:
            assert p.connack is not None and not p.connack.is_failure, (p.connack, log.read_text())
        finally:
            p.close()
    finally:
        proc.terminate()
        proc.wait(5)
    assert "Error" not in log.read_text()


def test_a_site_folder_the_broker_user_cannot_enter_is_named(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    out = lh("init-site", "--site", str(closed / "site"), "--broker-host", "127.0.0.1").output
    assert f"cannot enter {closed} (mode 700): `chmod o+x {closed}`" in out
