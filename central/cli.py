"""``lh-central``: the central service's command line (Typer)."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from central import importer
from central.db.engine import DEFAULT_DB_URL
from central.importer import ImportError_
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
unit_app = typer.Typer(help="Units (enheter) and the features switched on for them.", no_args_is_help=True)
child_app = typer.Typer(help="Children: end an enrolment.", no_args_is_help=True)
guardian_app = typer.Typer(help="Guardians: remove a link to a child, or the guardian.", no_args_is_help=True)
app.add_typer(unit_app, name="unit")
app.add_typer(child_app, name="child")
app.add_typer(guardian_app, name="guardian")
export_app = typer.Typer(
    help="Access requests (registerutdrag): all data about a person, as JSON.", no_args_is_help=True
)
app.add_typer(export_app, name="export")
tag_app = typer.Typer(help="Tags: block a lost one, unblock it, list them.", no_args_is_help=True)
app.add_typer(tag_app, name="tag")
console = Console(soft_wrap=True)  # a path or command wrapped mid-word cannot be copied
err = Console(stderr=True, soft_wrap=True, highlight=False)

DbOpt = Annotated[
    str, typer.Option("--db", envvar="LH_DB_URL", help="database URL: sqlite:///FILE or postgresql://...")
]


def missing_database(db: str) -> Path | None:
    """The file a SQLite URL names if it does not exist (a typo would otherwise make a new one)."""
    url = make_url(db)
    name = url.database
    if not url.drivername.startswith("sqlite") or not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    return None if path.exists() else path.resolve()


def _missing(db: str) -> Path | None:
    try:
        return missing_database(db)
    except ArgumentError:
        raise _fail(
            f"--db {escape(db)!r} is not a database URL (sqlite:///FILE or postgresql://...)"
        ) from None


def _store(db: str, *, create: bool = False) -> CentralStore:
    """Open the database; only ``import`` and ``migrate`` may create one (``create``)."""
    missing = _missing(db)
    if missing is not None and not create:
        raise _fail(
            f"no database at {escape(str(missing))}; check --db, or create one with: "
            f"lh-central migrate --db {escape(_redact(db))}"
        )
    try:
        return CentralStore(db)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise _fail(f"cannot open the database {escape(_redact(db))}: {escape(reason)}") from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@app.command()
def migrate(db: DbOpt = DEFAULT_DB_URL) -> None:
    """Create or upgrade the database schema."""
    _store(db, create=True).close()
    console.print("database is at the newest schema")


DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="print what would change; change nothing")]
ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="the file is the whole truth for its departments: remove what it does not list (asks first)",
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", help="don't ask")]


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV with one row per child–guardian link (docs/import.md)")],
    db: DbOpt = DEFAULT_DB_URL,
    dry_run: DryRunOpt = False,
    replace: ReplaceOpt = False,
    yes: YesOpt = False,
) -> None:
    """Import departments, children, guardians and tags; all rows or none."""
    _run_import(file, db, staff=False, dry_run=dry_run, replace=replace, yes=yes)


@staff_app.command("import")
def staff_import(
    file: Annotated[Path, typer.Argument(help="CSV with one row per staff member (docs/import.md)")],
    db: DbOpt = DEFAULT_DB_URL,
    dry_run: DryRunOpt = False,
    replace: ReplaceOpt = False,
    yes: YesOpt = False,
) -> None:
    """Import staff, their departments, PINs, tags and web usernames; all rows or none."""
    _run_import(file, db, staff=True, dry_run=dry_run, replace=replace, yes=yes)


def _problems(file: Path, errors: list[str]) -> typer.Exit:
    for line in errors:
        err.print(escape(f"{file}: {line}"))
    return _fail(f"{len(errors)} problem(s) in {escape(str(file))}; nothing was imported")


def _run_import(file: Path, db: str, *, staff: bool, dry_run: bool, replace: bool, yes: bool) -> None:
    import secrets

    from central import audit

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _fail(f"{escape(str(file))}: {exc.strerror}") from None
    try:
        source = importer.read(data)
    except ImportError_ as exc:
        raise _problems(file, exc.errors) from None
    fresh = _missing(db) is not None
    # A dry run creates nothing: against a database not there yet it plans on an empty one.
    store = _store("sqlite://" if dry_run and fresh else db, create=True)
    try:
        key = store.tag_key(create=not dry_run) or secrets.token_bytes(32)
        console.print(escape(f"read {file} as {source.describe()}"))
        try:
            with store.session() as s:
                plan = importer.check(s, source, key, staff=staff, replace=replace)
        except ImportError_ as exc:  # the header: nothing else can be checked
            raise _problems(file, exc.errors) from None
        if plan.problems:
            raise _problems(file, [str(p) for p in plan.problems])
        if dry_run:
            _print_plan(plan, detail=True)
            if fresh:
                console.print(
                    escape(f"there is no database at {missing_database(db)} yet; import would create it")
                )
            console.print("dry run: nothing was changed")
            return
        if plan.unchanged:
            console.print(escape(f"nothing to change: the database already matches {file}"))
            return
        removals = plan.removals()
        if removals and not yes:
            for c in removals:
                console.print(
                    escape(
                        f"  {'remove' if c.action == 'removed' else 'change'} {c.kind} {c.key} ({c.detail})"
                    )
                )
            try:
                ok = typer.confirm(f"The file does not list these {len(removals)}. Go ahead?", default=False)
            except typer.Abort:
                ok = False
            if not ok:
                raise _fail("nothing was imported")
        with store.session() as s, s.begin():
            again = importer.check(s, source, key, staff=staff, replace=replace)
            if again.problems or again.removals() != removals:
                raise _fail("the database changed while you decided; nothing was imported, run it again")
            importer.execute(s, again)
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action="staff.import" if staff else "import",
                entity="import",
                entity_id=file.name[:64],
                after={
                    "replace": replace,
                    "departments": sorted(again.departments_touched),
                    **{f"{k}.{a}": again.count(k, a) for k in importer.KINDS for a in importer.ACTIONS},
                },
            )
    finally:
        store.close()
    _print_plan(again, detail=False)
    console.print(escape(f"imported {file}"))


def _print_plan(plan: importer.ImportPlan, *, detail: bool) -> None:
    console.print(f"{plan.rows} row(s)")
    for line in plan.summary_lines():
        console.print(line)
    if not detail:
        return
    verbs = {"new": "new", "changed": "change", "removed": "remove"}
    for c in plan.of("new", "changed", "removed"):
        extra = f" ({c.detail})" if c.detail and c.detail != "replace" else ""
        console.print(escape(f"  {verbs[c.action]} {c.kind} {c.key}{extra}"))


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
    """Devices with their department and retained status (times in Europe/Stockholm)."""
    from central.fleet import fleet
    from central.store import TZ

    store = _store(db)
    try:
        devices = fleet(store)
    finally:
        store.close()
    table = _table("device", "department", "status", "outbox", "rejected", "version", "roster")

    def count(n: int | None) -> str:
        return "—" if n is None else str(n)

    for d in devices:
        state = d.state_text(TZ)
        style = {"online": "green", "offline": "red"}.get(d.state, "yellow")
        table.add_row(
            escape(d.id),
            escape(d.department_id),
            f"[{style}]{escape(state)}[/{style}]",
            count(d.outbox_depth),
            count(d.rejected_count),
            escape(d.version or "—"),
            d.roster_text(),
        )
    _print_table(table)
    if any(d.state == "offline" for d in devices):
        console.print("offline devices show the counts they last reported")


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
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="serve Prometheus metrics on this port (off if unset)"),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option("--metrics-host", help="the metrics server's own bind address")
    ] = "127.0.0.1",
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
    metrics = None
    if metrics_port is not None:
        from central.metrics import CentralCollector, MetricsServer

        collector = CentralCollector(store, service.stats, connected=service._subscribed.is_set)
        metrics = MetricsServer(collector, metrics_host, metrics_port)
        try:
            metrics.start()
        except OSError as exc:
            raise _fail(f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc}") from None
    service.start()
    api_server = None
    if api_port is not None:
        # Same process: API changes republish rosters at once through roster_changed().
        api_server = _api_server(store, api_host, api_port, on_change=service.roster_changed)
        threading.Thread(target=api_server.run, name="api", daemon=True).start()
    # Start-up is done: keep full garbage collections off what lives as long as the process
    # (the reasoning and measurements are in device/memory.py).
    gc.collect()
    gc.freeze()
    logging.getLogger(__name__).info("central serving; database %s", _redact(db))
    done.wait()
    if api_server is not None:
        api_server.should_exit = True
    if metrics is not None:
        metrics.stop()
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
        list[str] | None, typer.Option("--department", help="ignored (staff departments: the staff table)")
    ] = None,
    ttl: Annotated[int | None, typer.Option("--ttl", help="lifetime in seconds")] = None,
) -> None:
    """Mint a bearer token for the JSON API (signed with LH_API_SECRET), for integrations and
    development; people sign in on the web (docs/web.md)."""
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
    last: Annotated[
        str, typer.Option("--last", help="YYYY-MM-DD, at most 62 days from --first counted inclusive")
    ],
    department: Annotated[str | None, typer.Option("--department")] = None,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Children expected per department and day (for meals), as CSV; at most 62 days (as the API)."""
    import datetime as dt

    from central import reports
    from central.rules import ExpectedCountRow

    try:
        d1, d2 = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        reports.check_expected_range(d1, d2)
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
    from protocol.tags import hash_pin, new_pin_problem

    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", staff_id):
        raise _fail("staff id: letters, digits and _.:- only, at most 64")
    problem = new_pin_problem(pin) if pin else None
    if problem:  # a stolen Pi's PIN hashes can be guessed offline: docs/security.md
        raise _fail(f"--pin: {problem}")
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


