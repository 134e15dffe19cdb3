"""deploy/lh-retention.{service,timer}: the daily purge's units run a real lh-central command."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from central.cli import app
from tests.conftest import seed_central

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    p = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    p.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    p.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return p


def exec_args() -> list[str]:
    argv = shlex.split(unit("lh-retention.service")["Service"]["ExecStart"])
    assert argv[0] == "/opt/lamna-hamta/venv/bin/lh-central", "the venv docs/deployment.md installs"
    return argv[1:]


def test_the_timer_runs_the_service_daily_and_catches_up() -> None:
    t = unit("lh-retention.timer")["Timer"]
    assert t["Unit"] == "lh-retention.service"
    assert t["OnCalendar"].startswith("*-*-* ")  # daily
    assert t["Persistent"] == "true" and t["RandomizedDelaySec"]
    assert unit("lh-retention.timer")["Install"]["WantedBy"] == "timers.target"
    s = unit("lh-retention.service")["Service"]
    assert s["Type"] == "oneshot" and s["EnvironmentFile"] == "/etc/lamna-hamta/central.env"


def test_execstart_is_a_real_command_whose_help_works() -> None:
    args = exec_args()
    assert args[:2] == ["retention", "purge"] and "--yes" in args
    r = CliRunner().invoke(app, [*args, "--help"])
    assert r.exit_code == 0, r.output
    assert "--older-than" in r.output


def test_execstart_purges_with_the_environment_file_settings(tmp_path: Path) -> None:
    """What the unit runs, with what central.env sets (LH_DB_URL, LH_RETENTION_DAYS), and no tty."""
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    seed_central(url, tmp_path)
    r = CliRunner().invoke(app, exec_args(), env={"LH_DB_URL": url, "LH_RETENTION_DAYS": "400"}, input="")
    assert r.exit_code == 0, r.output
    assert "deleted before" in r.output and "events=0" in r.output
    too_short = CliRunner().invoke(app, exec_args(), env={"LH_DB_URL": url, "LH_RETENTION_DAYS": "7"})
    assert too_short.exit_code == 1, "a period below the minimum fails the unit, visibly"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """systemd-analyze verify, with ExecStart pointed at an executable that exists here."""
    for name in ("lh-retention.service", "lh-retention.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/opt/lamna-hamta/venv/bin/lh-central", "/bin/true"))
    r = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / "lh-retention.timer")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (r.stdout + r.stderr).splitlines()
        if "lh-retention" in line and "EnvironmentFile" not in line and "central.env" not in line
    ]
    assert not problems, "\n".join(problems)
