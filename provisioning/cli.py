"""``lh-provision``: the technician's command line (Typer + Rich).

Every command takes ``--site DIR``.  The commands print paths and outcomes,
never a password or key; destructive ones ask first unless ``--yes``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from provisioning import actions, status
from provisioning import wheelhouse as wh
from provisioning.site import ProvisionError, Site, SiteConfig
from provisioning.tags import enroll_tag

app = typer.Typer(
    help="Lämna & Hämta provisioning: site CA, broker, device credentials and bundles.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True, highlight=False)  # a path or command wrapped mid-word cannot be copied
err = Console(stderr=True, soft_wrap=True, highlight=False)

SiteOpt = Annotated[Path, typer.Option("--site", envvar="LH_SITE", help="the site folder")]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="LH_DB_URL", help="central's database: sqlite:///FILE or postgresql://..."),
]
PidOpt = Annotated[
    Path | None,
    typer.Option("--broker-pid-file", help="Mosquitto's pid file (default: SITE/broker/mosquitto.pid)"),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]

T = TypeVar("T")


def _run(fn: Callable[[], T]) -> T:
    """Run an action; a ProvisionError becomes a red message and exit code 1."""
    try:
        return fn()
    except ProvisionError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


def _report(outcome: actions.Outcome, site: Site) -> None:
    for note in outcome.notes:
        console.print(("[green]✓[/green] " if outcome.changed else "• ") + note)
    for warning in outcome.warnings:
        console.print(f"[yellow]![/yellow] {warning}")
    if outcome.written:
        table = Table("file written", "mode", show_edge=False)
        for path in outcome.written:
            mode = path.stat().st_mode & 0o777 if path.exists() else 0
            table.add_row(
                str(path.relative_to(site.root) if path.is_relative_to(site.root) else path), f"{mode:o}"
            )
        console.print(table)


def _confirm(question: str, yes: bool) -> None:
    if not yes and not typer.confirm(question, default=False):
        err.print("nothing done")
        raise typer.Exit(1)


@app.command("init-site")
def init_site(
    site: SiteOpt,
    broker_host: Annotated[
        str, typer.Option("--broker-host", help="name or address devices use for the broker")
    ],
    broker_port: Annotated[int, typer.Option("--broker-port", min=1, max=65535)] = 8883,
    alt_name: Annotated[
        list[str] | None, typer.Option("--alt-name", help="another name/address for the broker certificate")
    ] = None,
    broker_dir: Annotated[
        str | None,
        typer.Option("--broker-dir", help="where SITE/broker will live on the broker host (default: here)"),
    ] = None,
    broker_user: Annotated[
        str, typer.Option("--broker-user", help="account Mosquitto runs as")
    ] = "mosquitto",
    name: Annotated[str | None, typer.Option("--name", help="site name (default: folder name)")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="re-create an existing site (new CA and secrets)")
    ] = False,
    db: DbOpt = None,
    yes: YesOpt = False,
) -> None:
    """Create the site CA, broker certificate and files, service credentials and tag key."""
    s = Site(site.resolve())
    cfg = SiteConfig(
        name=name or s.root.name,
        broker_host=broker_host,
        broker_port=broker_port,
        broker_dir=broker_dir or str(s.broker),
        broker_user=broker_user,
        extra_hosts=tuple(alt_name or ()),
    )
    if force and s.exists():
        _confirm(f"Re-create {s.root} with a new CA and new secrets? Every issued credential dies.", yes)
    with console.status("making the site CA and certificates"):
        outcome = _run(lambda: actions.init_site(s, cfg, force=force, db=db))
    _report(outcome, s)
    if outcome.changed:
        console.print(f"start the broker with: mosquitto -c {cfg.broker_dir}/mosquitto.conf")


@app.command("update-broker")
def update_broker(
    site: SiteOpt,
    build: Annotated[
        bool, typer.Option("--build/--no-build", help="compile lh_guard.so here (the broker runs here)")
    ] = True,
) -> None:
    """Re-render SITE/broker's config and ACL from this release and build the guard plugin."""
    s = Site(site.resolve())
    _report(_run(lambda: actions.update_broker(s, build=build)), s)


@app.command("add-device")
def add_device(
    site: SiteOpt,
    device_id: Annotated[str, typer.Argument(help="the device id, e.g. solen-1")],
    department: Annotated[str, typer.Option("--department", help="the department it serves")],
    db: DbOpt = None,
    broker_pid_file: PidOpt = None,
) -> None:
    """Credentials, certificate and config for a device; registered with central with --db."""
    s = Site(site.resolve())
    with console.status(f"provisioning {device_id}"):
        outcome = _run(lambda: actions.add_device(s, device_id, department, db=db, pid_file=broker_pid_file))
    _report(outcome, s)
    if outcome.changed:
        console.print(f"next: lh-provision bundle {device_id} --site {site}")


WheelOpt = Annotated[
    Path | None,
    typer.Option(
        "--wheel",
        exists=True,
        dir_okay=False,
        help="lamna_hamta wheel to include (default: built from this checkout)",
    ),
]
PiPythonOpt = Annotated[
    str, typer.Option("--pi-python", help="the Pi's Python (Raspberry Pi OS Bookworm: 3.11)")
]
PiPlatformOpt = Annotated[
    str,
    typer.Option(
        "--pi-platform",
        hidden=True,
        help="pi, or native: packages for this machine instead (tests)",
    ),
]


def _target(pi_python: str, pi_platform: str) -> wh.Target:
    if pi_platform not in ("pi", "native"):
        raise ProvisionError(f"--pi-platform is pi or native, not {pi_platform!r}")
    return wh.Target(python=pi_python, native=pi_platform == "native")