def _pin_state(pin_hash: str | None) -> str:
    """The staff list's PIN column: an old hash (pbkdf2, or a 4-digit PIN from before the
    6-digit rule) cannot be upgraded without the PIN, so name whom to ask for a new one."""
    from protocol.tags import pin_hash_is_current

    if not pin_hash:
        return "no"
    return "yes" if pin_hash_is_current(pin_hash) else "old: set a new one"


@staff_app.command("list")
def staff_list(db: DbOpt = DEFAULT_DB_URL) -> None:
    """Staff with their departments, and how they unlock staff mode and sign in on the web."""
    from sqlalchemy import func, select

    from central.db.schema import Staff, StaffDepartment, Tag

    store = _store(db)
    try:
        with store.session() as s:
            staff = s.scalars(select(Staff).order_by(Staff.id)).all()
            places: dict[str, list[str]] = {}
            for sid, dept in s.execute(
                select(StaffDepartment.staff_id, StaffDepartment.department_id).order_by(
                    StaffDepartment.department_id
                )
            ):
                places.setdefault(sid, []).append(dept)
            tags = dict(
                s.execute(
                    select(Tag.owner_id, func.count()).where(Tag.owner_kind == "staff").group_by(Tag.owner_id)
                ).all()
            )
    finally:
        store.close()
    table = _table("staff", "name", "departments", "PIN", "tags", "web username", "password")
    for st in staff:
        table.add_row(
            st.id,
            st.name,
            " ".join(places.get(st.id, [])),
            _pin_state(st.pin_hash),
            str(tags.get(st.id, 0)),
            st.username or "",
            "yes" if st.password_hash else "no",
        )
    _print_table(table)


