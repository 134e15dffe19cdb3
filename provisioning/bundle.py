"""The bundle a Pi needs, as data: one tar.gz laid out relative to ``/``.

    etc/lamna-hamta/                     device.toml, ca.crt, client.crt; password,
                                         client.key, tag_key (0600)
    etc/systemd/system/lamna-hamta-kiosk.service
                                         cage on tty1 running lh-device full-screen
    etc/pam.d/lamna-hamta                the kiosk's logind session (seat, XDG_RUNTIME_DIR)
    usr/local/sbin/lh-firstboot          installs the software, enables the kiosk
    opt/lamna-hamta/dist/*.whl           the package: the technician's --wheel, or built from
                                         the checkout (:func:`checkout_wheel`)
    opt/lamna-hamta/wheelhouse/          its dependencies for the Pi (provisioning.wheelhouse):
                                         first boot installs with ``pip --no-index``

On the Pi: ``sudo tar -xzpf ID.tar.gz -C / && sudo lh-firstboot``.
The unit and the PAM file are the device runtime's (docs/deployment.md), shipped in
this package as ``provisioning/lamna-hamta-kiosk.service`` and ``lamna-hamta.pam``:
one copy, read here, never retyped.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from provisioning import device as dev
from provisioning.wheelhouse import MFRC522

CONFIG_DIR = "etc/lamna-hamta"
UNIT_NAME = "lamna-hamta-kiosk.service"
UNIT_PATH = f"etc/systemd/system/{UNIT_NAME}"
PAM_PATH = "etc/pam.d/lamna-hamta"
#: The headless unit earlier bundles installed; lh-firstboot removes it so two
#: services never fight over the reader.
OLD_UNIT_NAME = "lamna-hamta.service"
FIRSTBOOT_PATH = "usr/local/sbin/lh-firstboot"
DIST_DIR = "opt/lamna-hamta/dist"
WHEELHOUSE_DIR = "opt/lamna-hamta/wheelhouse"
VENV = "/opt/lamna-hamta/venv"
SERVICE_USER = "lamna-hamta"


@dataclass(frozen=True, slots=True)
class Member:
    """One file in the archive: path relative to ``/``, bytes, mode."""

    path: str
    content: bytes
    mode: int


def render_unit() -> str:
    """The kiosk unit: cage running ``lh-device run``, Type=notify with a watchdog."""
    return resources.files("provisioning").joinpath("lamna-hamta-kiosk.service").read_text("utf-8")


def render_pam() -> str:
    """The PAM file the kiosk unit's ``PAMName=lamna-hamta`` needs."""
    return resources.files("provisioning").joinpath("lamna-hamta.pam").read_text("utf-8")


