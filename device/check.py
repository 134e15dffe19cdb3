"""``lh-device check-config``: every problem of a config at once, and optionally the broker.

The config is checked in one pass: the main tables, ``[display]`` and ``[hardware]`` each on
their own (so an error in one does not hide the others), then every file the config names
(exists, readable, the right content: a hex tag key, a password, PEM certificates and a key
that belongs to its certificate), then what a site's TLS broker needs.  ``--connect`` then
logs in to the broker with the config's credentials (:func:`try_connect`).
"""

from __future__ import annotations

import os
import ssl
import threading
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from device.config import DeviceConfig, load_config

#: The site tag key's size (lh-provision init-site makes 32 random bytes).
TAG_KEY_BYTES = 32


@dataclass
class CheckResult:
    config: DeviceConfig | None
    problems: list[str]


def check_config(path: Path) -> CheckResult:
    """All problems of the config at ``path`` (empty if none), and the config if it parses."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        return CheckResult(None, [f"{path}: {exc.strerror}"])
    except tomllib.TOMLDecodeError as exc:
        return CheckResult(None, [f"{path}: {exc}"])
    problems: list[str] = []
    config: DeviceConfig | None = None
    try:
        DeviceConfig.model_validate(data)
    except ValidationError as exc:
        problems += [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    else:
        config = load_config(path)
    problems += _tables(path, data, config)
    problems += _files(path, data)
    return CheckResult(config if not problems else None, problems)


def _tables(path: Path, data: dict[str, Any], config: DeviceConfig | None) -> list[str]:
    from device.display.config import parse_display
    from device.display.hardware import parse_hardware

    problems: list[str] = []
    display = config.display if config is not None else data.get("display", {})
    if isinstance(display, dict):
        display = {k: v for k, v in display.items() if k != "closing_time"}  # moved to the top level
        try:
            parse_display(display, f"{path}: display")
        except ValueError as exc:
            problems += str(exc).splitlines()
    hardware = data.get("hardware")
    if isinstance(hardware, dict) and hardware:
        try:
            parse_hardware(hardware)
        except ValueError as exc:
            problems += [f"{path}: {line}" for line in str(exc).splitlines()]
    return problems


def _files(path: Path, data: dict[str, Any]) -> list[str]:
    """Every file the config names: there, readable, and holding what it should."""
    base = path.parent
    mqtt = data.get("mqtt") if isinstance(data.get("mqtt"), dict) else {}
    assert isinstance(mqtt, dict)

    def named(key: str, value: Any) -> Path | None:
        if not isinstance(value, str):
            return None
        p = Path(value)
        return p if p.is_absolute() else base / p

    problems: list[str] = []

    def readable(key: str, p: Path | None) -> bytes | None:
        if p is None:
            return None
        try:
            return p.read_bytes()
        except FileNotFoundError:
            problems.append(f"{path}: {key}: {p} does not exist")
        except IsADirectoryError:
            problems.append(f"{path}: {key}: {p} is a folder, not a file")
        except PermissionError:
            problems.append(f"{path}: {key}: {p} is not readable by this user (uid {os.geteuid()})")
        except OSError as exc:
            problems.append(f"{path}: {key}: {p}: {exc.strerror}")
        return None

    tag_key_file = named("tag_key_file", data.get("tag_key_file"))
    if tag_key_file is None:
        problems.append(f"{path}: tag_key_file is not set: the device cannot recognise tags")
    raw = readable("tag_key_file", tag_key_file)
    if raw is not None:
        try:
            key = bytes.fromhex(raw.decode().strip())
        except ValueError:
            problems.append(f"{path}: tag_key_file: {tag_key_file} does not hold a hex key")
        else:
            if len(key) != TAG_KEY_BYTES:
                problems.append(
                    f"{path}: tag_key_file: {tag_key_file} holds {len(key)} bytes, not {TAG_KEY_BYTES} "
                    "(64 hex digits): is it the site's tag key?"
                )

    url = mqtt.get("url", "mqtt://127.0.0.1:1883")
    tls = isinstance(url, str) and urlsplit(url).scheme == "mqtts"
    password_file = named("mqtt.password_file", mqtt.get("password_file"))
    raw = readable("mqtt.password_file", password_file)
    if raw is not None and not raw.strip():
        problems.append(f"{path}: mqtt.password_file: {password_file} is empty")
    if tls and password_file is None:
        problems.append(
            f"{path}: mqtt.password_file is not set: the site's broker refuses a login without one"
        )

    files = {k: named(f"mqtt.{k}", mqtt.get(k)) for k in ("tls_ca", "tls_cert", "tls_key")}
    contents = {k: readable(f"mqtt.{k}", p) for k, p in files.items()}
    if tls:
        for k, why in (
            ("tls_ca", "the site CA that signed the broker"),
            ("tls_cert", "the client certificate"),
        ):
            if files[k] is None:
                problems.append(f"{path}: mqtt.{k} is not set: mqtts:// needs {why}")
        if (files["tls_cert"] is None) != (files["tls_key"] is None):
            problems.append(f"{path}: mqtt.tls_cert and mqtt.tls_key go together: set both")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if contents["tls_ca"] is not None:
        try:
            ctx.load_verify_locations(cadata=contents["tls_ca"].decode("ascii", "replace"))
        except (ssl.SSLError, ValueError):
            problems.append(f"{path}: mqtt.tls_ca: {files['tls_ca']} is not a PEM certificate")
    if contents["tls_cert"] is not None and contents["tls_key"] is not None:
        try:
            ctx.load_cert_chain(str(files["tls_cert"]), str(files["tls_key"]))
        except ssl.SSLError as exc:
            what = (
                "do not belong together"
                if "KEY_VALUES_MISMATCH" in str(exc)
                else "are not a PEM certificate and key"
            )
            problems.append(
                f"{path}: mqtt.tls_cert and mqtt.tls_key: {files['tls_cert']} and {files['tls_key']} {what}"
            )

    store = data.get("store") if isinstance(data.get("store"), dict) else {}
    assert isinstance(store, dict)
    db = named("store.path", store.get("path", "/var/lib/lamna-hamta/device.sqlite3"))
    if db is not None:
        folder = db.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            problems.append(f"{path}: store.path: {folder} is not writable by this user (uid {os.geteuid()})")
    return problems


def try_connect(config: DeviceConfig, timeout: float = 10.0) -> tuple[bool, str]:
    """Log in to the broker with the config's credentials (a separate client id, so a running
    terminal's session is not taken over); (ok, sentence)."""
    import logging

    import paho.mqtt.client as mqtt

    from protocol.connection import ConnectHints, ConnectionWatch

    parts = urlsplit(config.mqtt.url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    username = config.mqtt.username or config.device_id
    hints = ConnectHints(
        host=host,
        port=port,
        username=username,
        tls=parts.scheme == "mqtts",
        client_cert=config.mqtt.tls_cert is not None,
        ca_file=str(config.mqtt.tls_ca) if config.mqtt.tls_ca else None,
        ca_option="mqtt.tls_ca",
        cert_option="mqtt.tls_cert and mqtt.tls_key",
        url_option="mqtt.url",
        password_option="mqtt.password_file",
    )
    done = threading.Event()
    outcome: list[tuple[bool, str]] = []

    def problem(sentence: str) -> None:
        outcome.append((False, sentence))
        done.set()

    quiet = logging.getLogger("device.check.connect")
    quiet.propagate = False
    quiet.addHandler(logging.NullHandler())
    watch = ConnectionWatch(hints, quiet, on_problem=problem)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"{config.device_id}-check-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
        reconnect_on_failure=False,
    )
    client.username_pw_set(username, config.mqtt_password())
    if hints.tls:
        client.tls_set(
            ca_certs=hints.ca_file,
            certfile=str(config.mqtt.tls_cert) if config.mqtt.tls_cert else None,
            keyfile=str(config.mqtt.tls_key) if config.mqtt.tls_key else None,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    watch.install(client)

    def on_connect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            watch.refused(rc)
        else:
            outcome.append((True, f"connected to the broker at {hints.where} as {username!r}"))
            done.set()

    client.on_connect = on_connect

    def on_disconnect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        watch.disconnected(rc)

    client.on_disconnect = on_disconnect
    client.connect_async(host, port, keepalive=30)
    client.loop_start()
    try:
        if not done.wait(timeout):
            return False, f"no answer from the broker at {hints.where} within {timeout:.0f} s"
        return outcome[0]
    finally:
        client.disconnect()
        client.loop_stop()