@app.command("bundle")
def bundle(
    site: SiteOpt,
    device_id: Annotated[str, typer.Argument(help="the device id")],
    wheel: WheelOpt = None,
    wheelhouse: Annotated[
        Path | None,
        typer.Option(
            "--wheelhouse",
            file_okay=False,
            help="the Pi's Python packages: reused from DIR, downloaded into it if incomplete "
            "(default: downloaded for this bundle alone)",
        ),
    ] = None,
    pi_python: PiPythonOpt = wh.PI_PYTHON,
    pi_platform: PiPlatformOpt = "pi",
) -> None:
    """One tar.gz with the device's config, credentials, systemd unit, first-boot script, the
    package and every Python package it needs (first boot installs them offline)."""
    s = Site(site.resolve())
    with console.status(f"bundling {device_id} (downloads the Pi's Python packages if needed)"):
        outcome = _run(
            lambda: actions.build_bundle(
                s,
                device_id,
                wheel=wheel,
                wheelhouse=wheelhouse.resolve() if wheelhouse else None,
                target=_target(pi_python, pi_platform),
            )
        )
    _report(outcome, s)
    console.print(
        "on the Pi: sudo tar -xzpf BUNDLE -C / && sudo lh-firstboot\n"
        "(the bundle holds secrets: delete every copy once the Pi is running)"
    )


@app.command("wheelhouse")
def wheelhouse_cmd(
    folder: Annotated[Path, typer.Argument(help="the folder to fill (created if missing)", file_okay=False)],
    wheel: WheelOpt = None,
    pi_python: PiPythonOpt = wh.PI_PYTHON,
    pi_platform: PiPlatformOpt = "pi",
) -> None:
    """Download the Pi's Python packages once (needs the network); bundles reuse them with
    --wheelhouse FOLDER, offline."""
    with console.status(f"downloading into {folder}"):
        outcome = _run(
            lambda: actions.build_wheelhouse(
                folder.resolve(), wheel=wheel, target=_target(pi_python, pi_platform)
            )
        )
    for note in outcome.notes:
        console.print(("[green]✓[/green] " if outcome.changed else "• ") + note)
    console.print(f"then: lh-provision bundle ID --site SITE --wheelhouse {folder}")


@app.command("revoke-device")
def revoke_device(
    site: SiteOpt,
    device_id: Annotated[str, typer.Argument(help="the device id")],
    db: DbOpt = None,
    broker_pid_file: PidOpt = None,
    yes: YesOpt = False,
) -> None:
    """Lock a device out: password removed, certificate revoked, broker reloaded, central told."""
    s = Site(site.resolve())
    _confirm(f"Revoke device {device_id}? It will never connect again with its current credentials.", yes)
    outcome = _run(lambda: actions.revoke_device(s, device_id, db=db, pid_file=broker_pid_file))
    _report(outcome, s)


@app.command("rotate-device")
def rotate_device(
    site: SiteOpt,
    device_id: Annotated[str, typer.Argument(help="the device id")],
    broker_pid_file: PidOpt = None,
    yes: YesOpt = False,
) -> None:
    """New password and certificate for a device; the old ones stop working at the broker's reload."""
    s = Site(site.resolve())
    _confirm(f"Rotate {device_id}'s credentials? The Pi needs its new bundle afterwards.", yes)
    outcome = _run(lambda: actions.rotate_device(s, device_id, pid_file=broker_pid_file))
    _report(outcome, s)


@app.command("enroll-tag")
def enroll(
    site: SiteOpt,
    owner: Annotated[str, typer.Option("--owner", help="guardian or staff")],
    person_id: Annotated[str, typer.Option("--id", help="the guardian's or staff member's id")],
    db: Annotated[str, typer.Option("--db", envvar="LH_DB_URL", help="central's database URL")],
    uid: Annotated[str | None, typer.Option("--uid", help="the tag's UID in hex")] = None,
    digest: Annotated[
        str | None, typer.Option("--digest", help="the digest a Pi in technician mode shows")
    ] = None,
) -> None:
    """Attach a tag to a guardian or staff member (stored as its keyed digest only)."""
    s = Site(site.resolve())
    result = _run(lambda: enroll_tag(s, db, owner_kind=owner, owner_id=person_id, uid=uid, digest=digest))
    verb = "was already enrolled for" if result.already else "enrolled for"
    console.print(f"[green]✓[/green] tag {result.digest[:12]}… {verb} {result.owner_kind} {result.owner_id}")


@app.command("list")
def list_devices(
    site: SiteOpt,
    broker: Annotated[
        str | None, typer.Option("--broker", help="broker URL (default: the site's mqtts://host:port)")
    ] = None,
    wait: Annotated[float, typer.Option("--wait", help="seconds to collect retained statuses")] = 1.0,
) -> None:
    """The site's devices with department, state, last seen, version and outbox depth."""
    s = Site(site.resolve())
    cfg = _run(s.load)
    departments = {d: actions.device_department(s, d) for d in s.device_ids()}
    with console.status("reading statuses from the broker"):
        found = _run(
            lambda: status.collect_statuses(
                broker or cfg.broker_url, status.ClientFiles.of(s.service("monitor"), "monitor"), wait_s=wait
            )
        )
    table = Table("device", "department", "state", "last seen", "version", "outbox")
    for row in status.device_rows(departments, found):
        colour = {"online": "green", "offline": "red"}.get(row.state, "yellow")
        table.add_row(
            row.device_id,
            row.department,
            f"[{colour}]{row.state}[/{colour}]",
            row.last_seen,
            row.version,
            row.outbox_depth,
        )
    console.print(table)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