def render_firstboot() -> str:
    """The first-boot script for Raspberry Pi OS (bash; idempotent).

    ``--root DIR`` (or ``LH_ROOT``) works on an unpacked image instead of ``/``;
    ``LH_SKIP_INSTALL=1`` skips apt, pip, users and systemctl, so a test can run it.
    """
    return f"""\
#!/bin/bash
# Lämna & Hämta first boot: install the device software and enable its service.
# Usage: sudo lh-firstboot [--root DIR]     (after: tar -xzpf BUNDLE.tar.gz -C /)
# Env:   LH_ROOT=DIR          same as --root
#        LH_SKIP_INSTALL=1    no apt, pip, user or systemctl (tests, image building)
#        LH_PACKAGE=SPEC      what pip installs when the bundle carries no wheel (a wheel file
#                             with its extras, e.g. /root/lamna_hamta-0.1.0-py3-none-any.whl[device,pi])
set -euo pipefail

ROOT="${{LH_ROOT:-/}}"
while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT="$2"; shift 2 ;;
        --root=*) ROOT="${{1#--root=}}"; shift ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "lh-firstboot: unknown argument $1" >&2; exit 2 ;;
    esac
done
ROOT="${{ROOT%/}}"
if [ "${{LH_SKIP_INSTALL:-0}}" != "1" ] && [ "$(id -u)" -ne 0 ]; then
    echo "lh-firstboot: run it as root: sudo lh-firstboot" >&2
    exit 1
fi
CONF="$ROOT/{CONFIG_DIR}"
STATE="$ROOT/var/lib/lamna-hamta"
SKIP="${{LH_SKIP_INSTALL:-0}}"
log() {{ echo "lh-firstboot: $*"; }}

# install_python VENV WHEELHOUSE PACKAGE GPIO: the venv and every Python package, from the
# bundle's wheelhouse with no index (tests/provisioning run this function as it stands here).
install_python() {{
    local venv="$1" wheelhouse="$2" package="$3" gpio="$4" source=()
    if [ -n "$(ls "$wheelhouse" 2>/dev/null)" ]; then
        source=(--no-index --find-links "$wheelhouse")
    else
        log "the bundle has no wheelhouse ($wheelhouse): pip downloads from its index"
    fi
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "${{source[@]}}" --upgrade pip
    "$venv/bin/pip" install -q "${{source[@]}}" "$package"
    # mfrc522's metadata pins RPi.GPIO, which fails on a Pi 5: install it alone.
    "$venv/bin/pip" install -q "${{source[@]}}" --no-deps {MFRC522}
    "$venv/bin/pip" install -q "${{source[@]}}" "$gpio"
}}

for f in {dev.CONFIG} {dev.CA} {dev.CERT} {dev.KEY} {dev.PASSWORD} {dev.TAG_KEY}; do
    [ -f "$CONF/$f" ] || {{ echo "lh-firstboot: $CONF/$f is missing; unpack the bundle first" >&2; exit 1; }}
done
chmod 0600 "$CONF/{dev.PASSWORD}" "$CONF/{dev.KEY}" "$CONF/{dev.TAG_KEY}"
mkdir -p "$STATE"
chmod 0750 "$STATE"

if [ "$SKIP" != "1" ]; then
    wheel="$(ls "$ROOT/{DIST_DIR}"/*.whl 2>/dev/null | head -n 1 || true)"
    if [ -z "$wheel" ] && [ -z "${{LH_PACKAGE:-}}" ]; then
        # No package index serves lamna-hamta: without the bundled wheel there is nothing to install.
        echo "lh-firstboot: the bundle carries no lamna-hamta wheel ($ROOT/{DIST_DIR}/*.whl): make it again" \
             "with a current lh-provision bundle (it builds one), or set LH_PACKAGE to a wheel file" >&2
        exit 1
    fi
    if grep -qs "Raspberry Pi 5" /proc/device-tree/model; then gpio=rpi-lgpio; else gpio=RPi.GPIO; fi
    # cage, the venv module and a compiler (spidev, evdev, RPi.GPIO are built here) come from
    # Raspberry Pi OS's repository: apt needs the network unless the image already has them.
    apt_packages="cage python3-venv python3-dev gcc"
    if [ "$(dpkg-query -W -f='${{db:Status-Abbrev}}\n' $apt_packages 2>/dev/null | grep -c '^ii')" = 4 ]; then
        log "system packages already installed"
    else
        log "installing system packages"
        apt-get update -q
        apt-get install -y -q $apt_packages
    fi
    if [ -x /usr/bin/raspi-config ]; then
        raspi-config nonint do_spi 0 || log "could not enable SPI; enable it with raspi-config"
    fi
    log "installing the device software into {VENV}"
    if [ -n "$wheel" ]; then package="$wheel[device,pi]"; else package="$LH_PACKAGE"; fi
    install_python "{VENV}" "$ROOT/{WHEELHOUSE_DIR}" "$package" "$gpio"
    id -u {SERVICE_USER} >/dev/null 2>&1 \\
        || useradd --system --no-create-home --shell /usr/sbin/nologin {SERVICE_USER}
    for g in spi gpio video render input; do
        getent group "$g" >/dev/null && usermod -a -G "$g" {SERVICE_USER}
    done
    chown root:{SERVICE_USER} "$CONF" && chmod 0750 "$CONF"
    chown {SERVICE_USER}:{SERVICE_USER} "$STATE" \\
        "$CONF/{dev.PASSWORD}" "$CONF/{dev.KEY}" "$CONF/{dev.TAG_KEY}"
    "{VENV}/bin/lh-device" check-config --config "$CONF/{dev.CONFIG}"
fi

# An earlier bundle's headless unit would fight the kiosk for the reader: remove it.
if [ -e "$ROOT/etc/systemd/system/{OLD_UNIT_NAME}" ]; then
    if [ "$ROOT" = "" ] && [ "$SKIP" != "1" ]; then
        systemctl disable --now {OLD_UNIT_NAME} || true
    fi
    rm -f "$ROOT/etc/systemd/system/{OLD_UNIT_NAME}" \
        "$ROOT/etc/systemd/system/multi-user.target.wants/{OLD_UNIT_NAME}"
    log "removed the old headless {OLD_UNIT_NAME}"
fi

# The kiosk is wanted by graphical.target; Pi OS Lite boots to multi-user.target.
if [ "$ROOT" = "" ] && [ "$SKIP" != "1" ]; then
    systemctl daemon-reload
    systemctl set-default graphical.target
    systemctl enable --now {UNIT_NAME}
    log "{UNIT_NAME} enabled and started"
else
    # Offline, as systemctl --root would do it.
    mkdir -p "$ROOT/etc/systemd/system/graphical.target.wants"
    ln -sfn "/{UNIT_PATH}" "$ROOT/etc/systemd/system/graphical.target.wants/{UNIT_NAME}"
    ln -sfn /lib/systemd/system/graphical.target "$ROOT/etc/systemd/system/default.target"
    log "{UNIT_NAME} enabled under $ROOT/"
fi
date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE/firstboot-done"
log "done"
"""


