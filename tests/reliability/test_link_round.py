"""Issue 11, task 1: a round restart racing the sender must not strand rows.

``_restart_round`` runs on paho's network thread (on connect, and when central's
retained status turns online).  If it lands while the sender is between batches,
the sender must not write its old position back: everything unacked has to go
again, or the rows sent before the outage are neither in flight nor resent.

The interleaving is forced, not hoped for: paho's ``publish`` is wrapped so that
the first events batch is lost (as in a broker outage) and the restart runs
right then, exactly where paho's thread can run it.  The rest is real: a real
DeviceStore, DeviceLink, Mosquitto and central.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from device.mqtt.link import DeviceLink
from device.store import DeviceStore
from protocol.messages import Actor, ActorKind, EventMethod, EventType
from tests.backbone.helpers import event_count, start_central, stop_central
from tests.conftest import PASSWORDS, wait_for

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")


def test_restart_during_a_send_loop_strands_nothing(seeded, broker, tmp_path: Path) -> None:
    db_url, _key = seeded
    store = DeviceStore(tmp_path / "dev-a.sqlite3", device_id="dev-a")
    n = 250  # three batches of 100: the loop goes on after the lost first batch
    for i in range(n):
        kind = EventType.CHECK_IN if i % 2 == 0 else EventType.CHECK_OUT
        store.record([("c-alva", kind)], ANNA, EventMethod.TAG)
    central = start_central(db_url, broker)
    link = DeviceLink(
        store,
        url=broker.url,
        password=PASSWORDS["dev-a"],
        ack_timeout_s=60.0,  # far beyond the test: only a correct round resends the lost batch
        batch_size=100,
        window=20,
    )
    real_publish = link.client.publish
    lost: list[str] = []

    def publish(topic: str, payload: Any = None, qos: int = 0, retain: bool = False, **kw: Any) -> Any:
        if topic.endswith("/events") and not lost and link.state.central_online:
            lost.append(payload)  # the batch is gone with the broker ...
            link._restart_round()  # ... and paho's thread restarts the round right now
            info = mqtt.MQTTMessageInfo(0)
            info.rc = mqtt.MQTT_ERR_SUCCESS
            return info
        return real_publish(topic, payload, qos=qos, retain=retain, **kw)

    link.client.publish = publish  # type: ignore[method-assign]
    try:
        link.start()
        wait_for(lambda: lost, 10)
        # Correct: the restarted round resends the lost batch well within the ack timeout.
        wait_for(lambda: store.depth() == 0, 15)
        assert event_count(db_url) == n
    finally:
        link.stop()
        stop_central(central)
        store.close()
