"""``lh-device``: run the hallway terminal on a Pi, or simulate one on a PC."""

from __future__ import annotations

import logging
import sys
from datetime import time
from pathlib import Path
from typing import Annotated

import typer

from device.config import ConfigError, DeviceConfig, load_config
from device.demo import DEMO_TAG_KEY, demo_roster, demo_tags

app = typer.Typer(help="Lämna & Hämta hallway device.", no_args_is_help=True, add_completion=False)


def _demo_help() -> str:
    return "Demo tags: " + "; ".join(f"{uid} = {who}" for uid, who in demo_tags())


def _load(config: Path) -> DeviceConfig:
    """The config with its [display] and [hardware] tables validated too; exit 2 naming the key."""
    try:
        cfg = load_config(config)
        from device.display.config import parse_display

        parse_display(cfg.display, f"{config}: display")
        if cfg.hardware:
            from device.display.hardware import parse_hardware

            parse_hardware(cfg.hardware)
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except ImportError:  # no device.hardware on this machine: validated when the device starts
        pass
    return cfg


@app.command("check-config")
def check_config(config: Annotated[Path, typer.Option("--config", help="device TOML file")]) -> None:
    """Validate a config file and exit."""
    cfg = _load(config)
    typer.echo(f"{config}: ok (device {cfg.device_id})")


@app.command()
def run(
    config: Annotated[Path, typer.Option("--config", help="device TOML file")],
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
) -> None:
    """Run the terminal with real hardware (on a Raspberry Pi)."""
    cfg = _load(config)
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from device.runner import run_device

    run_device(cfg, simulate=False)


SIMULATE_HELP = (
    "Simulate a terminal on a PC: the same program with a simulated reader and silent LEDs. "
    "Commands on stdin, one a line: tap UID, touch X Y, wait SECONDS, screenshot FILE.png, status, quit "
    "(--headless: tap, wait, status, quit). Without DISPLAY/WAYLAND_DISPLAY the screen is drawn off-screen "
    "(SDL dummy driver); screenshots still work."
)


@app.command(help=SIMULATE_HELP + "\n\n" + _demo_help())
def simulate(
    config: Annotated[Path | None, typer.Option("--config", help="device TOML; omit for the demo")] = None,
    headless: Annotated[
        bool, typer.Option("--headless", help="no screen: a tap checks all children")
    ] = False,
    broker: Annotated[str | None, typer.Option("--broker", help="override mqtt.url")] = None,
    clock: Annotated[
        str | None, typer.Option("--clock", help="start the clock today at HH:MM local time (demos)")
    ] = None,
    handover_mode: Annotated[
        str | None, typer.Option("--handover-mode", help="override: self_service or staff_confirmed")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "WARNING",
) -> None:
    logging.basicConfig(
        level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if config is None:
        cfg = DeviceConfig(device_id="demo", store={"path": Path("demo-run/device-demo.sqlite3")})  # type: ignore[arg-type]
        from device.display.demo_plan import with_demo_plan

        tag_key, seed, connect = DEMO_TAG_KEY, with_demo_plan(demo_roster()), broker is not None
    else:
        cfg = _load(config)
        tag_key, seed, connect = None, None, True
    if broker is not None:
        cfg = cfg.model_copy(update={"mqtt": cfg.mqtt.model_copy(update={"url": broker})})
    if handover_mode is not None:
        if handover_mode not in ("self_service", "staff_confirmed"):
            typer.echo("error: --handover-mode is self_service or staff_confirmed", err=True)
            raise typer.Exit(2)
        cfg = cfg.model_copy(update={"handover_mode": handover_mode})
    start_at = None
    if clock is not None:
        try:
            start_at = time.fromisoformat(clock)
        except ValueError:
            typer.echo("error: --clock wants HH:MM", err=True)
            raise typer.Exit(2) from None
    from device.runner import run_device

    run_device(
        cfg,
        simulate=True,
        headless=headless,
        tag_key=tag_key,
        seed_roster=seed,
        connect=connect,
        start_at=start_at,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
