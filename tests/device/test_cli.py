"""``lh-device`` options and config checks: a technician gets a clear error and exit status 2."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from device.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "device.toml.example"


def _example(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    path = tmp_path / "device.toml"
    shutil.copy(EXAMPLE, path)
    _files_of(tmp_path)
    if replace is not None:
        text = path.read_text()
        assert replace[0] in text
        path.write_text(text.replace(*replace))
    return path


def _files_of(folder: Path) -> None:
    """The files the example names: a tag key, a password, the site CA and a client pair."""
    from provisioning import pki

    ca = pki.make_ca("test")
    client = pki.make_client_cert(ca, "test", "solen-1")
    (folder / "tag_key").write_text("ab" * 32 + "\n")
    (folder / "password").write_text("secret\n")
    (folder / "ca.crt").write_bytes(ca.cert_pem)
    (folder / "client.crt").write_bytes(client.cert_pem)
    (folder / "client.key").write_bytes(client.key_pem)


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


def test_check_config_reports_every_problem_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: a bad file shows all its errors at once: keys, [display], [hardware], files."""
    path = _example(tmp_path)
    text = path.read_text()
    for old, new in (
        ('handover_mode = "self_service"', 'handover_mode = "whatever"'),
        ("height = 480", "height = -1"),
        ('kind = "mfrc522"', 'kind = "nfc-magic"'),
    ):
        text = text.replace(old, new)
    path.write_text(text)
    (tmp_path / "tag_key").unlink()
    (tmp_path / "client.crt").unlink()
    (tmp_path / "password").write_text("")
    assert main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"\n{path}: 6 problems\n") and err.count("error: ") == 6, err
    for says in (
        "handover_mode",
        "display.height",
        "hardware.reader",
        f"tag_key_file: {tmp_path / 'tag_key'} does not exist",
        f"mqtt.tls_cert: {tmp_path / 'client.crt'} does not exist",
        f"mqtt.password_file: {tmp_path / 'password'} is empty",
    ):
        assert says in err, (says, err)


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda d: (d / "tag_key").write_text("abcd\n"), "holds 2 bytes, not 32"),
        (lambda d: (d / "tag_key").write_text("not hex\n"), "does not hold a hex key"),
        (lambda d: (d / "ca.crt").write_text("junk"), "mqtt.tls_ca: "),
        (lambda d: (d / "client.key").write_bytes(_other_key()), "do not belong together"),
        (lambda d: (d / "tag_key").chmod(0o000), "tag_key"),
    ],
)
def test_check_config_checks_the_files_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Callable[[Path], object], says: str
) -> None:
    path = _example(tmp_path)
    damage(tmp_path)
    if (tmp_path / "tag_key").stat().st_mode & 0o777 == 0 and os.geteuid() == 0:
        pytest.skip("root reads any file")
    assert main(["check-config", "--config", str(path)]) == 2
    assert says in capsys.readouterr().err


def _other_key() -> bytes:
    from provisioning import pki

    return pki.make_client_cert(pki.make_ca("other"), "other", "solen-1").key_pem
