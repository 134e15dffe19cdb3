"""The bundle a Pi needs, as data: one tar.gz laid out relative to ``/``.

    etc/lamna-hamta/                     device.toml, ca.crt, client.crt; password,
                                         client.key, tag_key (0600)
    etc/systemd/system/lamna-hamta.service
    usr/local/sbin/lh-firstboot          installs the software, enables the service
    opt/lamna-hamta/dist/*.whl           the package, when the technician gave one

On the Pi: ``sudo tar -xzpf ID.tar.gz -C / && sudo lh-firstboot``.
The device runtime (``lh-device run``) belongs to the device engineers; the unit
here only starts it and restarts it when it fails.
"""

from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass

from provisioning import device as dev

CONFIG_DIR = "etc/lamna-hamta"
UNIT_NAME = "lamna-hamta.service"
UNIT_PATH = f"etc/systemd/system/{UNIT_NAME}"
FIRSTBOOT_PATH = "usr/local/sbin/lh-firstboot"
DIST_DIR = "opt/lamna-hamta/dist"
VENV = "/opt/lamna-hamta/venv"
SERVICE_USER = "lamna-hamta"


@dataclass(frozen=True, slots=True)
class Member:
    """One file in the archive: path relative to ``/``, bytes, mode."""

    path: str
    content: bytes
    mode: int


def render_unit() -> str:
    """The systemd unit: runs ``lh-device run`` as the service user, restarts on failure."""
    return f"""\
# Lämna & Hämta hallway device, installed by lh-firstboot.
# WatchdogSec= can be added once lh-device run reports to systemd (sd_notify);
# without that, a watchdog would kill a healthy device.
[Unit]
Description=Lämna & Hämta hallway device
Wants=network-online.target time-sync.target
After=network-online.target time-sync.target

[Service]
Type=simple
User={SERVICE_USER}
Group={SERVICE_USER}
SupplementaryGroups=spi gpio video render input
ExecStart={VENV}/bin/lh-device run --config /{CONFIG_DIR}/{dev.CONFIG}
Restart=on-failure
RestartSec=5
StateDirectory=lamna-hamta
StateDirectoryMode=0750
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy=multi-user.target
"""


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
#        LH_PACKAGE=SPEC      what pip installs when the bundle carries no wheel
set -euo pipefail

ROOT="${{LH_ROOT:-/}}"
while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT="$2"; shift 2 ;;
        --root=*) ROOT="${{1#--root=}}"; shift ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "lh-firstboot: unknown argument $1" >&2; exit 2 ;;
    esac
done
ROOT="${{ROOT%/}}"
CONF="$ROOT/{CONFIG_DIR}"
STATE="$ROOT/var/lib/lamna-hamta"
SKIP="${{LH_SKIP_INSTALL:-0}}"
log() {{ echo "lh-firstboot: $*"; }}

for f in {dev.CONFIG} {dev.CA} {dev.CERT} {dev.KEY} {dev.PASSWORD} {dev.TAG_KEY}; do
    [ -f "$CONF/$f" ] || {{ echo "lh-firstboot: $CONF/$f is missing; unpack the bundle first" >&2; exit 1; }}
done
chmod 0600 "$CONF/{dev.PASSWORD}" "$CONF/{dev.KEY}" "$CONF/{dev.TAG_KEY}"
mkdir -p "$STATE"
chmod 0750 "$STATE"

if [ "$SKIP" != "1" ]; then
    log "installing system packages"
    apt-get update -q
    apt-get install -y -q python3-venv python3-dev gcc
    if [ -x /usr/bin/raspi-config ]; then
        raspi-config nonint do_spi 0 || log "could not enable SPI; enable it with raspi-config"
    fi
    log "installing the device software into {VENV}"
    python3 -m venv "{VENV}"
    "{VENV}/bin/pip" install -q --upgrade pip
    wheel="$(ls "$ROOT/{DIST_DIR}"/*.whl 2>/dev/null | head -n 1 || true)"
    if [ -n "$wheel" ]; then
        "{VENV}/bin/pip" install -q "$wheel[device]"
    else
        "{VENV}/bin/pip" install -q "${{LH_PACKAGE:-lamna-hamta[device]}}"
    fi
    "{VENV}/bin/pip" install -q spidev
    # mfrc522's metadata pins RPi.GPIO, which fails on a Pi 5: install it alone.
    "{VENV}/bin/pip" install -q --no-deps mfrc522==0.0.7
    if grep -qs "Raspberry Pi 5" /proc/device-tree/model; then
        "{VENV}/bin/pip" install -q rpi-lgpio
    else
        "{VENV}/bin/pip" install -q RPi.GPIO
    fi
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

if [ "$ROOT" = "" ] && [ "$SKIP" != "1" ]; then
    systemctl daemon-reload
    systemctl enable --now {UNIT_NAME}
    log "{UNIT_NAME} enabled and started"
else
    # Offline enable, as systemctl --root would do it.
    mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
    ln -sfn "/{UNIT_PATH}" "$ROOT/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"
    log "{UNIT_NAME} enabled under $ROOT/"
fi
date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE/firstboot-done"
log "done"
"""


def bundle_members(
    device_files: dict[str, tuple[bytes, int]], wheel: tuple[str, bytes] | None = None
) -> list[Member]:
    """The archive's files: the device folder (name -> (bytes, mode)), unit, script, wheel."""
    members = [
        Member(f"{CONFIG_DIR}/{name}", content, mode)
        for name, (content, mode) in sorted(device_files.items())
    ]
    members.append(Member(UNIT_PATH, render_unit().encode(), 0o644))
    members.append(Member(FIRSTBOOT_PATH, render_firstboot().encode(), 0o755))
    if wheel is not None:
        members.append(Member(f"{DIST_DIR}/{wheel[0]}", wheel[1], 0o644))
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
