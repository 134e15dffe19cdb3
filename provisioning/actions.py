"""What each ``lh-provision`` command does, without the command line.

Each action builds its files as data (pki, broker, device, bundle), checks
everything it can before touching the disk, then writes through
:func:`provisioning.site.write_files`.  Results are plain dataclasses the CLI
prints; no action prints or logs a secret.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from provisioning import broker, pki
from provisioning import bundle as bnd
from provisioning import device as dev
from provisioning import wheelhouse as wh
from provisioning.passwords import hash_password, new_secret, render_password_file
from provisioning.site import (
    PUBLIC,
    SECRET,
    SERVICE_USERS,
    FileSpec,
    ProvisionError,
    Site,
    SiteConfig,
    write_files,
)

logger = logging.getLogger(__name__)

TAG_KEY_BYTES = 32


@dataclass
class Outcome:
    """What an action did: files written, messages for the technician, whether it changed anything."""

    changed: bool = True
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reloaded_pid: int | None = None


# -- init-site ----------------------------------------------------------------------------------


def site_files(
    cfg: SiteConfig, *, tag_key: bytes | None = None, now: datetime | None = None
) -> list[FileSpec]:
    """Every file of a new site (CA, broker, services, tag key), built in memory.

    ``tag_key`` is central's existing key when it has one; otherwise a new one is made.
    """
    tag_key = tag_key if tag_key is not None else secrets.token_bytes(TAG_KEY_BYTES)
    ca = pki.make_ca(cfg.name, now=now)
    server = pki.make_server_cert(ca, cfg.name, [cfg.broker_host, *cfg.extra_hosts], now=now)
    files = [
        FileSpec(Path("site.toml"), cfg.render().encode(), PUBLIC),
        FileSpec(Path("ca/ca.crt"), ca.cert_pem, PUBLIC),
        FileSpec(Path("ca/ca.key"), ca.key_pem, SECRET),
        FileSpec(Path("secrets/tag_key"), (tag_key.hex() + "\n").encode(), SECRET),
        FileSpec(Path("broker/certs/ca.crt"), ca.cert_pem, PUBLIC),
        FileSpec(Path("broker/certs/server.crt"), server.cert_pem, PUBLIC),
        FileSpec(Path("broker/certs/server.key"), server.key_pem, SECRET),
        FileSpec(Path("broker/certs/crl.pem"), pki.make_crl(ca, {}, now=now), PUBLIC),
        FileSpec(Path("broker/acl"), broker.render_acl().encode(), PUBLIC),
        FileSpec(Path("broker") / broker.GUARD_SOURCE, broker.guard_source().encode(), PUBLIC),
        FileSpec(
            Path("broker/mosquitto.conf"),
            broker.render_mosquitto_conf(
                broker_dir=cfg.broker_dir, port=cfg.broker_port, user=cfg.broker_user
            ).encode(),
            PUBLIC,
        ),
    ]
    hashes: dict[str, str] = {}
    for user in SERVICE_USERS:
        password = new_secret()
        hashes[user] = hash_password(password)
        cert = pki.make_client_cert(ca, cfg.name, user, now=now)
        files += [
            FileSpec(Path(user) / "password", (password + "\n").encode(), SECRET),
            FileSpec(Path(user) / "client.crt", cert.cert_pem, PUBLIC),
            FileSpec(Path(user) / "client.key", cert.key_pem, SECRET),
            FileSpec(Path(user) / "ca.crt", ca.cert_pem, PUBLIC),
        ]
    files.append(FileSpec(Path("broker/passwd"), render_password_file(hashes).encode(), SECRET))
    return files


def init_site(site: Site, cfg: SiteConfig, *, force: bool = False, db: str | None = None) -> Outcome:
    """Create a site folder; an existing one is reported, or re-created only with ``force``.

    With ``db``, the site adopts the tag key central already has (its imported tags
    stay valid), or gives central the new one.
    """
    if site.exists():
        current = site.load()
        if not force:
            same = (current.broker_host, current.broker_port) == (cfg.broker_host, cfg.broker_port)
            note = f"site {site.root} already initialised (broker {current.broker_url})"
            if not same:
                note += f"; not changed to {cfg.broker_url} (use --force to re-create it)"
            return Outcome(changed=False, notes=[note])
        if site.device_ids():
            raise ProvisionError(
                f"{site.root} has provisioned devices ({', '.join(site.device_ids())}); a new CA "
                "would lock them all out: revoke them first or use a new site folder"
            )
    central_key = _central_tag_key(db) if db is not None else None
    (site.broker / "data").mkdir(parents=True, exist_ok=True)
    written = write_files(site.root, site_files(cfg, tag_key=central_key), replace=force)
    outcome = Outcome(written=written, notes=[f"site {cfg.name} initialised in {site.root}"])
    try:
        written.append(broker.build_guard(site.broker))
    except ProvisionError as exc:
        outcome.warnings.append(f"{exc}; Mosquitto will not start without {broker.GUARD_LIBRARY}")
    outcome.warnings += _grant_broker_user(site, cfg)
    if db is not None:
        if central_key is None:
            _set_central_tag_key(db, bytes.fromhex(_tag_key_hex(site)))
            outcome.notes.append("central now uses the site's new tag key")
        else:
            outcome.notes.append("the site uses central's existing tag key (its imported tags stay valid)")
    return outcome


def update_broker(site: Site, *, build: bool = True) -> Outcome:
    """Bring SITE/broker up to this release: mosquitto.conf and acl re-rendered from the
    templates, the guard's source copied, and (``build``) lh_guard.so compiled here.

    Sites made before the guard existed get it this way.  Plugins are loaded at start:
    the broker needs a restart, not a reload, to pick it up."""
    cfg = site.load()
    specs = [
        FileSpec(Path("broker/acl"), broker.render_acl().encode(), PUBLIC),
        FileSpec(Path("broker") / broker.GUARD_SOURCE, broker.guard_source().encode(), PUBLIC),
        FileSpec(
            Path("broker/mosquitto.conf"),
            broker.render_mosquitto_conf(
                broker_dir=cfg.broker_dir, port=cfg.broker_port, user=cfg.broker_user
            ).encode(),
            PUBLIC,
        ),
    ]
    written = write_files(site.root, specs, replace=True)
    outcome = Outcome(changed=bool(written) or build, written=written)
    if build:
        written.append(broker.build_guard(site.broker))
        outcome.notes.append(f"broker guard built for this machine: {site.broker / broker.GUARD_LIBRARY}")
    if cfg.broker_dir != str(site.broker):
        outcome.notes.append(
            f"copy {site.broker}/mosquitto.conf, acl and {broker.GUARD_SOURCE} to {cfg.broker_dir} "
            "on the broker host, build it there (lh-provision update-broker, or the cc line at the top of "
            f"{broker.GUARD_SOURCE}) and restart mosquitto: plugins are not reloaded by SIGHUP"
        )
    else:
        outcome.notes.append("restart the broker (plugins are not reloaded by SIGHUP)")
    return outcome


def _central_tag_key(db: str) -> bytes | None:
    from central.store import CentralStore

    store = CentralStore(db)
    try:
        return store.tag_key()
    finally:
        store.close()


def _set_central_tag_key(db: str, key: bytes) -> None:
    from central.store import CentralStore, StoreError

    store = CentralStore(db)
    try:
        store.set_tag_key(key)
    except StoreError as exc:
        raise ProvisionError(f"central refused the tag key: {exc}") from None
    finally:
        store.close()


# -- devices -----------------------------------------------------------------------------------


def _ca(site: Site) -> pki.KeyPair:
    return pki.KeyPair(site.ca_cert.read_bytes(), site.ca_key.read_bytes())


def _tag_key_hex(site: Site) -> str:
    return site.tag_key.read_text().strip()


def _grant_broker_user(site: Site, cfg: SiteConfig) -> list[str]:
    """A broker on this machine started as root reads passwd and writes its pid file as
    ``broker_user``: give that user access (and say what else to do)."""
    if cfg.broker_dir != str(site.broker):
        return []  # the broker host's files: broker.md says how to install them
    return broker.grant_broker_user(site.broker, cfg.broker_user)


def _reload(site: Site, pid_file: Path | None, outcome: Outcome) -> None:
    outcome.warnings += _grant_broker_user(site, site.load())  # passwd was just rewritten
    pid = broker.reload_broker(pid_file or site.pid_file)
    outcome.reloaded_pid = pid
    if pid is None:
        outcome.warnings.append(
            f"no broker running from {pid_file or site.pid_file}: copy {site.broker}/passwd and "
            "certs/crl.pem to the broker host and reload it (systemctl reload mosquitto)"
        )
    else:
        outcome.notes.append(f"broker (pid {pid}) reloaded")


def register_with_central(site: Site, db: str, device_id: str, department: str) -> None:
    """Make central use the site's tag key and serve ``device_id`` to ``department``."""
    from central.store import CentralStore, StoreError

    store = CentralStore(db)
    try:
        store.set_tag_key(bytes.fromhex(_tag_key_hex(site)))
        store.add_device(device_id, department)
    except StoreError as exc:
        hint = ""
        if "tag key" in str(exc) or "tags are already enrolled" in str(exc):
            hint = (
                " (central made its own tag key before this site existed: start a new site with "
                "`init-site --db` so it adopts central's key; see docs/provisioning.md)"
            )
        raise ProvisionError(f"central refused: {exc}{hint}") from None
    finally:
        store.close()


