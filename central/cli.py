"""``lh-central``: the central service's command line (Typer)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from central.db.engine import DEFAULT_DB_URL
from central.importer import ImportError_, apply, parse
from central.store import CentralStore, StoreError

app = typer.Typer(help="Lämna & Hämta central service.", no_args_is_help=True, add_completion=False)
device_app = typer.Typer(help="Hallway devices and the departments they serve.", no_args_is_help=True)
key_app = typer.Typer(help="The site's tag digest key.", no_args_is_help=True)
app.add_typer(device_app, name="device")
app.add_typer(key_app, name="tag-key")
report_app = typer.Typer(
    help="Reports as CSV: hours per child per month, expected counts.", no_args_is_help=True
)
retention_app = typer.Typer(
    help="Storage limitation: delete personal data past its period.", no_args_is_help=True
)
staff_app = typer.Typer(help="Staff members and their departments.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(retention_app, name="retention")
app.add_typer(staff_app, name="staff")
console = Console(soft_wrap=True)  # a path or command wrapped mid-word cannot be copied
err = Console(stderr=True, soft_wrap=True, highlight=False)

DbOpt = Annotated[
    str, typer.Option("--db", envvar="LH_DB_URL", help="database URL: sqlite:///FILE or postgresql://...")
]


def _store(db: str) -> CentralStore:
    return CentralStore(db)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@app.command()
def migrate(db: DbOpt = DEFAULT_DB_URL) -> None:
    """Create or upgrade the database schema."""
    _store(db).close()
    console.print("database is at the newest schema")


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV with one row per child–guardian link")],
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Import departments, children, guardians and tags; all rows or none."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: {exc}") from None
    store = _store(db)
    key = store.tag_key(create=True)
    try:
        parsed = parse(text, key)
        with store.session() as s, s.begin():
            summary = apply(s, parsed)
    except ImportError_ as exc:
        for line in exc.errors:
            err.print(f"{file}: {line}")
        raise _fail(f"{len(exc.errors)} problem(s) in {file}; nothing was imported") from None
    finally:
        store.close()
    console.print(
        f"imported {summary.departments} department(s), {summary.children} child(ren), "
        f"{summary.guardians} guardian(s), {summary.links} link(s), {summary.tags_added} new tag(s)"
    )


@device_app.command("add")
def device_add(
    device_id: str,
    department: Annotated[str, typer.Option("--department", help="the department it serves")],
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Register a hallway device for a department (idempotent)."""
    store = _store(db)
    try:
        store.add_device(device_id, department)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    console.print(f"device {device_id} serves department {department}")


@device_app.command("remove")
def device_remove(device_id: str, db: DbOpt = DEFAULT_DB_URL) -> None:
    """Unregister a device; its events stay, new ones are rejected."""
    store = _store(db)
    try:
        if not store.remove_device(device_id):
            raise _fail(f"no device {device_id!r}")
    finally:
        store.close()
    console.print(f"device {device_id} removed")


@device_app.command("list")
def device_list(db: DbOpt = DEFAULT_DB_URL) -> None:
    """Devices with their department and last status."""
    store = _store(db)
    table = Table("device", "department", "last seen", "status")
    for d in store.devices():
        table.add_row(
            d.id, d.department_id, d.last_seen.isoformat() if d.last_seen else "never", d.last_status or ""
        )
    store.close()
    console.print(table)


