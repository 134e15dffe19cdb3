"""``lh-provision`` end to end on disk: init, devices with central, tags, bundles
and a simulated first boot."""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from central.db.schema import Staff, Tag
from central.importer import apply, parse
from central.store import CentralStore
from device.config import load_config
from protocol.tags import tag_digest
from provisioning.site import Site
from tests.provisioning.helpers import lh, make_site, wheelhouse_args

ROOT = Path(__file__).resolve().parents[2]
DEMO_CSV = ROOT / "device" / "demo" / "demo.csv"


def _secrets_of(site: Site) -> list[str]:
    found = [site.tag_key.read_text().strip()]
    for user in ("central", "monitor"):
        found.append((site.service(user) / "password").read_text().strip())
    found += [(site.device(d) / "password").read_text().strip() for d in site.device_ids()]
    return found


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path / "site", port=8883)


@pytest.fixture
def db(tmp_path: Path, site: Site) -> str:
    """Central's database with the demo departments and guardians, digested with the site key."""
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    store = CentralStore(url)
    key = bytes.fromhex(site.tag_key.read_text().strip())
    store.set_tag_key(key)
    with store.session() as s, s.begin():
        apply(s, parse(DEMO_CSV.read_text(), key))
        s.add(Staff(id="s-lena", name="Lena Berg"))
    store.close()
    return url