@staff_app.command("remove")
def staff_remove(staff_id: str, yes: YesOpt = False, db: DbOpt = DEFAULT_DB_URL) -> None:
    """Remove a staff member who has left, with their PIN, tags, password and web sessions."""
    from central import retention

    _leave(
        db,
        yes,
        f"Remove staff {staff_id} with their tags and sign-in?",
        "staff",
        staff_id,
        retention.remove_staff,
    )
    console.print(escape(f"staff {staff_id} removed"))


@staff_app.command("set-password")
def staff_set_password(
    staff_id: str,
    username: Annotated[
        str | None, typer.Option("--username", help="the web sign-in name (default: the one they have)")
    ] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from one line of stdin")] = False,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Set a staff member's local web sign-in: a username and a password, stored as an argon2id hash."""
    import re
    import sys

    from argon2 import PasswordHasher
    from sqlalchemy import select

    from central import audit
    from central.db.schema import Staff

    if username is not None and not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", username):
        raise _fail("username: letters, digits and _.@- only, at most 64")
    store = _store(db)
    try:
        with store.session() as s:
            row = s.get(Staff, staff_id)
            if row is None:
                raise _fail(f"no staff {escape(staff_id)!r}")
            username = username or row.username
            if username is None:
                raise _fail(f"staff {escape(staff_id)} has no username yet; give --username")
            taken = s.scalar(select(Staff.id).where(Staff.username == username, Staff.id != staff_id))
            if taken is not None:
                raise _fail(f"username {escape(username)!r} belongs to staff {escape(taken)}")
        if stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        if not MIN_PASSWORD <= len(password) <= 256:
            raise _fail(f"the password must be {MIN_PASSWORD} to 256 characters")
        hashed = PasswordHasher().hash(password)  # argon2id with the library's current parameters
        with store.session() as s, s.begin():
            row = s.get(Staff, staff_id)
            if row is None:
                raise _fail(f"no staff {escape(staff_id)!r}")
            row.username, row.password_hash = username, hashed
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action="staff.password",
                entity="staff",
                entity_id=staff_id,
                after={"username": username, "password_set": True},
            )
    finally:
        store.close()
    console.print(escape(f"staff {staff_id} signs in on the web as {username}"))


