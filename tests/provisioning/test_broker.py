"""The generated site against a real Mosquitto 2.0: TLS, passwords, the ACL
matrix, revocation and rotation (behaviour checked, not assumed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from paho.mqtt.client import MQTTMessage

from protocol.topics import Topics
from provisioning.site import Site
from tests.provisioning.helpers import SiteBroker, as_user, lh, probe, wait

T = Topics()
NOT_AUTHORIZED = 0x87


def _ok(p: object) -> None:
    assert getattr(p, "error", None) is None, p
    assert p.connack is not None and not p.connack.is_failure, p  # type: ignore[attr-defined]


def test_device_publishes_events_and_reads_its_retained_roster(running_site: tuple[Site, SiteBroker]) -> None:
    site, broker = running_site
    central = as_user(site, broker.port, site.service("central"), "central")
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    try:
        _ok(central)
        _ok(a)
        assert not central.subscribe(T.all_events)[0].is_failure
        assert central.publish(T.roster("dev-a"), b'{"version": 1}', retain=True).is_failure is False
        assert a.publish(T.events("dev-a"), b'{"event": 1}').is_failure is False
        wait(lambda: T.events("dev-a") in central.topics())
        assert not a.subscribe(T.roster("dev-a"))[0].is_failure
        wait(lambda: T.roster("dev-a") in a.topics())
        roster: MQTTMessage = a.messages[-1]
        assert roster.retain and json.loads(roster.payload) == {"version": 1}
    finally:
        central.close()
        a.close()


def test_central_reads_every_device_event(running_site: tuple[Site, SiteBroker]) -> None:
    site, broker = running_site
    central = as_user(site, broker.port, site.service("central"), "central")
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    b = as_user(site, broker.port, site.device("dev-b"), "dev-b")
    try:
        central.subscribe(T.shared(T.all_events))
        a.publish(T.events("dev-a"), b"a")
        b.publish(T.events("dev-b"), b"b")
        wait(lambda: {T.events("dev-a"), T.events("dev-b")} <= set(central.topics()))
    finally:
        for p in (central, a, b):
            p.close()


def test_acl_matrix(running_site: tuple[Site, SiteBroker]) -> None:
    """Mosquitto 2.0.11 answers a denied PUBLISH with PUBACK 0x87 and drops it; a denied
    SUBSCRIBE still gets SUBACK 'granted' and the ACL filters at delivery."""
    site, broker = running_site
    central = as_user(site, broker.port, site.service("central"), "central")
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    b = as_user(site, broker.port, site.device("dev-b"), "dev-b")
    monitor = as_user(site, broker.port, site.service("monitor"), "monitor")
    try:
        central.subscribe(T.all_events)
        central.subscribe("lh/v1/dev/+/roster")
        b.subscribe(T.events("dev-b"))
        for topic in (
            T.events("dev-b"),
            T.roster("dev-b"),
            T.roster("dev-a"),
            T.acks("dev-b"),
            T.status("dev-b"),
        ):
            assert a.publish(topic, b"forged").value == NOT_AUTHORIZED, topic
        assert monitor.publish(T.roster("dev-a"), b"forged").value == NOT_AUTHORIZED
        assert a.publish(T.status("dev-a"), b'{"state": "online"}', retain=True).is_failure is False
        # b tries to eavesdrop on a's roster and acks; central feeds a.
        for topic in (T.roster("dev-a"), T.acks("dev-a")):
            # 2.0.11 grants the SUBACK (QoS 1) and filters at delivery; 0x87 would be fine too.
            assert b.subscribe(topic)[0].value in (1, NOT_AUTHORIZED)
        b.subscribe(T.all_events)
        central.publish(T.roster("dev-a"), b"roster-a", retain=True)
        central.publish(T.acks("dev-a"), b"ack-a")
        a.subscribe(T.roster("dev-a"))
        a.subscribe(T.acks("dev-a"))
        central.publish(T.acks("dev-a"), b"ack-a2")
        wait(lambda: T.acks("dev-a") in a.topics() and T.roster("dev-a") in a.topics())
        a.publish(T.events("dev-a"), b"a-event")
        wait(lambda: T.events("dev-a") in central.topics())
        # The monitor reads statuses, nothing else.
        monitor.subscribe(T.all_statuses)
        monitor.subscribe(T.all_events)
        wait(lambda: T.status("dev-a") in monitor.topics())
        a.publish(T.events("dev-a"), b"a-event-2")
        wait(lambda: central.topics().count(T.events("dev-a")) >= 2)
        assert b.messages == [], [m.topic for m in b.messages]
        assert T.events("dev-a") not in monitor.topics()
        assert all(m.payload != b"forged" for m in central.messages)
        assert "lh/v1/dev/dev-a/roster" not in central.topics() or all(
            m.payload == b"roster-a" for m in central.messages if m.topic.endswith("/roster")
        )
    finally:
        for p in (central, a, b, monitor):
            p.close()


def test_anonymous_wrong_password_no_certificate_and_plain_text_are_refused(
    running_site: tuple[Site, SiteBroker],
) -> None:
    site, broker = running_site
    dev_a = site.device("dev-a")
    anonymous = probe(broker.port, folder=dev_a, ca=site.ca_cert, username=None, password=None)
    assert anonymous.connack is not None and anonymous.connack.is_failure
    wrong = as_user(site, broker.port, dev_a, "dev-a", password="not-the-password")
    assert wrong.connack is not None and wrong.connack.value == NOT_AUTHORIZED
    other = as_user(site, broker.port, dev_a, "dev-b", password=(dev_a / "password").read_text().strip())
    assert other.connack is not None and other.connack.is_failure
    password = (dev_a / "password").read_text().strip()
    no_cert = probe(broker.port, folder=None, ca=site.ca_cert, username="dev-a", password=password)
    assert no_cert.connack is None and (no_cert.error is not None or no_cert.disconnected is not None)
    plain = probe(broker.port, folder=None, ca=site.ca_cert, username="dev-a", password=password, tls=False)
    assert plain.connack is None
    for p in (anonymous, wrong, other, no_cert, plain):
        p.close()


def test_certificate_from_another_ca_is_refused(
    running_site: tuple[Site, SiteBroker], tmp_path: Path
) -> None:
    site, broker = running_site
    stranger = Site(tmp_path / "other")
    lh("init-site", "--site", str(stranger.root), "--broker-host", "127.0.0.1", "--broker-port", "1")
    lh("add-device", "--site", str(stranger.root), "dev-a", "--department", "solen")
    password = (site.device("dev-a") / "password").read_text().strip()
    p = probe(
        broker.port, folder=stranger.device("dev-a"), ca=site.ca_cert, username="dev-a", password=password
    )
    assert p.connack is None
    p.close()


def test_revoked_device_is_refused_after_reload(fresh_site: tuple[Site, SiteBroker], tmp_path: Path) -> None:
    site, broker = fresh_site
    kept = tmp_path / "stolen-pi"
    shutil.copytree(site.device("dev-b"), kept)
    b = as_user(site, broker.port, kept, "dev-b")
    _ok(b)
    result = lh("revoke-device", "--site", str(site.root), "dev-b", "--yes")
    assert "reloaded" in result.output
    broker.wait_reloaded(1)
    # Mosquitto drops a connected client whose password is gone when it reloads.
    wait(lambda: b.disconnected is not None)
    b.close()
    again = as_user(site, broker.port, kept, "dev-b")
    assert again.connack is None or again.connack.is_failure
    again.close()
    assert "certificate verify failed" in broker.log.read_text()  # the CRL, reread on SIGHUP
    assert not site.device("dev-b").exists()
    assert "dev-b" not in site.passwd.read_text()
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    _ok(a)
    a.close()
    assert "already revoked" in lh("revoke-device", "--site", str(site.root), "dev-b", "--yes").output


def test_rotated_device_old_password_and_certificate_are_dead(
    fresh_site: tuple[Site, SiteBroker], tmp_path: Path
) -> None:
    site, broker = fresh_site
    old = tmp_path / "old-a"
    shutil.copytree(site.device("dev-a"), old)
    lh("rotate-device", "--site", str(site.root), "dev-a", "--yes")
    broker.wait_reloaded(1)
    new = site.device("dev-a")
    assert (old / "password").read_text() != (new / "password").read_text()
    old_password = (old / "password").read_text().strip()
    stale = as_user(site, broker.port, new, "dev-a", password=old_password)
    assert stale.connack is not None and stale.connack.value == NOT_AUTHORIZED
    new_password = (new / "password").read_text().strip()
    old_cert = probe(broker.port, folder=old, ca=site.ca_cert, username="dev-a", password=new_password)
    assert old_cert.connack is None  # TLS refused: the old certificate is on the CRL
    fresh = as_user(site, broker.port, new, "dev-a")
    _ok(fresh)
    for p in (stale, old_cert, fresh):
        p.close()


def test_list_shows_retained_statuses(running_site: tuple[Site, SiteBroker]) -> None:
    site, broker = running_site
    a = as_user(site, broker.port, site.device("dev-a"), "dev-a")
    status = {
        "schema": "lh.status/1",
        "state": "online",
        "boot_id": "b1",
        "version": "0.1.0",
        "outbox_depth": 3,
        "rejected_count": 0,
        "roster_version": 7,
        "at": "2025-03-03T07:30:00+01:00",
    }
    assert a.publish(T.status("dev-a"), json.dumps(status).encode(), retain=True).is_failure is False
    a.close()
    out = lh("list", "--site", str(site.root), "--wait", "0.5").output
    assert "dev-a" in out and "online" in out and "0.1.0" in out and "2025-03-03T07:30:00" in out
    assert "dev-b" in out and "never seen" in out
    assert "solen" in out