def device_department(site: Site, device_id: str) -> str:
    import tomllib

    data = tomllib.loads((site.device(device_id) / dev.CONFIG).read_text())
    return str(data.get("department_id", ""))


def add_device(
    site: Site, device_id: str, department: str, *, db: str | None = None, pid_file: Path | None = None
) -> Outcome:
    """Credentials, config and password-file entry for a new device; registered with central if ``db``."""
    dev.check_device_id(device_id)
    cfg = site.load()
    folder = site.device(device_id)
    if (folder / dev.CONFIG).exists():
        existing = device_department(site, device_id)
        if existing != department:
            raise ProvisionError(
                f"device {device_id} already exists, serving department {existing!r}: "
                "revoke it first, or pick another id"
            )
        outcome = Outcome(changed=False, notes=[f"device {device_id} already provisioned for {department}"])
        if db is not None:
            register_with_central(site, db, device_id, department)
            outcome.notes.append(f"registered with central: {device_id} serves {department}")
        return outcome
    # Central first: it knows the departments, and a refusal leaves nothing half-written.
    if db is not None:
        register_with_central(site, db, device_id, department)
    secrets_ = dev.DeviceSecrets(new_secret(), pki.make_client_cert(_ca(site), cfg.name, device_id))
    files = dev.device_files(
        Path("devices") / device_id,
        device_id=device_id,
        department_id=department,
        broker_url=cfg.broker_url,
        secrets=secrets_,
        ca_cert_pem=site.ca_cert.read_bytes(),
        tag_key_hex=_tag_key_hex(site),
    )
    passwd = broker.with_password(site.passwd.read_text(), device_id, secrets_.password)
    outcome = Outcome(written=write_files(site.root, files))
    outcome.written += write_files(
        site.root, [FileSpec(Path("broker/passwd"), passwd.encode(), SECRET)], replace=True
    )
    outcome.notes.append(f"device {device_id} provisioned for department {department} in {folder}")
    if db is not None:
        outcome.notes.append(f"registered with central: {device_id} serves {department}")
    _reload(site, pid_file, outcome)
    return outcome