MIN_PASSWORD = 12
"""Length, not composition rules (NIST SP 800-63B): a passphrase is fine."""


def _leave(db: str, yes: bool, question: str, entity: str, entity_id: str, remove: Any) -> None:
    """Ask, then remove one person with ``remove(session, id)`` and audit it."""
    from central import audit

    store = _store(db)
    try:
        if not yes:
            try:
                ok = typer.confirm(question, default=False)
            except typer.Abort:
                ok = False
            if not ok:
                raise _fail("nothing was removed")
        with store.session() as s, s.begin():
            if not remove(s, entity_id):
                raise _fail(f"no {entity} {escape(entity_id)!r}")
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action=f"{entity}.remove",
                entity=entity,
                entity_id=entity_id,
            )
    finally:
        store.close()


@child_app.command("remove")
def child_remove(child_id: str, yes: YesOpt = False, db: DbOpt = DEFAULT_DB_URL) -> None:
    """End a child's enrolment: the child, schedules, agreements, leave and absences are removed."""
    from central import retention

    _leave(
        db,
        yes,
        f"End the enrolment of {child_id}? Their schedules, agreements and leave go too "
        "(take this month's hours report first).",
        "child",
        child_id,
        retention.end_enrolment,
    )
    console.print(escape(f"child {child_id}'s enrolment ended; events stay until the retention purge"))


@guardian_app.command("unlink")
def guardian_unlink(
    guardian_id: str,
    child: Annotated[str, typer.Option("--child", help="the child they are no longer a guardian of")],
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Remove a guardian's link to one child (the guardian and their tags stay)."""
    from sqlalchemy import select

    from central import audit, retention
    from central.db.schema import ChildGuardian

    store = _store(db)
    try:
        with store.session() as s, s.begin():
            if not retention.unlink_guardian(s, guardian_id, child):
                raise _fail(f"guardian {escape(guardian_id)!r} is not linked to child {escape(child)!r}")
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action="guardian.unlink",
                entity="guardian",
                entity_id=guardian_id,
                before={"child_id": child},
            )
            left = s.scalar(
                select(ChildGuardian.child_id).where(ChildGuardian.guardian_id == guardian_id).limit(1)
            )
    finally:
        store.close()
    console.print(escape(f"guardian {guardian_id} is no longer linked to child {child}"))
    if left is None:
        console.print(
            escape(
                f"guardian {guardian_id} has no child left; "
                f"remove them with: lh-central guardian remove {guardian_id}"
            )
        )