def bundle_members(
    device_files: dict[str, tuple[bytes, int]],
    wheel: tuple[str, bytes] | None = None,
    wheelhouse: Sequence[Path] = (),
) -> list[Member]:
    """The archive's files: the device folder (name -> (bytes, mode)), unit, script, wheel and
    the wheelhouse's files."""
    members = [
        Member(f"{CONFIG_DIR}/{name}", content, mode)
        for name, (content, mode) in sorted(device_files.items())
    ]
    members.append(Member(UNIT_PATH, render_unit().encode(), 0o644))
    members.append(Member(PAM_PATH, render_pam().encode(), 0o644))
    members.append(Member(FIRSTBOOT_PATH, render_firstboot().encode(), 0o755))
    if wheel is not None:
        members.append(Member(f"{DIST_DIR}/{wheel[0]}", wheel[1], 0o644))
    for path in sorted(wheelhouse, key=lambda p: p.name):
        members.append(Member(f"{WHEELHOUSE_DIR}/{path.name}", path.read_bytes(), 0o644))
    return members


def build_tar_gz(members: list[Member], *, mtime: float | None = None) -> bytes:
    """A gzip'd tar of ``members``, owned by root, with their modes."""
    mtime = time.time() if mtime is None else mtime
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        # Only our own folder gets an entry: unpacking at / must not touch the
        # modes of /etc or /usr/local/sbin.
        folder = tarfile.TarInfo(CONFIG_DIR)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, int(mtime)
        tar.addfile(folder)
        for m in members:
            info = tarfile.TarInfo(m.path)
            info.size, info.mode, info.mtime = len(m.content), m.mode, int(mtime)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(m.content))
    return buf.getvalue()


#: The checkout lh-provision runs from (docs/provisioning.md): the wheel is built from it.
CHECKOUT = Path(__file__).resolve().parent.parent
_COPY_IGNORE = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "demo-run", "__pycache__", "*.pyc")


@functools.cache
def checkout_wheel(checkout: Path = CHECKOUT) -> tuple[str, bytes]:
    """The lamna-hamta wheel built from ``checkout`` (name, bytes), for a bundle made without
    ``--wheel`` (issue 10): no package index serves lamna-hamta, so the Pi must find it in the
    bundle.  Built from a clean copy (a stale ``build/`` would carry deleted modules), first
    with the build tools at hand (offline), else with pip's isolated build; once per process."""
    from provisioning.site import ProvisionError

    make_one = (
        f"make one with `python -m pip wheel {checkout} --no-deps -w dist` and pass "
        "--wheel dist/lamna_hamta-VERSION-py3-none-any.whl"
    )
    if not (checkout / "pyproject.toml").is_file():
        raise ProvisionError(
            f"lh-provision does not run from a checkout ({checkout} has no pyproject.toml): {make_one}"
        )
    with tempfile.TemporaryDirectory(prefix="lh-wheel-") as tmp:
        source, out = Path(tmp) / "src", Path(tmp) / "out"
        shutil.copytree(checkout, source, ignore=shutil.ignore_patterns(*_COPY_IGNORE))
        base = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)]
        errors = ""
        for extra in (["--no-build-isolation"], []):
            run = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=600)
            wheels = sorted(out.glob("lamna_hamta-*.whl"))
            if run.returncode == 0 and wheels:
                return wheels[0].name, wheels[0].read_bytes()
            lines = (run.stderr or run.stdout).strip().splitlines()
            errors = lines[-1] if lines else f"exit status {run.returncode}"
        raise ProvisionError(f"could not build the lamna-hamta wheel from {checkout} ({errors}): {make_one}")
