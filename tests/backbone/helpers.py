"""Building blocks for the backbone tests: central and device instances on a test broker."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import func, select

from central.db.schema import DeadLetter, EventRow
from central.service import BrokerURL, CentralService
from central.store import CentralStore
from device.app import DeviceApp
from device.config import DeviceConfig
from tests.broker import MosquittoBroker
from tests.conftest import PASSWORDS


def start_central(db_url: str, broker: MosquittoBroker, client_id: str = "central-1") -> CentralService:
    store = CentralStore(db_url)
    url = BrokerURL("mqtt", "127.0.0.1", broker.port, "central", PASSWORDS["central"])
    svc = CentralService(store, url, client_id=client_id, refresh_s=1.0)
    svc.start()
    assert svc.wait_connected(10), "central did not connect"
    return svc


def stop_central(svc: CentralService) -> None:
    svc.stop()
    svc.store.close()


def device_config(tmp_path: Path, broker: MosquittoBroker, device_id: str = "dev-a") -> DeviceConfig:
    pw = tmp_path / f"{device_id}.password"
    pw.write_text(PASSWORDS[device_id])
    return DeviceConfig.model_validate(
        {
            "device_id": device_id,
            "mqtt": {
                "url": broker.url,
                "password_file": str(pw),
                "reconnect_min_s": 0.5,
                "reconnect_max_s": 1.0,
                "ack_timeout_s": 3.0,
            },
            "store": {"path": str(tmp_path / f"{device_id}.sqlite3")},
        }
    )


def start_device(cfg: DeviceConfig, key: bytes) -> DeviceApp:
    app = DeviceApp.build(cfg, tag_key=key, assume_clock_synced=True)
    app.start()
    return app


def event_count(db_url: str, **where: Any) -> int:
    store = CentralStore(db_url, run_migrations=False)
    try:
        with store.session() as s:
            q = select(func.count()).select_from(EventRow)
            for k, v in where.items():
                q = q.where(getattr(EventRow, k) == v)
            return int(s.scalar(q) or 0)
    finally:
        store.close()


def event_ids(db_url: str) -> list[str]:
    store = CentralStore(db_url, run_migrations=False)
    try:
        with store.session() as s:
            return list(s.scalars(select(EventRow.event_id)))
    finally:
        store.close()


def dead_letters(db_url: str) -> list[DeadLetter]:
    store = CentralStore(db_url, run_migrations=False)
    try:
        with store.session() as s:
            return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))
    finally:
        store.close()


class RawClient:
    """A bare paho client logged in as some user, recording what it receives."""

    def __init__(self, broker: MosquittoBroker, user: str, password: str | None = None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.cond = threading.Condition()
        self.connected = threading.Event()
        self.connect_rc: Any = None
        self.sub_rcs: list[Any] = []
        self.pub_rcs: dict[int, Any] = {}
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"raw-{user}", protocol=mqtt.MQTTv5)
        c.username_pw_set(user, PASSWORDS.get(user) if password is None else password)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_subscribe = lambda _c, _u, _m, rcs, _p: self.sub_rcs.extend(rcs)
        c.on_publish = lambda _c, _u, mid, rc, _p: self.pub_rcs.__setitem__(mid, rc)
        self.client = c
        c.connect("127.0.0.1", broker.port)
        c.loop_start()

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connect_rc = rc
        if not rc.is_failure:
            self.connected.set()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.cond:
            self.messages.append((msg.topic, msg.payload))
            self.cond.notify_all()

    def json_on(self, topic: str) -> list[Any]:
        with self.cond:
            return [json.loads(p) for t, p in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