@key_app.command("export")
def key_export(
    file: Annotated[Path, typer.Argument(help="where to write the key (mode 0600)")],
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Write the site's tag key for device configs (created if the site has none)."""
    store = _store(db)
    key = store.tag_key(create=True)
    store.close()
    assert key is not None
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    console.print(f"wrote the tag key to {file}")


@key_app.command("set")
def key_set(
    file: Annotated[Path, typer.Argument(help="file holding the key as hex")],
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Adopt a tag key made by lh-provision; refused once tags are enrolled."""
    store = _store(db)
    try:
        store.set_tag_key(bytes.fromhex(file.read_text().strip()))
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    console.print("tag key set")


@app.command()
def serve(
    db: DbOpt = DEFAULT_DB_URL,
    broker: Annotated[
        str, typer.Option("--broker", envvar="LH_BROKER_URL", help="mqtt[s]://[user:pass@]host:port")
    ] = "mqtt://127.0.0.1:1883",
    tls_ca: Annotated[Path | None, typer.Option("--tls-ca", help="site CA certificate (PEM)")] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="client certificate (PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="central's client key (PEM)")] = None,
    client_id: Annotated[str, typer.Option("--client-id", help="stable per instance")] = "central-1",
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="broker password, instead of in the URL")
    ] = None,
    topic_prefix: Annotated[str, typer.Option("--topic-prefix")] = "lh/v1",
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
    api_port: Annotated[
        int | None, typer.Option("--api-port", help="also serve the HTTP API in this process (LH_API_SECRET)")
    ] = None,
    api_host: Annotated[str, typer.Option("--api-host")] = "127.0.0.1",
) -> None:
    """Subscribe to all devices' events, store them once, ack them, publish rosters."""
    from central import __version__
    from central.planning import PlanProvider
    from central.service import BrokerURL, CentralService
    from protocol.topics import Topics

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        url = BrokerURL.parse(broker)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if password_file is not None:
        url = BrokerURL(
            url.scheme, url.host, url.port, url.username or "central", password_file.read_text().strip()
        )
    store = _store(db)
    service = CentralService(
        store,
        url,
        client_id=client_id,
        topics=Topics(topic_prefix),
        tls_ca=str(tls_ca) if tls_ca else None,
        tls_cert=str(tls_cert) if tls_cert else None,
        tls_key=str(tls_key) if tls_key else None,
        plan_provider=PlanProvider(store),
        version=__version__,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    service.start()
    api_server = None
    if api_port is not None:
        # Same process: API changes republish rosters at once through roster_changed().
        api_server = _api_server(store, api_host, api_port, on_change=service.roster_changed)
        threading.Thread(target=api_server.run, name="api", daemon=True).start()
    logging.getLogger(__name__).info("central serving; database %s", _redact(db))
    done.wait()
    if api_server is not None:
        api_server.should_exit = True
    service.stop()
    store.close()


def _api_server(store: CentralStore, host: str, port: int, *, on_change: Any = None) -> Any:
    import uvicorn

    from central import notify
    from central.api import create_app
    from central.auth import TokenAuthority, TokenConfig

    try:
        authority = TokenAuthority(TokenConfig.from_env())
    except ValueError as exc:
        raise _fail(str(exc)) from None
    app = create_app(store, authority, notifier=notify.from_env(), on_change=on_change)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))


@app.command()
def api(
    db: DbOpt = DEFAULT_DB_URL,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8080,
) -> None:
    """Serve the HTTP API (uvicorn); tokens are checked with LH_API_SECRET.

    Rosters pick up changes made here at the MQTT service's next periodic refresh; use
    ``serve --api-port`` to run both in one process and republish at once.
    """
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = _store(db)
    try:
        _api_server(store, host, port).run()
    finally:
        store.close()


@app.command()
def token(
    role: Annotated[str, typer.Option("--role", help="guardian, staff or admin")],
    subject: Annotated[str, typer.Option("--subject", help="who (staff id, admin name, e-ID subject)")],
    guardian_id: Annotated[str | None, typer.Option("--guardian-id", help="a guardian's scope")] = None,
    department: Annotated[
        list[str] | None, typer.Option("--department", help="a staff member's scope (repeat)")
    ] = None,
    ttl: Annotated[int | None, typer.Option("--ttl", help="lifetime in seconds")] = None,
) -> None:
    """Mint a development bearer token (signed with LH_API_SECRET) until OIDC sign-in lands."""
    from central.auth import TokenAuthority, TokenConfig

    try:
        authority = TokenAuthority(TokenConfig.from_env())
        tok = authority.mint(
            subject,
            role,  # type: ignore[arg-type]
            guardian_id=guardian_id,
            departments=tuple(department or ()),
            ttl_s=ttl,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(tok)


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8", newline="")
        err.print(f"wrote {out}")


@report_app.command("hours")
def report_hours(
    year: Annotated[int, typer.Option("--year")],
    month: Annotated[int, typer.Option("--month", min=1, max=12)],
    department: Annotated[
        str | None, typer.Option("--department", help="one department (default all)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="CSV file (default stdout)")] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Scheduled, planned and attended hours per child in a month, as CSV."""
    from central import reports
    from central.rules import MonthlyHoursRow

    store = _store(db)
    try:
        with store.session() as s:
            rows = reports.monthly_hours(s, year, month, [department] if department else None)
    finally:
        store.close()
    _write_text(reports.to_csv(MonthlyHoursRow, rows), out)


@report_app.command("expected")
def report_expected(
    first: Annotated[str, typer.Option("--first", help="YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--last", help="YYYY-MM-DD")],
    department: Annotated[str | None, typer.Option("--department")] = None,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Children expected per department and day (for meals), as CSV."""
    import datetime as dt

    from central import reports
    from central.rules import ExpectedCountRow

    try:
        d1, d2 = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        if d2 < d1:
            raise ValueError("--last is before --first")
    except ValueError as exc:
        raise _fail(str(exc)) from None
    store = _store(db)
    try:
        with store.session() as s:
            rows = reports.expected(s, d1, d2, [department] if department else None)
    finally:
        store.close()
    _write_text(reports.to_csv(ExpectedCountRow, rows), out)


@retention_app.command("purge")
def retention_purge(
    older_than: Annotated[
        int, typer.Option("--older-than", envvar="LH_RETENTION_DAYS", help="days to keep (at least 30)")
    ] = 400,
    yes: Annotated[bool, typer.Option("--yes", help="don't ask")] = False,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Delete events, dead letters, audit entries and absences older than the period; print counts."""
    from central import retention

    if older_than < retention.MIN_DAYS:
        raise _fail(f"--older-than must be at least {retention.MIN_DAYS} days")
    if not yes and not typer.confirm(f"Delete personal data older than {older_than} days?"):
        raise typer.Exit(1)
    store = _store(db)
    try:
        with store.session() as s, s.begin():
            r = retention.purge(s, older_than)
    finally:
        store.close()
    console.print(
        f"deleted before {r.cutoff:%Y-%m-%d %H:%M} UTC: events={r.events} dead_letters={r.dead_letters} "
        f"audit_entries={r.audit_entries} absences={r.absences} presence={r.presence}"
    )


@staff_app.command("add")
def staff_add(
    staff_id: Annotated[str, typer.Argument(help="the staff member's id")],
    name: Annotated[str, typer.Option("--name", help="full name (the hallway shows first name + initial)")],
    department: Annotated[list[str], typer.Option("--department", help="a department they work in (repeat)")],
    pin: Annotated[
        str | None, typer.Option("--pin", envvar="LH_STAFF_PIN", help="4–8 digit PIN for staff mode")
    ] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Add or update a staff member, their departments and PIN (stored only as a hash)."""
    import re

    from sqlalchemy import delete

    from central import audit
    from central.db.schema import Department, Staff, StaffDepartment
    from protocol.tags import hash_pin

    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", staff_id):
        raise _fail("staff id: letters, digits and _.:- only, at most 64")
    try:
        pin_hash = hash_pin(pin) if pin else None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    store = _store(db)
    try:
        with store.session() as s, s.begin():
            missing = [d for d in department if s.get(Department, d) is None]
            if missing:
                raise _fail(f"no department(s) {', '.join(missing)}; import them first")
            row = s.get(Staff, staff_id)
            if row is None:
                row = Staff(id=staff_id, name=name, pin_hash=pin_hash)
                s.add(row)
            else:
                row.name = name
                row.pin_hash = pin_hash or row.pin_hash
            s.flush()
            s.execute(delete(StaffDepartment).where(StaffDepartment.staff_id == staff_id))
            s.add_all(StaffDepartment(staff_id=staff_id, department_id=d) for d in sorted(set(department)))
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action="staff.put",
                entity="staff",
                entity_id=staff_id,
                after={"departments": sorted(set(department)), "pin_set": pin_hash is not None},
            )
    finally:
        store.close()
    console.print(f"staff {staff_id} works in {', '.join(sorted(set(department)))}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
