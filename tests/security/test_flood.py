"""Issue 11: a device that publishes far faster than any hallway could is bounded at the
broker (the guard in the generated config: 5 messages/s, burst 30, 64 KiB payloads,
its connections closed after 200 refusals in a row and no connection for 30 s), and
the other devices' events still reach central at once.  Latency figures: bench/flood.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.site import Site
from tests.provisioning.helpers import SiteBroker, as_user, wait
from tests.security.helpers import NOT_AUTHORIZED, T, provisioned_site

BURST = 30
RATE = 5.0
KICK_AFTER = 200


@pytest.fixture
def site_broker(tmp_path: Path) -> Iterator[tuple[Site, SiteBroker]]:
    site, broker = provisioned_site(tmp_path / "site", ["dev-a", "dev-flood"])
    try:
        yield site, broker
    finally:
        broker.stop()


def test_generated_config_states_the_bounds(site_broker: tuple[Site, SiteBroker]) -> None:
    site, _ = site_broker
    conf = (site.broker / "mosquitto.conf").read_text()
    for line in (
        f"plugin_opt_publish_burst {BURST}",
        f"plugin_opt_publish_rate {RATE:g}",
        "plugin_opt_max_payload 65536",
        f"plugin_opt_kick_after {KICK_AFTER}",
    ):
        assert line in conf


def test_a_flooding_device_is_bounded_and_cut_off_while_another_device_gets_through(
    site_broker: tuple[Site, SiteBroker],
) -> None:
    site, broker = site_broker
    central = as_user(site, broker.port, site.service("central"), "central")
    flood = as_user(site, broker.port, site.device("dev-flood"), "dev-flood")
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    try:
        assert not central.subscribe(T.shared(T.all_events))[0].is_failure
        t0 = time.monotonic()
        infos = [flood.client.publish(T.events("dev-flood"), b"x" * 1000, qos=1) for _ in range(2000)]
        # Meanwhile dev-a taps: every one is accepted and reaches central promptly.
        for i in range(10):
            assert not a.publish(T.events("dev-a"), b"tap-%d" % i).is_failure
        wait(lambda: sum(m.topic == T.events("dev-a") for m in central.messages) == 10, timeout=2.0)
        wait(lambda: flood.disconnected is not None, timeout=10.0)  # cut off
        elapsed = time.monotonic() - t0
        accepted = [i.mid for i in infos if i.mid in flood.pubacks and not flood.pubacks[i.mid].is_failure]
        refused = [i.mid for i in infos if i.mid in flood.pubacks and flood.pubacks[i.mid].is_failure]
        assert len(accepted) <= BURST + RATE * elapsed + 1, (len(accepted), elapsed)
        assert refused  # some PUBACKs 0x87 arrive; the rest were in flight when it was cut off
        assert all(flood.pubacks[m].value == NOT_AUTHORIZED for m in refused)
        delivered = sum(m.topic == T.events("dev-flood") for m in central.messages)
        assert delivered == len(accepted)  # refused messages never reach central
        log = broker.log.read_text()
        assert "lh_guard: dev-flood refused 200 messages in a row: closing its connections" in log
    finally:
        for p in (central, flood, a):
            p.close()


def test_a_cut_off_flooder_may_not_connect_during_its_penalty(
    site_broker: tuple[Site, SiteBroker],
) -> None:
    site, broker = site_broker
    flood = as_user(site, broker.port, site.device("dev-flood"), "dev-flood")
    for _ in range(BURST + KICK_AFTER + 50):
        flood.client.publish(T.events("dev-flood"), b"x", qos=1)
    wait(lambda: flood.disconnected is not None, timeout=10.0)
    flood.close()
    again = as_user(site, broker.port, site.device("dev-flood"), "dev-flood")
    other = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    try:
        assert again.connack is not None and again.connack.value == NOT_AUTHORIZED  # password was right
        assert other.connack is not None and not other.connack.is_failure
        assert "it may not connect for 30 s" in broker.log.read_text()
    finally:
        again.close()
        other.close()


def test_an_oversized_message_is_refused(site_broker: tuple[Site, SiteBroker]) -> None:
    site, broker = site_broker
    central = as_user(site, broker.port, site.service("central"), "central")
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    try:
        central.subscribe(T.shared(T.all_events))
        assert a.publish(T.events("dev-a"), b"x" * (64 * 1024 + 1)).value == NOT_AUTHORIZED
        assert not a.publish(T.events("dev-a"), b"x" * (64 * 1024)).is_failure
        wait(lambda: len(central.messages) == 1)
        time.sleep(0.3)
        assert [len(m.payload) for m in central.messages] == [64 * 1024]
        # Central itself is not bounded: rosters and acks for a whole site go through it.
        assert not central.publish(T.roster("dev-a"), b"r" * (200 * 1024), retain=True).is_failure
    finally:
        central.close()
        a.close()
