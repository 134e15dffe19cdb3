"""Shared set-up for the benchmarks: a broker, a seeded central database, raw clients."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402


def seed(db_url: str, departments: int, children_per_dept: int, devices: list[str]) -> bytes:
    """Departments d0.., children c{d}-{i} each with guardian g{d}-{i}; device i serves d(i % departments)."""
    from central.importer import apply, parse
    from central.store import CentralStore

    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    assert key is not None
    lines = [
        "department_id,department_name,child_id,child_first_name,child_last_name,guardian_id,"
        "guardian_name,guardian_phone,guardian_email,tag_uid"
    ]
    for d in range(departments):
        for i in range(children_per_dept):
            lines.append(f"d{d},Dept {d},c{d}-{i},Child,Number{i},g{d}-{i},Guardian Number{i},,,")
    with store.session() as s, s.begin():
        apply(s, parse("\n".join(lines) + "\n", key))
    for n, dev in enumerate(devices):
        store.add_device(dev, f"d{n % departments}")
    store.close()
    return key


def wait_until(pred: Callable[[], bool], timeout: float, interval: float = 0.01) -> float:
    start = time.perf_counter()
    while not pred():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("benchmark condition not met in time")
        time.sleep(interval)
    return time.perf_counter() - start


def connect_props() -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 1000
    return props


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    def add(self, k: int = 1) -> None:
        with self.lock:
            self.n += k


def raw_client(port: int, user: str, password: str, client_id: str, **kw: Any) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, **kw)
    c.username_pw_set(user, password)
    c.max_inflight_messages_set(1000)
    return c