@guardian_app.command("remove")
def guardian_remove(guardian_id: str, yes: YesOpt = False, db: DbOpt = DEFAULT_DB_URL) -> None:
    """Remove a guardian with their links, tags and web sessions."""
    from central import retention

    _leave(
        db,
        yes,
        f"Remove guardian {guardian_id} with their tags?",
        "guardian",
        guardian_id,
        retention.remove_guardian,
    )
    console.print(escape(f"guardian {guardian_id} removed"))


# -- units -------------------------------------------------------------------------------

UNIT_SETTINGS = (
    "absence_reporting",
    "contact_editing",
    "handover_mode",
    "min_days_ahead",
    "closing_time",
    "phone",
)


def unit_value(setting: str, text: str) -> Any:
    """``text`` as the value of a unit setting; ValueError says what is allowed."""
    import datetime as dt

    t = text.strip().lower()
    if setting in ("absence_reporting", "contact_editing"):
        if t in ("on", "true", "yes", "ja", "1"):
            return True
        if t in ("off", "false", "no", "nej", "0"):
            return False
        raise ValueError(f"{setting} is on or off")
    if setting == "handover_mode":
        if t not in ("self_service", "staff_confirmed"):
            raise ValueError("handover_mode is self_service or staff_confirmed")
        return t
    if setting == "min_days_ahead":
        if not t.isdigit() or not 0 <= int(t) <= 90:
            raise ValueError("min_days_ahead is a number of days from 0 to 90")
        return int(t)
    if setting == "closing_time":
        try:
            if len(t) != 5:
                raise ValueError
            return dt.time.fromisoformat(t)
        except ValueError:
            raise ValueError("closing_time is a time like 17:30") from None
    if setting == "phone":  # as the unit writes it; "-" clears it
        if t in ("-", "none", "off"):
            return None
        from pydantic import TypeAdapter, ValidationError

        from central.api.schemas import Phone

        try:
            return TypeAdapter(Phone).validate_python(text.strip())
        except ValidationError:
            raise ValueError(
                "phone is a number like 08-123 456 78 or +46 8 123 456 78; '-' clears it"
            ) from None
    raise ValueError(f"no setting {setting!r}; one of {', '.join(UNIT_SETTINGS)}")


def _unit_rows(s: Any, unit_id: str | None = None) -> list[tuple[Any, list[str]]]:
    from sqlalchemy import select

    from central.db.schema import Department, Unit

    q = select(Unit).order_by(Unit.id)
    if unit_id is not None:
        q = q.where(Unit.id == unit_id)
    units = s.scalars(q).all()
    depts: dict[str, list[str]] = {}
    for did, uid in s.execute(select(Department.id, Department.unit_id).order_by(Department.id)):
        depts.setdefault(uid, []).append(did)
    return [(u, depts.get(u.id, [])) for u in units]


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    if hasattr(value, "strftime"):
        return str(value.strftime("%H:%M"))
    return str(value)


@unit_app.command("list")
def unit_list(db: DbOpt = DEFAULT_DB_URL) -> None:
    """Units with their departments and switches."""
    store = _store(db)
    try:
        with store.session() as s:
            rows = _unit_rows(s)
    finally:
        store.close()
    table = _table("unit", "name", "kind", "departments", *UNIT_SETTINGS)
    for u, depts in rows:
        table.add_row(u.id, u.name, u.kind, " ".join(depts), *(_shown(getattr(u, k)) for k in UNIT_SETTINGS))
    _print_table(table)


@unit_app.command("show")
def unit_show(unit_id: str, db: DbOpt = DEFAULT_DB_URL) -> None:
    """One unit's settings, one per line."""
    store = _store(db)
    try:
        with store.session() as s:
            rows = _unit_rows(s, unit_id)
    finally:
        store.close()
    if not rows:
        raise _fail(f"no unit {escape(unit_id)!r}")
    u, depts = rows[0]
    for k, v in (("unit", u.id), ("name", u.name), ("kind", u.kind), ("departments", " ".join(depts) or "-")):
        console.print(escape(f"{k}: {v}"))
    for k in UNIT_SETTINGS:
        console.print(escape(f"{k}: {_shown(getattr(u, k))}"))