def _require_device(site: Site, device_id: str) -> Path:
    dev.check_device_id(device_id)
    site.load()
    folder = site.device(device_id)
    if not (folder / dev.CONFIG).exists():
        raise ProvisionError(f"no device {device_id!r} in {site.devices}")
    return folder


def revoke_device(
    site: Site, device_id: str, *, db: str | None = None, pid_file: Path | None = None
) -> Outcome:
    """Remove the password, revoke the certificate, reload the broker, unregister from central."""
    dev.check_device_id(device_id)
    site.load()
    folder = site.device(device_id)
    if not (folder / dev.CONFIG).exists():
        already = site.revoked.is_dir() and any(site.revoked.glob(f"{device_id}-*"))
        if not already:
            raise ProvisionError(f"no device {device_id!r} in {site.devices}")
        outcome = Outcome(changed=False, notes=[f"device {device_id} is already revoked"])
    else:
        ca = _ca(site)
        crl = pki.revoke(ca, site.crl.read_bytes(), (folder / dev.CERT).read_bytes())
        passwd = broker.without_user(site.passwd.read_text(), device_id)
        outcome = Outcome(
            written=write_files(
                site.root,
                [
                    FileSpec(Path("broker/certs/crl.pem"), crl, PUBLIC),
                    FileSpec(Path("broker/passwd"), passwd.encode(), SECRET),
                ],
                replace=True,
            )
        )
        _retire(site, device_id)
        outcome.notes.append(f"device {device_id}: password removed, certificate revoked")
        _reload(site, pid_file, outcome)
    if db is not None:
        from central.store import CentralStore

        store = CentralStore(db)
        try:
            removed = store.remove_device(device_id)
        finally:
            store.close()
        outcome.notes.append(
            f"central: device {device_id} removed" if removed else f"central: no device {device_id}"
        )
    return outcome


