"""``lh-provision list``: the site's devices joined with their retained statuses.

The statuses are read from the broker as the read-only ``monitor`` user: subscribe
to every device's status topic and collect what the broker hands over as retained
within about a second.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from protocol.messages import DeviceStatus
from protocol.topics import Topics
from provisioning.site import ProvisionError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClientFiles:
    """A site service's credentials (``SITE/monitor`` or ``SITE/central``)."""

    username: str
    password_file: Path
    ca: Path
    cert: Path
    key: Path

    @classmethod
    def of(cls, folder: Path, username: str) -> ClientFiles:
        return cls(
            username, folder / "password", folder / "ca.crt", folder / "client.crt", folder / "client.key"
        )


@dataclass(frozen=True, slots=True)
class DeviceRow:
    device_id: str
    department: str
    state: str
    last_seen: str
    version: str
    outbox_depth: str


def collect_statuses(
    url: str, creds: ClientFiles, *, wait_s: float = 1.0, topics: Topics | None = None
) -> dict[str, DeviceStatus | None]:
    """Retained statuses by device id (None where the payload is not a valid status)."""
    topics = topics or Topics()
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ProvisionError(f"broker URL {url!r}: expected mqtts://host:port")
    port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    found: dict[str, DeviceStatus | None] = {}
    connected = threading.Event()
    failure: list[str] = []

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            failure.append(str(rc))
        else:
            c.subscribe(topics.all_statuses, qos=1)
        connected.set()

    def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        device_id = topics.device_of(msg.topic, "status")
        if device_id is None or not msg.retain:
            return
        try:
            found[device_id] = DeviceStatus.model_validate_json(msg.payload)
        except ValidationError:
            logger.warning("device %s: status is not lh.status/1", device_id)
            found[device_id] = None

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"lh-provision-{int(time.time())}", protocol=mqtt.MQTTv5
    )
    if parts.scheme == "mqtts":
        client.tls_set(
            ca_certs=str(creds.ca),
            certfile=str(creds.cert),
            keyfile=str(creds.key),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    client.username_pw_set(creds.username, creds.password_file.read_text().strip())
    client.on_connect = on_connect
    client.on_message = on_message
    from protocol.connection import ConnectHints, explain, explain_refusal

    hints = ConnectHints(
        host=parts.hostname,
        port=port,
        username=creds.username,
        tls=parts.scheme == "mqtts",
        client_cert=True,
        ca_file=str(creds.ca),
        password_option=str(creds.password_file),
    )
    try:
        client.connect(parts.hostname, port, keepalive=30)
    except (OSError, ssl.SSLError) as exc:  # one sentence: what failed, what to do (issue 10)
        raise ProvisionError(explain(exc, hints)) from None
    client.loop_start()
    try:
        if not connected.wait(5):
            raise ProvisionError(f"no answer from the broker at {parts.hostname}:{port}")
        if failure:
            raise ProvisionError(explain_refusal(failure[0], hints))
        time.sleep(wait_s)
    finally:
        client.disconnect()
        client.loop_stop()
    return found


def device_rows(departments: dict[str, str], statuses: dict[str, DeviceStatus | None]) -> list[DeviceRow]:
    """One row per device of the site, plus any device the broker knows and the site does not."""
    rows = []
    for device_id in sorted(set(departments) | set(statuses)):
        st = statuses.get(device_id)
        if device_id not in statuses:
            state = "never seen"
        elif st is None:
            state = "unreadable status"
        else:
            state = st.state
        rows.append(
            DeviceRow(
                device_id=device_id,
                department=departments.get(device_id, "(not in this site)"),
                state=state,
                last_seen=st.at.isoformat(timespec="seconds") if st is not None and st.at else "",
                version=(st.version or "") if st is not None else "",
                outbox_depth=str(st.outbox_depth) if st is not None and st.outbox_depth is not None else "",
            )
        )
    return rows