@unit_app.command("add")
def unit_add(
    unit_id: str,
    name: Annotated[str, typer.Option("--name", help="e.g. Solens förskola")],
    kind: Annotated[str, typer.Option("--kind", help="preschool or fritidshem")] = "preschool",
    department: Annotated[
        list[str] | None, typer.Option("--department", help="a department in this unit (repeat)")
    ] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Create a unit (defaults: contact editing off for fritidshem) and put departments in it."""
    import re

    from central import audit
    from central.db.schema import Department, Unit

    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", unit_id):
        raise _fail("unit id: letters, digits and _.:- only, at most 64")
    if kind not in ("preschool", "fritidshem"):
        raise _fail("--kind is preschool or fritidshem")
    if not 1 <= len(name) <= 120:
        raise _fail("--name is 1 to 120 characters")
    store = _store(db)
    try:
        with store.session() as s, s.begin():
            if s.get(Unit, unit_id) is not None:
                raise _fail(
                    f"unit {escape(unit_id)} exists; change it with: lh-central unit set {escape(unit_id)} …"
                )
            depts = [s.get(Department, d) for d in department or []]
            missing = [d for d, row in zip(department or [], depts, strict=True) if row is None]
            if missing:
                raise _fail(f"no department(s) {escape(', '.join(missing))}; import them first")
            s.add(Unit(id=unit_id, name=name, kind=kind, contact_editing=kind != "fritidshem"))
            s.flush()
            for row in depts:
                assert row is not None
                row.unit_id = unit_id
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action="unit.put",
                entity="unit",
                entity_id=unit_id,
                after={"name": name, "kind": kind, "departments": sorted(department or [])},
            )
    finally:
        store.close()
    console.print(escape(f"unit {unit_id} added"))


@unit_app.command("set")
def unit_set(
    unit_id: str,
    setting: Annotated[str, typer.Argument(help=", ".join(UNIT_SETTINGS))],
    value: Annotated[
        str, typer.Argument(help="on/off, self_service/staff_confirmed, days, HH:MM, or a phone number")
    ],
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Set one switch of a unit; hallway screens get it with their next roster."""
    from central import audit
    from central.db.schema import Unit

    try:
        parsed = unit_value(setting, value)
    except ValueError as exc:
        raise _fail(escape(str(exc))) from None
    store = _store(db)
    try:
        with store.session() as s, s.begin():
            unit = s.get(Unit, unit_id)
            if unit is None:
                raise _fail(
                    f"no unit {escape(unit_id)!r}; "
                    f"create it with: lh-central unit add {escape(unit_id)} --name …"
                )
            before = getattr(unit, setting)
            setattr(unit, setting, parsed)
            audit.record(
                s,
                actor_role="admin",
                actor_id="cli",
                action="unit.put",
                entity="unit",
                entity_id=unit_id,
                before={setting: before},
                after={setting: parsed},
            )
    finally:
        store.close()
    console.print(escape(f"unit {unit_id}: {setting} {_shown(before)} -> {_shown(parsed)}"))


# -- tags (issue 10: a lost tag is blocked) ---------------------------------------------------

OwnerOpt = Annotated[str | None, typer.Option("--owner", help="every tag of this guardian")]
DigestOpt = Annotated[str | None, typer.Option("--digest", help="one tag by its digest (64 hex, tag list)")]
UidOpt = Annotated[
    str | None,
    typer.Option(
        "--uid", help="one tag by its UID in hex, read off the tag; turned into the digest, never kept"
    ),
]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="kept in the audit log (no names), e.g. lost")
]


def _tag_digest_of_uid(store: CentralStore, uid: str) -> str:
    from protocol.tags import tag_digest

    key = store.tag_key()
    if key is None:
        raise _fail("the site has no tag key yet, so no tag is enrolled")
    try:
        return tag_digest(key, uid)
    except ValueError as exc:  # says what a UID looks like, without repeating the one given
        raise _fail(f"--uid: {escape(str(exc))}") from None


