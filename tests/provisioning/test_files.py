"""Every generated file as data, before any disk is touched (and write_files' rules)."""

from __future__ import annotations

import io
import ipaddress
import stat
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from device.config import load_config
from provisioning import broker, bundle, pki
from provisioning.device import check_device_id, render_device_toml
from provisioning.passwords import verify_password
from provisioning.site import FileSpec, ProvisionError, SiteConfig, write_files

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> pki.KeyPair:
    return pki.make_ca("test", now=NOW)


def test_ca_is_a_ca_that_signs_no_further_cas(ca: pki.KeyPair) -> None:
    cert = pki.load_cert(ca.cert_pem)
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert bc.ca and bc.path_length == 0
    assert b"PRIVATE KEY" in ca.key_pem


def test_server_certificate_names_the_host_by_ip_or_dns(ca: pki.KeyPair) -> None:
    server = pki.make_server_cert(ca, "test", ["127.0.0.1", "mqtt.example.se"], now=NOW)
    cert = pki.load_cert(server.cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["mqtt.example.se"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    cert.verify_directly_issued_by(pki.load_cert(ca.cert_pem))


def test_client_certificate_cn_is_the_username(ca: pki.KeyPair) -> None:
    client = pki.make_client_cert(ca, "test", "solen-1", now=NOW)
    assert pki.common_name(client.cert_pem) == "solen-1"
    pki.load_cert(client.cert_pem).verify_directly_issued_by(pki.load_cert(ca.cert_pem))


def test_crl_lists_revoked_serials_once(ca: pki.KeyPair) -> None:
    empty = pki.make_crl(ca, {}, now=NOW)
    assert pki.crl_entries(empty) == {}
    client = pki.make_client_cert(ca, "test", "solen-1", now=NOW)
    once = pki.revoke(ca, empty, client.cert_pem, now=NOW)
    twice = pki.revoke(ca, once, client.cert_pem, now=NOW)
    serial = pki.load_cert(client.cert_pem).serial_number
    assert list(pki.crl_entries(twice)) == [serial]
    crl = x509.load_pem_x509_crl(twice)
    assert crl.is_signature_valid(pki.load_cert(ca.cert_pem).public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None and crl.next_update_utc.year >= 2034


def test_mosquitto_conf_has_tls_auth_acl_crl_and_persistence() -> None:
    text = broker.render_mosquitto_conf(broker_dir="/etc/mosquitto/lh/", port=8883, user="mosquitto")
    lines = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in text.splitlines() if line and line[0] != "#"
    }
    assert lines["listener"] == "8883"
    assert lines["allow_anonymous"] == "false"
    assert lines["require_certificate"] == "true"
    assert lines["use_identity_as_username"] == "false"
    assert lines["password_file"] == "/etc/mosquitto/lh/passwd"
    assert lines["acl_file"] == "/etc/mosquitto/lh/acl"
    assert lines["crlfile"] == "/etc/mosquitto/lh/certs/crl.pem"
    assert lines["persistence"] == "true"
    assert lines["max_queued_messages"] == "100000"
    assert lines["set_tcp_nodelay"] == "true", "a lone tap's packets must not wait for Nagle"
    assert "${" not in text


def test_mosquitto_conf_refuses_relative_or_spaced_paths() -> None:
    with pytest.raises(ProvisionError):
        broker.render_mosquitto_conf(broker_dir="site/broker", port=8883, user="mosquitto")
    with pytest.raises(ProvisionError):
        broker.render_mosquitto_conf(broker_dir="/my site/broker", port=8883, user="mosquitto")


def test_acl_is_the_projects_acl() -> None:
    acl = broker.render_acl()
    assert "pattern write lh/v1/dev/%u/events" in acl and "user central" in acl


def test_password_file_add_replace_remove() -> None:
    text = broker.with_password("", "central", "pw-c")
    text = broker.with_password(text, "solen-1", "pw-1")
    text = broker.with_password(text, "solen-1", "pw-2")
    users = broker.parse_password_file(text)
    assert list(users) == ["central", "solen-1"]
    assert users["solen-1"].startswith("$7$") and verify_password("pw-2", users["solen-1"])
    assert not verify_password("pw-1", users["solen-1"])
    assert list(broker.parse_password_file(broker.without_user(text, "solen-1"))) == ["central"]
    with pytest.raises(ProvisionError):
        broker.parse_password_file("no-colon-here\n")


def test_device_toml_is_valid_for_the_device(tmp_path: Path) -> None:
    (tmp_path / "device.toml").write_text(
        render_device_toml(
            device_id="solen-1", department_id="solen", broker_url="mqtts://mqtt.example.se:8883"
        )
    )
    cfg = load_config(tmp_path / "device.toml")
    assert cfg.device_id == "solen-1" and cfg.department_id == "solen"
    assert cfg.mqtt.url == "mqtts://mqtt.example.se:8883" and cfg.mqtt.username == "solen-1"
    assert cfg.mqtt.password_file == tmp_path / "password"
    assert cfg.mqtt.tls_key == tmp_path / "client.key" and cfg.tag_key_file == tmp_path / "tag_key"
    assert str(cfg.store.path) == "/var/lib/lamna-hamta/device.sqlite3"


@pytest.mark.parametrize("bad", ["Solen", "-x", "a b", "central", "monitor", "x" * 64, "a/b", "a+"])
def test_bad_device_ids(bad: str) -> None:
    with pytest.raises(ProvisionError):
        check_device_id(bad)


def test_site_config_round_trips() -> None:
    cfg = SiteConfig("s", "mqtt.example.se", 8883, "/etc/mosquitto/lh", "mosquitto", ("10.0.0.2",))
    assert SiteConfig.parse(cfg.render()) == cfg
    with pytest.raises(ProvisionError):
        SiteConfig.parse("name = 'x'\n")


def test_unit_is_the_kiosk_running_lh_device_with_a_watchdog() -> None:
    unit = bundle.render_unit()
    exec_start = "ExecStart=/usr/bin/cage -d -- /opt/lamna-hamta/venv/bin/lh-device run"
    assert f"{exec_start} --config /etc/lamna-hamta/device.toml" in unit
    assert "Restart=on-failure" in unit and "WantedBy=graphical.target" in unit
    assert "\nType=notify" in unit and "\nWatchdogSec=" in unit  # lh-device notifies systemd
    assert "PAMName=lamna-hamta" in unit
    assert "pam_systemd.so" in bundle.render_pam()  # the session logind gives the kiosk a seat by


def test_firstboot_installs_mfrc522_without_deps_and_lgpio_on_a_pi5() -> None:
    script = bundle.render_firstboot()
    assert script.startswith("#!/bin/bash\n")
    assert "--no-deps mfrc522" in script and "rpi-lgpio" in script and "Raspberry Pi 5" in script
    assert "LH_SKIP_INSTALL" in script and "--root" in script


def test_tar_keeps_modes_and_root_ownership() -> None:
    members = bundle.bundle_members({"device.toml": (b"x", 0o644), "password": (b"pw", 0o600)})
    data = bundle.build_tar_gz(members, mtime=0)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        infos = {i.name: i for i in tar.getmembers()}
    assert infos["etc/lamna-hamta/password"].mode == 0o600
    assert infos["etc/lamna-hamta/device.toml"].mode == 0o644
    assert infos["usr/local/sbin/lh-firstboot"].mode == 0o755
    assert infos["etc/systemd/system/lamna-hamta-kiosk.service"].uname == "root"
    assert infos["etc/pam.d/lamna-hamta"].mode == 0o644
    assert "etc" not in infos  # unpacking at / must not touch /etc itself


def test_write_files_secret_modes_and_no_silent_overwrite(tmp_path: Path) -> None:
    spec = FileSpec(Path("secrets/key"), b"one", 0o600)
    assert write_files(tmp_path, [spec]) == [tmp_path / "secrets/key"]
    assert stat.S_IMODE((tmp_path / "secrets/key").stat().st_mode) == 0o600
    assert write_files(tmp_path, [spec]) == []  # same content: idempotent
    with pytest.raises(ProvisionError, match="refusing to overwrite"):
        write_files(tmp_path, [FileSpec(Path("secrets/key"), b"two", 0o600)])
    assert (tmp_path / "secrets/key").read_bytes() == b"one"
    write_files(tmp_path, [FileSpec(Path("secrets/key"), b"two", 0o600)], replace=True)
    assert (tmp_path / "secrets/key").read_bytes() == b"two"
