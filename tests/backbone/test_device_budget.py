"""Central bounds each device's event messages (a token bucket per device): a flooding device
cannot take central's ingest from the others, and what it sent over the budget is not lost,
only left for it to resend (no ack)."""

from __future__ import annotations

import json
import time

from central.service import DeviceBudget
from tests.backbone.helpers import RawClient, event_count, start_central, stop_central
from tests.backbone.test_end_to_end import _event
from tests.conftest import wait_for


def test_budget_refills_at_its_rate() -> None:
    now = [0.0]
    b = DeviceBudget(rate=2.0, burst=3.0, clock=lambda: now[0])
    assert [b.take("d") for _ in range(4)] == [True, True, True, False]
    assert b.take("other"), "each device has its own bucket"
    now[0] += 0.5  # one message's worth at 2/s
    assert b.take("d") and not b.take("d")


def test_a_flooding_device_does_not_starve_the_others(seeded, broker) -> None:  # type: ignore[no-untyped-def]
    db_url, _key = seeded
    central = start_central(db_url, broker)
    central.budget = DeviceBudget(rate=1.0, burst=5.0)
    flood = RawClient(broker, "dev-a")
    calm = RawClient(broker, "dev-b")
    try:
        assert flood.connected.wait(5) and calm.connected.wait(5)
        flood.client.subscribe("lh/v1/dev/dev-a/acks", qos=1)
        calm.client.subscribe("lh/v1/dev/dev-b/acks", qos=1)
        wait_for(lambda: len(flood.sub_rcs) == 1 and len(calm.sub_rcs) == 1)
        started = time.monotonic()
        for seq in range(1, 61):  # 60 single-event messages at once
            payload = json.dumps(_event("dev-a", seq=seq))
            flood.client.publish("lh/v1/dev/dev-a/events", payload, qos=1)
        ev = _event("dev-b", child="c-saga", actor="g-peter", seq=1)
        calm.client.publish("lh/v1/dev/dev-b/events", json.dumps(ev), qos=1)
        wait_for(lambda: calm.json_on("lh/v1/dev/dev-b/acks"), timeout=5)
        assert time.monotonic() - started < 5
        # Every message was either stored or refused.
        wait_for(lambda: event_count(db_url, device_id="dev-a") + central.stats["over_budget"] == 60)
        elapsed = time.monotonic() - started
        stored = event_count(db_url, device_id="dev-a")
        assert stored <= 5 + int(elapsed * 1.0) + 2, "the flood is bounded at central"
        acked = sum(len(a.get("results", [])) for a in flood.json_on("lh/v1/dev/dev-a/acks"))
        assert acked == stored, "only what was stored is acked: the rest stays in the outbox"
        assert event_count(db_url, device_id="dev-b") == 1
    finally:
        flood.close()
        calm.close()
        stop_central(central)
