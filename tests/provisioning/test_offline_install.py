"""Issue 10: first boot installs the Python side offline, from the bundle's wheelhouse.

The end-to-end test bundles a wheelhouse for *this* machine (``--pi-platform native``), unpacks
the bundle and runs lh-firstboot's own ``install_python`` function, cut from the generated
script, into a fresh venv with no index and no proxy-reachable network; then imports the device
software from it.  The Pi's wheelhouse (aarch64) is checked with the Pi's markers and tags."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

from provisioning import wheelhouse as wh
from provisioning.bundle import WHEELHOUSE_DIR
from tests.provisioning.helpers import lh, make_site, wheelhouse_args


def test_first_boot_installs_from_the_bundle_with_no_index(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    out = lh("bundle", "--site", str(site.root), "solen-1", *wheelhouse_args(native=True)).output
    assert "first boot installs offline" in out
    root = tmp_path / "pi"
    with tarfile.open(site.bundle("solen-1")) as tar:
        tar.extractall(root, filter="tar")
    script = (root / "usr/local/sbin/lh-firstboot").read_text()
    functions = "\n".join(
        re.search(rf"^{name}\(\) {{.*?^}}$", script, re.S | re.M).group(0)  # type: ignore[union-attr]
        for name in ("log", "install_python")
    )
    assert 'install_python "/opt/lamna-hamta/venv" "$ROOT/opt/lamna-hamta/wheelhouse"' in script
    (wheel,) = (root / "opt/lamna-hamta/dist").glob("lamna_hamta-*.whl")
    # python3 is this test's interpreter (the wheelhouse is for it); pip sees no configuration,
    # and any connection it tried would fail at the dead proxy.
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python3").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PATH=f"{shim}:{env['PATH']}",
        PIP_CONFIG_FILE=os.devnull,
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
    )
    venv = tmp_path / "venv"
    run = subprocess.run(
        [
            "bash",
            "-c",
            f'set -euo pipefail\n{functions}\ninstall_python "$@"',
            "lh-firstboot",
            str(venv),
            str(root / WHEELHOUSE_DIR),
            f"{wheel}[device,pi]",
            "RPi.GPIO",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pip downloads from its index" not in run.stdout
    check = subprocess.run(
        [
            str(venv / "bin/python"),
            "-I",  # not the checkout: neither the working directory nor PYTHONPATH
            "-c",
            "import importlib.util, device.cli, spidev, evdev, pygame, paho.mqtt.client, gpiozero\n"
            "assert all(importlib.util.find_spec(m) for m in ('mfrc522', 'RPi.GPIO'))\n"
            "print(device.cli.__file__)",
        ],
        env={**env, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().startswith(str(venv)), check.stdout
    assert (venv / "bin/lh-device").is_file()


def _wheel(folder: Path, filename: str, requires: list[str] = ()) -> Path:  # type: ignore[assignment]
    name, version = filename.split("-")[:2]
    path = folder / filename
    with zipfile.ZipFile(path, "w") as zf:
        meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
        zf.writestr(f"{name}-{version}.dist-info/METADATA", meta)
    return path


def _sdist(folder: Path, filename: str, pyproject: str | None) -> None:
    stem = filename.removesuffix(".tar.gz")
    src = folder / "src" / stem
    src.mkdir(parents=True)
    if pyproject is not None:
        (src / "pyproject.toml").write_text(pyproject)
    with tarfile.open(folder / filename, "w:gz") as tar:
        tar.add(src, arcname=stem)


def test_the_pi_wheelhouse_is_checked_with_the_pis_markers_and_tags(tmp_path: Path) -> None:
    """pip download --platform evaluates markers for the laptop: the check must not."""
    house = tmp_path / "house"
    house.mkdir()
    package = _wheel(
        tmp_path,
        "lamna_hamta-0.1.0-py3-none-any.whl",
        [
            "fast>=1",
            "armonly; platform_machine == 'aarch64'",
            "winonly; sys_platform == 'win32'",
            "spidev>=3.6; sys_platform == 'linux' and extra == 'pi'",
            "pygame; extra == 'device'",
        ],
    )
    _wheel(house, "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl")  # the laptop's, not the Pi's
    _wheel(house, "pygame-2.6-cp311-cp311-manylinux_2_17_aarch64.whl")
    for name in ("pip-26.0", "setuptools-80.0", "wheel-0.45", "rpi_lgpio-0.6", "mfrc522-0.0.7"):
        _wheel(house, f"{name}-py3-none-any.whl", ["lgpio>=0.1"] if "lgpio" in name else [])
    _wheel(house, "lgpio-0.2.2.0-cp311-cp311-manylinux_2_34_aarch64.whl")  # Bookworm's glibc takes it
    _sdist(house, "spidev-3.8.tar.gz", '[build-system]\nrequires = ["setuptools>=61", "cython"]\n')
    _sdist(house, "RPi.GPIO-0.7.1.tar.gz", None)  # no pyproject.toml: setuptools and wheel
    pi = wh.Target()
    missing = {str(req) for req, _ in wh.resolve(house, package, pi).missing}
    assert missing == {"fast>=1", "armonly", "cython"}
    _wheel(house, "fast-1.1-cp311-abi3-manylinux_2_28_aarch64.whl")
    _wheel(house, "armonly-1.0-py3-none-any.whl")
    _wheel(house, "cython-3.1-cp311-cp311-manylinux_2_17_aarch64.whl")
    resolution = wh.resolve(house, package, pi)
    assert resolution.missing == []
    names = {p.name for p in resolution.used}
    assert "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl" not in names
    assert {
        "spidev-3.8.tar.gz",
        "RPi.GPIO-0.7.1.tar.gz",
        "lgpio-0.2.2.0-cp311-cp311-manylinux_2_34_aarch64.whl",
    } <= names
    # A Pi with another Python needs other wheels.
    other = {str(r) for r, _ in wh.resolve(house, package, wh.Target(python="3.13")).missing}
    assert other == {"pygame", "lgpio>=0.1", "cython"}  # fast 1.1 is abi3: any CPython from 3.11
    assert Requirement("winonly") not in [r for r, _ in resolution.missing]


def test_a_failed_download_says_what_to_run_where(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for key in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # as good as an offline laptop
    site = make_site(tmp_path / "site")
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    out = lh("bundle", "--site", str(site.root), "solen-1", ok=False).output
    assert "could not download the Pi's Python packages" in out
    assert "lh-provision wheelhouse DIR" in out and "--wheelhouse DIR" in out
    assert not site.bundle("solen-1").exists()
    out = lh("wheelhouse", str(tmp_path / "wh"), "--pi-python", "3.1x", ok=False).output
    assert "--pi-python takes a version like 3.11" in out
