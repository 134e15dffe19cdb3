"""The device's typed, strict configuration (a TOML file).

Unknown keys are refused and every error names the file and the key.  Secrets
(the broker password, the tag key) are referenced by file path, never inlined,
so printing a config never prints a secret.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from protocol.messages import RosterUnit
from protocol.topics import DEFAULT_PREFIX, is_valid_device_id

logger = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MqttConfig(_Section):
    url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="broker URL: mqtts://host:8883 for TLS, mqtt://host:port only on loopback",
    )
    username: str | None = Field(None, description="MQTT username; defaults to the device id")
    password_file: Path | None = Field(None, description="file holding the MQTT password (0600)")
    tls_ca: Path | None = Field(None, description="the site CA certificate (PEM) for mqtts://")
    tls_cert: Path | None = Field(None, description="this device's client certificate (PEM)")
    tls_key: Path | None = Field(None, description="this device's client key (PEM, 0600)")
    topic_prefix: str = Field(DEFAULT_PREFIX, description="topic prefix, lh/v1 unless the site says")
    keepalive_s: int = Field(30, ge=5, le=600, description="MQTT keepalive; the will fires after 1.5x")
    reconnect_min_s: float = Field(0.5, gt=0, description="first reconnect delay")
    reconnect_max_s: float = Field(10.0, gt=0, description="cap of the doubling reconnect delay")
    ack_timeout_s: float = Field(15.0, gt=0, description="resend an event unacked for this long")
    batch_size: int = Field(100, ge=1, le=1000, description="events per message when draining")
    window: int = Field(20, ge=1, le=1000, description="messages in flight awaiting central's ack")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must look like mqtts://host:8883 or mqtt://127.0.0.1:1883")
        if parts.username or parts.password:
            raise ValueError("put credentials in username/password_file, not in the URL")
        return value


class StoreConfig(_Section):
    path: Path = Field(Path("/var/lib/lamna-hamta/device.sqlite3"), description="the SQLite file")


class DeviceConfig(_Section):
    device_id: str = Field(description="this device's id: its MQTT username and client id")
    department_id: str | None = Field(None, description="informational; the roster names the department")
    timezone: str = Field("Europe/Stockholm", description="local time zone of the hallway")
    tag_key_file: Path | None = Field(None, description="file with the site's tag key (hex)")
    handover_mode: Literal["self_service", "staff_confirmed"] = Field(
        "self_service",
        description="fallback until the first roster: whether a guardian's tap decides or staff "
        "confirm the handover (the roster's unit settings win)",
    )
    closing_time: dt.time = Field(
        dt.time(18, 0),
        description="fallback until the first roster: local closing time (the roster's unit settings win)",
    )
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    hardware: dict[str, Any] = Field(
        default_factory=dict, description="reader and feedback; see docs/hardware.md"
    )
    display: dict[str, Any] = Field(default_factory=dict, description="screen size, language")

    @model_validator(mode="before")
    @classmethod
    def _closing_time_moved(cls, data: Any) -> Any:
        """``display.closing_time`` of older configs is the fallback ``closing_time`` now."""
        if (
            isinstance(data, dict)
            and isinstance(data.get("display"), dict)
            and "closing_time" in data["display"]
        ):
            display = dict(data["display"])
            moved = display.pop("closing_time")
            data = {**data, "display": display}
            if "closing_time" not in data:
                data["closing_time"] = moved
            logger.warning("display.closing_time is read as closing_time: move it to the top level")
        return data

    @field_validator("device_id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not is_valid_device_id(value):
            raise ValueError("lowercase letters, digits, '-' and '_' only, at most 63")
        return value

    def unit_fallback(self) -> RosterUnit:
        """The unit settings the terminal uses until a roster carries the unit's own."""
        return RosterUnit(handover_mode=self.handover_mode, closing_time=self.closing_time)

    def tag_key(self) -> bytes:
        """The site's tag key, read from ``tag_key_file``."""
        if self.tag_key_file is None:
            raise ConfigError("tag_key_file is not set: the device cannot recognise tags")
        try:
            return bytes.fromhex(self.tag_key_file.read_text().strip())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"tag_key_file {self.tag_key_file}: {exc}") from None

    def mqtt_password(self) -> str | None:
        if self.mqtt.password_file is None:
            return None
        try:
            return self.mqtt.password_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"mqtt.password_file {self.mqtt.password_file}: {exc}") from None


class ConfigError(ValueError):
    """A configuration problem, its message naming the file and the key."""


def load_config(path: str | Path) -> DeviceConfig:
    """Read and validate a device config file; relative paths are taken from its folder."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        config = DeviceConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: DeviceConfig, base: Path) -> DeviceConfig:
    def fix(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (base / p)

    mqtt = config.mqtt.model_copy(
        update={
            "password_file": fix(config.mqtt.password_file),
            "tls_ca": fix(config.mqtt.tls_ca),
            "tls_cert": fix(config.mqtt.tls_cert),
            "tls_key": fix(config.mqtt.tls_key),
        }
    )
    store = config.store.model_copy(update={"path": fix(config.store.path)})
    return config.model_copy(update={"mqtt": mqtt, "store": store, "tag_key_file": fix(config.tag_key_file)})
