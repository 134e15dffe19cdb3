"""The technician's site folder: where each file lives, the site settings, and
the one place files are written (after they were built as data elsewhere).

Layout (see docs/provisioning.md)::

    SITE/site.toml                 broker host, port, folder on the broker host, run-as user
    SITE/ca/ca.crt, ca.key         the site CA (key 0600: keep the folder offline)
    SITE/secrets/tag_key           the site tag key, hex (0600)
    SITE/central/, SITE/monitor/   password (0600), client.crt, client.key (0600), ca.crt
    SITE/broker/                   mosquitto.conf, passwd (0600), acl, certs/, data/
    SITE/devices/ID/               device.toml, password, client.crt, client.key, ca.crt, tag_key
    SITE/bundles/ID.tar.gz         what goes onto the Pi (0600: it holds secrets)
    SITE/revoked/ID-STAMP/         the certificate and config of a revoked device, for the record
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

SECRET = 0o600
PUBLIC = 0o644
SITE_FILE = "site.toml"
#: MQTT users of the site's own services: never usable as device ids.
SERVICE_USERS = ("central", "monitor")


class ProvisionError(Exception):
    """A request the technician must fix; the message says what and where."""


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One file to write: a path relative to the site folder, its bytes, its mode."""

    path: Path
    content: bytes
    mode: int = PUBLIC

    @property
    def secret(self) -> bool:
        return self.mode & 0o077 == 0


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """``site.toml``: what every later command needs to know about the site."""

    name: str
    broker_host: str
    broker_port: int
    broker_dir: str
    broker_user: str = "mosquitto"
    extra_hosts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def broker_url(self) -> str:
        return f"mqtts://{self.broker_host}:{self.broker_port}"

    def render(self) -> str:
        extra = ", ".join(_toml_str(h) for h in self.extra_hosts)
        return (
            "# Lämna & Hämta site settings, written by lh-provision init-site.\n"
            f"name = {_toml_str(self.name)}\n"
            f"broker_host = {_toml_str(self.broker_host)}\n"
            f"broker_port = {self.broker_port}\n"
            "# where SITE/broker lives on the broker host (paths inside mosquitto.conf)\n"
            f"broker_dir = {_toml_str(self.broker_dir)}\n"
            f"broker_user = {_toml_str(self.broker_user)}\n"
            f"extra_hosts = [{extra}]\n"
        )

    @classmethod
    def parse(cls, text: str, source: str = SITE_FILE) -> SiteConfig:
        try:
            data = tomllib.loads(text)
            return cls(
                name=str(data["name"]),
                broker_host=str(data["broker_host"]),
                broker_port=int(data["broker_port"]),
                broker_dir=str(data["broker_dir"]),
                broker_user=str(data.get("broker_user", "mosquitto")),
                extra_hosts=tuple(str(h) for h in data.get("extra_hosts", [])),
            )
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ProvisionError(f"{source}: {exc}") from None


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Site:
    """Paths inside one site folder."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / SITE_FILE

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca.key"

    @property
    def tag_key(self) -> Path:
        return self.root / "secrets" / "tag_key"

    @property
    def broker(self) -> Path:
        return self.root / "broker"

    @property
    def passwd(self) -> Path:
        return self.root / "broker" / "passwd"

    @property
    def crl(self) -> Path:
        return self.root / "broker" / "certs" / "crl.pem"

    @property
    def pid_file(self) -> Path:
        return self.root / "broker" / "mosquitto.pid"

    @property
    def devices(self) -> Path:
        return self.root / "devices"

    @property
    def bundles(self) -> Path:
        return self.root / "bundles"

    @property
    def revoked(self) -> Path:
        return self.root / "revoked"

    def service(self, user: str) -> Path:
        return self.root / user

    def device(self, device_id: str) -> Path:
        return self.root / "devices" / device_id

    def bundle(self, device_id: str) -> Path:
        return self.root / "bundles" / f"{device_id}.tar.gz"

    def exists(self) -> bool:
        return self.config_file.is_file()

    def load(self) -> SiteConfig:
        if not self.exists():
            raise ProvisionError(f"{self.root} is not a site folder (no {SITE_FILE}); run init-site first")
        return SiteConfig.parse(self.config_file.read_text(), str(self.config_file))

    def device_ids(self) -> list[str]:
        if not self.devices.is_dir():
            return []
        return sorted(p.name for p in self.devices.iterdir() if (p / "device.toml").is_file())

    def read(self, relative: Path | str) -> bytes:
        return (self.root / relative).read_bytes()


def write_files(root: Path, specs: Iterable[FileSpec], *, replace: bool = False) -> list[Path]:
    """Write ``specs`` under ``root``; each file atomically, secrets created 0600 from the start.

    An existing file with other content is an error unless ``replace`` (a secret is
    never overwritten silently); one with the same content is left alone.
    Returns the paths written.
    """
    specs = list(specs)
    if not replace:
        clashes = [
            s.path for s in specs if (root / s.path).exists() and (root / s.path).read_bytes() != s.content
        ]
        if clashes:
            raise ProvisionError("refusing to overwrite " + ", ".join(str(root / p) for p in clashes))
    written = []
    for spec in specs:
        target = root / spec.path
        if target.exists() and target.read_bytes() == spec.content:
            os.chmod(target, spec.mode)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, spec.mode)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(spec.content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, spec.mode)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        logger.debug("wrote %s", target)
        written.append(target)
    return written
