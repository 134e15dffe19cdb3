"""A site made with lh-provision, its Mosquitto started from the generated
``SITE/broker/mosquitto.conf`` exactly as written, and MQTT v5 probe clients."""

from __future__ import annotations

import getpass
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from typer.testing import CliRunner

from provisioning.cli import app
from provisioning.site import Site
from tests.broker import free_port, mosquitto_binary

runner = CliRunner()


def lh(*args: str, ok: bool = True) -> Any:
    """Run ``lh-provision ARGS``; assert its exit code (0 unless ``ok`` is False)."""
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result


def make_site(root: Path, port: int | None = None) -> Site:
    port = port or free_port()
    lh(
        "init-site",
        "--site",
        str(root),
        "--broker-host",
        "127.0.0.1",
        "--broker-port",
        str(port),
        "--broker-user",
        getpass.getuser(),
        "--name",
        "test",
    )
    return Site(root.resolve())


class SiteBroker:
    """``mosquitto -c SITE/broker/mosquitto.conf``, nothing rendered on the side."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.port = site.load().broker_port
        self.log = site.root / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        conf = self.site.broker / "mosquitto.conf"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            if self.site.pid_file.exists():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not open port {self.port}")

    def wait_reloaded(self, count: int, timeout: float = 5.0) -> None:
        """Wait until the log shows ``count`` config reloads (SIGHUP handled)."""
        deadline = time.monotonic() + timeout
        while self.log.read_text().count("Reloading config") < count:
            assert time.monotonic() < deadline, "broker did not reload"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@dataclass
class Probe:
    """A paho MQTT v5 client that records every callback."""

    client: mqtt.Client
    connack: Any = None
    disconnected: Any = None
    pubacks: dict[int, Any] = field(default_factory=dict)
    subacks: dict[int, list[Any]] = field(default_factory=dict)
    messages: list[mqtt.MQTTMessage] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> Any:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        wait(lambda: info.mid in self.pubacks)
        return self.pubacks[info.mid]

    def subscribe(self, topic: str) -> list[Any]:
        _, mid = self.client.subscribe(topic, qos=1)
        wait(lambda: mid in self.subacks)
        return self.subacks[mid]

    def topics(self) -> list[str]:
        return [m.topic for m in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait(pred: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def probe(
    port: int,
    *,
    folder: Path | None,
    ca: Path,
    username: str | None,
    password: str | None,
    tls: bool = True,
) -> Probe:
    """Connect (TLS with the client certificate in ``folder`` if given) and wait for the outcome."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"probe-{username}-{time.monotonic_ns()}",
        protocol=mqtt.MQTTv5,
        reconnect_on_failure=False,
    )
    p = Probe(client)
    if tls:
        client.tls_set(
            ca_certs=str(ca),
            certfile=str(folder / "client.crt") if folder else None,
            keyfile=str(folder / "client.key") if folder else None,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    if username is not None:
        client.username_pw_set(username, password)

    def on_connect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        p.connack = rc
        p.connected.set()

    def on_disconnect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        p.disconnected = rc
        p.connected.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_publish = lambda _c, _u, mid, rc, _p: p.pubacks.__setitem__(mid, rc)
    client.on_subscribe = lambda _c, _u, mid, rcs, _p: p.subacks.__setitem__(mid, rcs)
    client.on_message = lambda _c, _u, msg: p.messages.append(msg)
    try:
        client.connect("127.0.0.1", port, keepalive=30)
    except (OSError, ssl.SSLError) as exc:
        p.error = exc
        return p
    client.loop_start()
    p.connected.wait(5)
    return p


def as_user(site: Site, port: int, folder: Path, username: str, password: str | None = None) -> Probe:
    """Connect with the credentials in ``folder`` (a device's or a service's)."""
    pw = password if password is not None else (folder / "password").read_text().strip()
    return probe(port, folder=folder, ca=site.ca_cert, username=username, password=pw)


#: Wheelhouses filled once and reused by later runs (``.cache/`` is git-ignored): a bundle needs
#: the Pi's Python packages, and downloading them from PyPI for every test takes too long.
WHEELHOUSE_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "provisioning"


def wheelhouse_args(native: bool = False) -> list[str]:
    """``bundle`` options that reuse the cached wheelhouse: the Pi's (aarch64, CPython 3.11), or
    with ``native`` this machine's, which a test can install here."""
    if native:
        import platform
        import sys

        name = f"wheelhouse-native-{sys.implementation.cache_tag}-{platform.machine()}"
        return ["--wheelhouse", str(WHEELHOUSE_CACHE / name), "--pi-platform", "native"]
    return ["--wheelhouse", str(WHEELHOUSE_CACHE / "wheelhouse-pi-3.11")]
