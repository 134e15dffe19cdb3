"""A device's files as data: its config (valid for ``device/config.py``), its
credentials, its copy of the site CA and tag key.

The same folder works in two places: ``SITE/devices/ID/`` on the laptop and
``/etc/lamna-hamta/`` on the Pi, because every path in ``device.toml`` except the
database is relative to the config file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from protocol.topics import is_valid_device_id
from provisioning.pki import KeyPair
from provisioning.site import PUBLIC, SECRET, SERVICE_USERS, FileSpec, ProvisionError

CONFIG = "device.toml"
PASSWORD = "password"
CERT = "client.crt"
KEY = "client.key"
CA = "ca.crt"
TAG_KEY = "tag_key"
STORE_PATH = "/var/lib/lamna-hamta/device.sqlite3"


def check_device_id(device_id: str) -> None:
    """Refuse ids that can't be a username, topic level and file name, or that name a service."""
    if not is_valid_device_id(device_id):
        raise ProvisionError(
            f"invalid device id {device_id!r}: lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit, at most 63 characters"
        )
    if device_id in SERVICE_USERS:
        raise ProvisionError(f"{device_id!r} is the MQTT user of a site service; pick another device id")


def render_device_toml(*, device_id: str, department_id: str, broker_url: str) -> str:
    """``device.toml`` for one device; secrets are referenced by file, never inlined."""
    check_device_id(device_id)
    if not department_id or '"' in department_id or "\\" in department_id or "\n" in department_id:
        raise ProvisionError(f"invalid department id {department_id!r}")
    return (
        f"# Lämna & Hämta hallway device {device_id}, written by lh-provision add-device.\n"
        "# Relative paths are read from this file's folder (/etc/lamna-hamta on the Pi).\n"
        f'device_id = "{device_id}"\n'
        f'department_id = "{department_id}"\n'
        f'tag_key_file = "{TAG_KEY}"\n'
        "\n"
        "[mqtt]\n"
        f'url = "{broker_url}"\n'
        f'username = "{device_id}"\n'
        f'password_file = "{PASSWORD}"\n'
        f'tls_ca = "{CA}"\n'
        f'tls_cert = "{CERT}"\n'
        f'tls_key = "{KEY}"\n'
        "\n"
        "[store]\n"
        f'path = "{STORE_PATH}"\n'
    )


@dataclass(frozen=True, slots=True)
class DeviceSecrets:
    """What makes a device itself: its MQTT password and its client certificate."""

    password: str
    cert: KeyPair


def credential_files(folder: Path, secrets: DeviceSecrets) -> list[FileSpec]:
    """The password and certificate files (what rotate-device replaces)."""
    return [
        FileSpec(folder / PASSWORD, (secrets.password + "\n").encode(), SECRET),
        FileSpec(folder / CERT, secrets.cert.cert_pem, PUBLIC),
        FileSpec(folder / KEY, secrets.cert.key_pem, SECRET),
    ]


def device_files(
    folder: Path,
    *,
    device_id: str,
    department_id: str,
    broker_url: str,
    secrets: DeviceSecrets,
    ca_cert_pem: bytes,
    tag_key_hex: str,
) -> list[FileSpec]:
    """Every file of a device's folder, relative to the site folder."""
    return [
        FileSpec(
            folder / CONFIG,
            render_device_toml(
                device_id=device_id, department_id=department_id, broker_url=broker_url
            ).encode(),
            PUBLIC,
        ),
        FileSpec(folder / CA, ca_cert_pem, PUBLIC),
        FileSpec(folder / TAG_KEY, (tag_key_hex + "\n").encode(), SECRET),
        *credential_files(folder, secrets),
    ]
