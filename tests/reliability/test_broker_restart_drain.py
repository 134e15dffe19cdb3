"""Issue 11, task 5: after a broker restart the outbox drains in seconds, not an ack timeout.

Mosquitto 2.0 does not restore central's shared subscription from persistence, so events a
Pi publishes after the restart, before central has subscribed again, reach nobody.  Central
announces itself online only once its subscription is granted (SUBACK), and a device drains
again on every such announcement; so the device's resend does not wait for its ack timeout.

The test prints the measured drain time (``-s`` shows it; docs/reliability.md has figures).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from device.config import DeviceConfig
from protocol.messages import Actor, ActorKind, EventMethod
from tests.backbone.helpers import device_config, event_ids, start_central, start_device, stop_central
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

ANNA = Actor(kind=ActorKind.GUARDIAN, id="g-anna")
ACK_TIMEOUT_S = 15.0  # the production default (docs/protocol.md)


def _config(tmp_path: Path, broker: object) -> DeviceConfig:
    cfg = device_config(tmp_path, broker)  # type: ignore[arg-type]
    return cfg.model_copy(update={"mqtt": cfg.mqtt.model_copy(update={"ack_timeout_s": ACK_TIMEOUT_S})})


# paho's loop_stop()/loop_start() (used to hold central back) leaves its wake-up socket pair
# to the garbage collector: a ResourceWarning of paho's, not of ours.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("central_late", [False, True], ids=["central-first", "central-late"])
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_outbox_drains_soon_after_a_broker_restart(
    seeded, broker, tmp_path: Path, how: str, central_late: bool
) -> None:
    db_url, key = seeded
    central = start_central(db_url, broker)
    app = start_device(_config(tmp_path, broker), key)
    try:
        wait_for(lambda: app.link.state.central_online and app.terminal.roster is not None)
        ids = [str(e.event_id) for e in app.terminal.toggle(["c-alva"], ANNA, EventMethod.TAG)]
        wait_for(lambda: app.store.depth() == 0)
        time.sleep(1.2)  # past one autosave: the broker's disk copy has central's session
        getattr(broker, how)()
        wait_for(lambda: not app.link.state.connected, 10)
        for _ in range(10):  # the hallway goes on while the broker is away
            ids += [str(e.event_id) for e in app.terminal.toggle(["c-alva", "c-noah"], ANNA, EventMethod.TAG)]
        assert app.store.depth() == 20
        if central_late:
            # Central's reconnect backoff (up to 10 s) outgrows a device's: hold central's
            # network loop (paho's, not ours) so the device is back and publishing first.
            central.client.loop_stop()
        restarted = time.monotonic()
        broker.start()
        if central_late:
            wait_for(lambda: app.link.state.connected, 10)
            time.sleep(1.0)  # the device's drain goes out into a broker with no subscriber
            central.client.loop_start()
        wait_for(lambda: app.store.depth() == 0, 3 * ACK_TIMEOUT_S)
        drained = time.monotonic() - restarted
        print(
            f"\nbroker {how}, central late={central_late}: outbox of 20 drained "
            f"{drained:.2f} s after the broker came back"
        )
        assert sorted(set(event_ids(db_url))) == sorted(ids)
        # Central is back within a few seconds (1 s late + its reconnect delay) and announces
        # itself once subscribed; a drain that waits for the ack timeout takes 15 s or more.
        assert drained < ACK_TIMEOUT_S / 2, f"drained after {drained:.1f} s: waited for the ack timeout"
    finally:
        app.stop()
        stop_central(central)