def test_init_site_layout_modes_and_rerun(site: Site) -> None:
    for path in (site.ca_key, site.tag_key, site.passwd, site.broker / "certs/server.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for user in ("central", "monitor"):
        assert stat.S_IMODE((site.service(user) / "password").stat().st_mode) == 0o600
    assert len(bytes.fromhex(site.tag_key.read_text().strip())) == 32
    before = site.ca_key.read_bytes()
    out = lh(
        "init-site", "--site", str(site.root), "--broker-host", "127.0.0.1", "--broker-port", "8883"
    ).output
    assert "already initialised" in out
    assert site.ca_key.read_bytes() == before
    out = lh(
        "init-site", "--site", str(site.root), "--broker-host", "other.example", "--broker-port", "8883"
    ).output
    assert "--force" in out and site.load().broker_host == "127.0.0.1"


def test_force_refuses_a_site_with_devices(site: Site) -> None:
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    out = lh("init-site", "--site", str(site.root), "--broker-host", "x", "--force", "--yes", ok=False).output
    assert "revoke them first" in out


def test_add_device_errors(site: Site, tmp_path: Path, db: str) -> None:
    assert (
        "run init-site first"
        in lh(
            "add-device", "--site", str(tmp_path / "nowhere"), "solen-1", "--department", "solen", ok=False
        ).output
    )
    assert (
        "invalid device id"
        in lh("add-device", "--site", str(site.root), "Solen 1", "--department", "solen", ok=False).output
    )
    assert (
        "site service"
        in lh("add-device", "--site", str(site.root), "central", "--department", "solen", ok=False).output
    )
    out = lh(
        "add-device", "--site", str(site.root), "solen-1", "--department", "nope", "--db", db, ok=False
    ).output
    assert "no department 'nope'" in out
    assert not site.device("solen-1").exists()  # central refused: nothing half-written
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen", "--db", db)
    assert (
        "already provisioned"
        in lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen", "--db", db).output
    )
    assert (
        "already exists"
        in lh("add-device", "--site", str(site.root), "solen-1", "--department", "manen", ok=False).output
    )


def test_add_device_registers_with_central_and_writes_a_valid_config(site: Site, db: str) -> None:
    out = lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen", "--db", db).output
    assert "registered with central" in out
    cfg = load_config(site.device("solen-1") / "device.toml")
    assert cfg.mqtt.url == "mqtts://127.0.0.1:8883" and cfg.mqtt.username == "solen-1"
    assert cfg.tag_key() == bytes.fromhex(site.tag_key.read_text().strip())
    store = CentralStore(db)
    try:
        assert [(d.id, d.department_id) for d in store.devices()] == [("solen-1", "solen")]
        assert store.tag_key() == cfg.tag_key()
    finally:
        store.close()
    assert "solen-1:$7$" in site.passwd.read_text()
    for secret in _secrets_of(site):
        assert secret not in out
    lh("revoke-device", "--site", str(site.root), "solen-1", "--db", db, "--yes")
    store = CentralStore(db)
    try:
        assert store.devices() == []
    finally:
        store.close()
    assert "solen-1:" not in site.passwd.read_text()
    retired = list(site.revoked.glob("solen-1-*"))
    assert len(retired) == 1 and sorted(p.name for p in retired[0].iterdir()) == ["client.crt", "device.toml"]


def test_central_with_another_tag_key_and_tags_is_refused(site: Site, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    store = CentralStore(url)
    key = store.tag_key(create=True)
    with store.session() as s, s.begin():
        apply(s, parse(DEMO_CSV.read_text(), key))
    store.close()
    out = lh(
        "add-device", "--site", str(site.root), "solen-1", "--department", "solen", "--db", url, ok=False
    ).output
    assert "refusing to change" in out


def test_enroll_tag_by_uid_and_by_digest(site: Site, db: str) -> None:
    key = bytes.fromhex(site.tag_key.read_text().strip())
    out = lh(
        "enroll-tag",
        "--site",
        str(site.root),
        "--owner",
        "staff",
        "--id",
        "s-lena",
        "--uid",
        "04:9a:8b:7c",
        "--db",
        db,
    )
    assert "enrolled for staff s-lena" in out.output and "049A8B7C" not in out.output
    digest = tag_digest(key, "04112233445566")
    lh(
        "enroll-tag",
        "--site",
        str(site.root),
        "--owner",
        "guardian",
        "--id",
        "g-anna",
        "--digest",
        " ".join(digest[i : i + 8] for i in range(0, 64, 8)).upper(),  # as the Pi shows it
        "--db",
        db,
    )
    again = lh(
        "enroll-tag",
        "--site",
        str(site.root),
        "--owner",
        "guardian",
        "--id",
        "g-anna",
        "--digest",
        digest,
        "--db",
        db,
    )
    assert "already enrolled" in again.output
    taken = lh(
        "enroll-tag",
        "--site",
        str(site.root),
        "--owner",
        "staff",
        "--id",
        "s-lena",
        "--digest",
        digest,
        "--db",
        db,
        ok=False,
    )
    assert "already belongs to guardian g-anna" in taken.output
    assert (
        "no guardian 'g-nobody'"
        in lh(
            "enroll-tag",
            "--site",
            str(site.root),
            "--owner",
            "guardian",
            "--id",
            "g-nobody",
            "--uid",
            "04010203",
            "--db",
            db,
            ok=False,
        ).output
    )
    assert (
        "either --uid or --digest"
        in lh(
            "enroll-tag", "--site", str(site.root), "--owner", "staff", "--id", "s-lena", "--db", db, ok=False
        ).output
    )
    store = CentralStore(db)
    with store.session() as s:
        rows = {(t.digest, t.owner_kind, t.owner_id) for t in s.scalars(select(Tag))}
    store.close()
    assert (tag_digest(key, "049A8B7C"), "staff", "s-lena") in rows
    assert (digest, "guardian", "g-anna") in rows


def test_bundle_unpacked_and_first_boot_simulated(site: Site, tmp_path: Path) -> None:
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    out = lh("bundle", "--site", str(site.root), "solen-1", *wheelhouse_args()).output
    path = site.bundle("solen-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "bundles/solen-1.tar.gz" in out
    root = tmp_path / "pi"
    root.mkdir()
    with tarfile.open(path) as tar:
        modes = {m.name: m.mode for m in tar.getmembers()}
        tar.extractall(root, filter="tar")
    for name in ("password", "client.key", "tag_key"):
        assert modes[f"etc/lamna-hamta/{name}"] == 0o600
        assert stat.S_IMODE((root / "etc/lamna-hamta" / name).stat().st_mode) == 0o600
    env = {**os.environ, "LH_SKIP_INSTALL": "1"}
    script = root / "usr/local/sbin/lh-firstboot"
    run = subprocess.run(
        [str(script), "--root", str(root)], env=env, capture_output=True, text=True, timeout=20
    )
    assert run.returncode == 0, run.stderr
    wants = root / "etc/systemd/system/graphical.target.wants/lamna-hamta-kiosk.service"
    assert wants.is_symlink() and os.readlink(wants) == "/etc/systemd/system/lamna-hamta-kiosk.service"
    assert os.readlink(root / "etc/systemd/system/default.target") == "/lib/systemd/system/graphical.target"
    assert (root / "var/lib/lamna-hamta/firstboot-done").exists()
    unit = (root / "etc/systemd/system/lamna-hamta-kiosk.service").read_text()
    assert "lh-device run --config /etc/lamna-hamta/device.toml" in unit and "cage" in unit
    assert "pam_systemd.so" in (root / "etc/pam.d/lamna-hamta").read_text()
    cfg = load_config(root / "etc/lamna-hamta/device.toml")
    assert (
        cfg.device_id == "solen-1"
        and cfg.mqtt_password() == (site.device("solen-1") / "password").read_text().strip()
    )
    before = _tree(root)
    rerun = subprocess.run([str(script)], env={**env, "LH_ROOT": str(root)}, capture_output=True, timeout=20)
    assert rerun.returncode == 0
    assert _tree(root) == before, "a second run changes nothing"
    # A Pi set up by an earlier bundle has the headless unit: it goes, so two services
    # never fight over the reader.
    old_unit = root / "etc/systemd/system/lamna-hamta.service"
    old_unit.write_text("[Service]\n")
    old_wants = root / "etc/systemd/system/multi-user.target.wants/lamna-hamta.service"
    old_wants.parent.mkdir(parents=True, exist_ok=True)
    old_wants.symlink_to("/etc/systemd/system/lamna-hamta.service")
    upgrade = subprocess.run([str(script), "--root", str(root)], env=env, capture_output=True, timeout=20)
    assert upgrade.returncode == 0 and b"removed the old headless" in upgrade.stdout
    assert not old_unit.exists() and not old_wants.is_symlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = subprocess.run(
        [str(script), "--root", str(empty)], env=env, capture_output=True, text=True, timeout=20
    )
    assert missing.returncode != 0 and "unpack the bundle first" in missing.stderr


def _tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under ``root``: (mode, symlink target or content), the run's timestamp aside."""
    out: dict[str, tuple[int, str]] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = (0, os.readlink(p))
        elif p.is_file() and p.name != "firstboot-done":
            out[rel] = (stat.S_IMODE(p.stat().st_mode), p.read_bytes().hex())
        else:
            out[rel] = (stat.S_IMODE(p.stat().st_mode), "")
    return out


def test_rotate_deletes_the_stale_bundle(site: Site) -> None:
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    lh("bundle", "--site", str(site.root), "solen-1", *wheelhouse_args())
    out = lh("rotate-device", "--site", str(site.root), "solen-1", "--yes").output
    assert not site.bundle("solen-1").exists() and "lh-provision bundle solen-1" in out
    assert "no broker running" in out


def test_destructive_commands_ask_first(site: Site) -> None:
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    from typer.testing import CliRunner

    from provisioning.cli import app

    result = CliRunner().invoke(app, ["revoke-device", "--site", str(site.root), "solen-1"], input="n\n")
    assert result.exit_code == 1 and site.device("solen-1").exists()


def test_init_site_adopts_centrals_existing_tag_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    store = CentralStore(url)
    key = store.tag_key(create=True)
    with store.session() as s, s.begin():
        apply(s, parse(DEMO_CSV.read_text(), key))  # tags already digested with central's key
    store.close()
    root = tmp_path / "site"
    out = lh("init-site", "--site", str(root), "--broker-host", "h", "--db", url).output
    assert "central's existing tag key" in out
    site = Site(root.resolve())
    assert key is not None and site.tag_key.read_text().strip() == key.hex()
    lh("add-device", "--site", str(root), "solen-1", "--department", "solen", "--db", url)


def test_init_site_gives_central_a_new_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    out = lh("init-site", "--site", str(tmp_path / "site"), "--broker-host", "h", "--db", url).output
    assert "central now uses the site's new tag key" in out
    store = CentralStore(url)
    try:
        assert store.tag_key() == bytes.fromhex((tmp_path / "site/secrets/tag_key").read_text().strip())
    finally:
        store.close()
