"""``lh-device`` options and config checks: a technician gets a clear error and exit status 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from device.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "device.toml.example"


def _example(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    path = tmp_path / "device.toml"
    shutil.copy(EXAMPLE, path)
    if replace is not None:
        text = path.read_text()
        assert replace[0] in text
        path.write_text(text.replace(*replace))
    return path


def test_check_config_accepts_the_shipped_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _example(tmp_path)
    assert main(["check-config", "--config", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok (device solen-1)\n"


@pytest.mark.parametrize(
    ("replace", "says"),
    [
        (('handover_mode = "self_service"', 'handover_mode = "whatever"'), "handover_mode"),
        (("height = 480", "height = -1"), "height"),
        (('kind = "mfrc522"', 'kind = "nfc-magic"'), "kind"),
    ],
)
def test_check_config_names_the_bad_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replace: tuple[str, str], says: str
) -> None:
    assert main(["check-config", "--config", str(_example(tmp_path, replace))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err


def test_a_missing_config_file_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["simulate", "--clock", "25:99"], ["simulate", "--handover-mode", "later"], ["run"], []]
)
def test_bad_options_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_simulate_help_lists_the_demo_tags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "04CAFE01 = staff Lena Pedagog (PIN 2580)" in out
