"""``lh-central``: the central service's command line (Typer)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

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
console = Console()
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
    client_id: Annotated[str, typer.Option("--client-id", help="stable per instance")] = "central-1",
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="broker password, instead of in the URL")
    ] = None,
    topic_prefix: Annotated[str, typer.Option("--topic-prefix")] = "lh/v1",
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
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
        plan_provider=PlanProvider(store),
        version=__version__,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    service.start()
    logging.getLogger(__name__).info("central serving; database %s", _redact(db))
    done.wait()
    service.stop()
    store.close()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