def _block(
    blocked: bool, owner: str | None, digest: str | None, uid: str | None, reason: str | None, db: str
) -> None:
    from central import tags as tag_rules
    from central.planning.changes import ChangeError

    if sum(x is not None for x in (owner, digest, uid)) != 1:
        raise _fail("name the tag(s) with exactly one of --owner, --digest or --uid")
    if reason is not None and len(reason) > 200:
        raise _fail("--reason is at most 200 characters")
    store = _store(db)
    try:
        if uid is not None:
            digest = _tag_digest_of_uid(store, uid)
        with store.session() as s, s.begin():
            try:
                found = tag_rules.find(s, digest=digest, owner=owner)
            except ChangeError as exc:
                raise _fail(escape(str(exc))) from None
            out = tag_rules.set_blocked(s, found, blocked, actor_role="admin", actor_id="cli", reason=reason)
    finally:
        store.close()
    verb = "blocked" if blocked else "unblocked"
    for t in out.changed:
        console.print(escape(f"{verb} tag {t.digest} of {t.owner_kind} {t.owner_id}"))
    for t in out.unchanged:
        console.print(escape(f"tag {t.digest} of {t.owner_kind} {t.owner_id} was already {verb}"))
    if out.changed:
        depts = ", ".join(sorted(out.departments)) or "none"
        console.print(
            escape(
                f"departments {depts}: devices get it with their next roster "
                "(lh-central serve republishes a changed roster within 15 s)"
            )
        )


@tag_app.command("block")
def tag_block(
    owner: OwnerOpt = None,
    digest: DigestOpt = None,
    uid: UidOpt = None,
    reason: ReasonOpt = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Block a lost tag (or every tag of a guardian): hallway screens refuse it and name no one. Audited."""
    _block(True, owner, digest, uid, reason, db)


@tag_app.command("unblock")
def tag_unblock(
    owner: OwnerOpt = None,
    digest: DigestOpt = None,
    uid: UidOpt = None,
    reason: ReasonOpt = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Let a blocked tag (or every tag of a guardian) work again. Audited."""
    _block(False, owner, digest, uid, reason, db)


@tag_app.command("list")
def tag_list(
    blocked: Annotated[bool, typer.Option("--blocked", help="only blocked tags")] = False,
    owner: Annotated[
        str | None, typer.Option("--owner", help="only this guardian's or staff member's")
    ] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Tags by digest and owner, blocked ones first (with since when)."""
    from central import tags as tag_rules

    store = _store(db)
    try:
        with store.session() as s:
            rows = tag_rules.listing(s, blocked_only=blocked, owner=owner)
    finally:
        store.close()
    table = _table("digest", "owner", "blocked since")
    for t in rows:
        since = t.blocked_at.strftime("%Y-%m-%d %H:%M UTC") if t.blocked_at else ""
        table.add_row(t.digest, f"{t.owner_kind} {t.owner_id}", since)
    _print_table(table)


@export_app.command("guardian")
def export_guardian(
    guardian_id: Annotated[str, typer.Argument(help="the guardian's id")],
    out: Annotated[Path | None, typer.Option("--out", help="JSON file, mode 0600 (default stdout)")] = None,
    db: DbOpt = DEFAULT_DB_URL,
) -> None:
    """Everything central holds about one guardian and their children (docs/privacy.md)."""
    import json

    from central import export

    store = _store(db)
    try:
        with store.session() as s:
            data = export.guardian_export(s, guardian_id)
    except export.NoSuchGuardian:
        raise _fail(f"no guardian {escape(guardian_id)!r}") from None
    finally:
        store.close()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    n_children, n_audit = len(data["children"]), len(data["audit_log"])
    err.print(f"wrote {escape(str(out))}: {n_children} child(ren), {n_audit} audit entries")


def _print_table(table: Table) -> None:
    """Print at the table's natural width, wider than the terminal if need be: Rich would
    otherwise squeeze columns and cut the ids and names people copy from it."""
    from rich.measure import Measurement

    need = Measurement.get(console, console.options.update_width(10_000), table).maximum
    # print(width=...) does not widen a table; a console of that width does
    Console(width=max(console.width, need), soft_wrap=True).print(table)


def _table(*headers: str) -> Table:
    """A table whose cells are never wrapped or cut: ids and names are copied from it."""
    table = Table()
    for h in headers:
        table.add_column(h, no_wrap=True, overflow="ignore")
    return table


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