def _retire(site: Site, device_id: str) -> None:
    """Keep the public record of a revoked device; destroy its secrets and bundle."""
    folder = site.device(device_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = site.revoked / f"{device_id}-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    for name in (dev.CONFIG, dev.CERT):
        shutil.copy2(folder / name, target / name)
    shutil.rmtree(folder)
    site.bundle(device_id).unlink(missing_ok=True)


def rotate_device(site: Site, device_id: str, *, pid_file: Path | None = None) -> Outcome:
    """A new password and certificate; the old certificate goes on the CRL."""
    folder = _require_device(site, device_id)
    cfg = site.load()
    ca = _ca(site)
    secrets_ = dev.DeviceSecrets(new_secret(), pki.make_client_cert(ca, cfg.name, device_id))
    crl = pki.revoke(ca, site.crl.read_bytes(), (folder / dev.CERT).read_bytes())
    passwd = broker.with_password(site.passwd.read_text(), device_id, secrets_.password)
    specs = [
        *dev.credential_files(Path("devices") / device_id, secrets_),
        FileSpec(Path("broker/certs/crl.pem"), crl, PUBLIC),
        FileSpec(Path("broker/passwd"), passwd.encode(), SECRET),
    ]
    outcome = Outcome(written=write_files(site.root, specs, replace=True))
    outcome.notes.append(f"device {device_id}: new password and certificate in {folder}")
    if site.bundle(device_id).exists():
        site.bundle(device_id).unlink()
        outcome.notes.append(f"the old bundle was deleted: run `lh-provision bundle {device_id}`")
    _reload(site, pid_file, outcome)
    return outcome


def build_bundle(
    site: Site,
    device_id: str,
    *,
    wheel: Path | None = None,
    wheelhouse: Path | None = None,
    target: wh.Target | None = None,
) -> Outcome:
    """Write SITE/bundles/ID.tar.gz (0600) from the device's folder, the package's wheel and the
    wheelhouse its first boot installs from offline (``wheelhouse``, filled if incomplete, or a
    temporary one)."""
    folder = _require_device(site, device_id)
    modes = {
        dev.CONFIG: PUBLIC,
        dev.CA: PUBLIC,
        dev.CERT: PUBLIC,
        dev.PASSWORD: SECRET,
        dev.KEY: SECRET,
        dev.TAG_KEY: SECRET,
    }
    files = {name: ((folder / name).read_bytes(), mode) for name, mode in modes.items()}
    target = target or wh.Target()
    # Always a wheel: no package index serves lamna-hamta (issue 10).  Built from this checkout
    # unless the technician gave one.
    wheel_data = (wheel.name, wheel.read_bytes()) if wheel is not None else bnd.checkout_wheel()
    with tempfile.TemporaryDirectory(prefix="lh-bundle-") as tmp:
        wheel_file = Path(tmp) / wheel_data[0]
        wheel_file.write_bytes(wheel_data[1])
        house = wheelhouse if wheelhouse is not None else Path(tmp) / "wheelhouse"
        resolution = wh.fill(house, wheel_file, target)
        data = bnd.build_tar_gz(bnd.bundle_members(files, wheel_data, resolution.used))
    path = Path("bundles") / f"{device_id}.tar.gz"
    outcome = Outcome(written=write_files(site.root, [FileSpec(path, data, SECRET)], replace=True))
    outcome.notes.append(
        f"bundle for {device_id}: {site.root / path} (with {wheel_data[0]} and "
        f"{len(resolution.used)} packages for {target.describe()}: first boot installs offline)"
    )
    return outcome


def build_wheelhouse(
    wheelhouse: Path, *, wheel: Path | None = None, target: wh.Target | None = None
) -> Outcome:
    """Fill ``wheelhouse`` once for many bundles (``bundle --wheelhouse``)."""
    target = target or wh.Target()
    wheel_data = (wheel.name, wheel.read_bytes()) if wheel is not None else bnd.checkout_wheel()
    with tempfile.TemporaryDirectory(prefix="lh-wheelhouse-") as tmp:
        wheel_file = Path(tmp) / wheel_data[0]
        wheel_file.write_bytes(wheel_data[1])
        before = set(wheelhouse.iterdir()) if wheelhouse.is_dir() else set()
        resolution = wh.fill(wheelhouse, wheel_file, target)
    added = sorted(set(wheelhouse.iterdir()) - before)
    outcome = Outcome(changed=bool(added))
    outcome.notes.append(
        f"wheelhouse {wheelhouse} for {target.describe()}: {len(resolution.used)} packages for "
        f"{wheel_data[0]}" + (f", {len(added)} files downloaded" if added else ", complete already")
    )
    return outcome
