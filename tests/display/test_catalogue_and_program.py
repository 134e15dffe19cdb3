"""The catalogue is complete and compiled; the program runs a script; systemd gets its datagrams."""

from __future__ import annotations

import gettext
import os
import socket
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from device.display.sdnotify import Notifier

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "device" / "display" / "locale"


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "device" / "display"),
        method_map=[("**.py", "python")],
        keywords={"N_": None, "plural": (1, 2)},
    )
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def test_every_ui_string_has_a_swedish_translation() -> None:
    with (LOCALE / "sv.po").open("rb") as fh:
        po = read_po(fh)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in po
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = _extracted() - translated
    assert not missing, f"run the catalogue update in docs/screens/README.md: {sorted(missing)}"


def test_committed_mo_matches_po() -> None:
    with (LOCALE / "sv.po").open("rb") as fh:
        po = read_po(fh)
    with (LOCALE / "sv.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for m in po:
        if m.id and isinstance(m.id, str):
            assert mo.gettext(m.id) == m.string, m.id


def test_simulate_runs_a_script_and_takes_a_screenshot(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    script = f"tap 04AABBCC\ntouch 10 10\nscreenshot {shot}\nbogus\nquit\n"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    res = subprocess.run(
        [sys.executable, "-m", "device.cli", "simulate"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "ready: first frame"
    assert "tap: screen guardian" in lines and "touch: miss, screen guardian" in lines
    assert any(line.startswith("line 4: unknown command") for line in lines)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_notifier_sends_ready_and_watchdog(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(str(path))
        n = Notifier(
            {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}
        )
        assert n.watchdog_s == 5.0
        assert n.ready() and n.ping()
        assert srv.recv(64) == b"READY=1" and srv.recv(64) == b"WATCHDOG=1"
    assert not Notifier({}).ready()
