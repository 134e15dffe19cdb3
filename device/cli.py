"""``lh-device``: run the hallway terminal on a Pi, or simulate one on a PC.

The device's command line uses the standard library's ``argparse`` rather than Typer (which
central and provisioning use): three subcommands don't need more, and on a Pi every
megabyte counts (bench/device_footprint.py; docs/decisions.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import time
from pathlib import Path

from device.config import ConfigError, DeviceConfig, load_config
from device.demo import DEMO_TAG_KEY, demo_roster, demo_tags
from protocol.messages import Roster, RosterNotice

HANDOVER_MODES = ("self_service", "staff_confirmed")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

SIMULATE_HELP = (
    "Simulate a terminal on a PC: the same program with a simulated reader and silent LEDs. "
    "Commands on stdin, one a line: tap UID, touch X Y, wait SECONDS, screenshot FILE.png, status, quit "
    "(--headless: tap, wait, status, quit). Without DISPLAY/WAYLAND_DISPLAY the screen is drawn off-screen "
    "(SDL dummy driver); screenshots still work."
)


class UsageError(Exception):
    """A bad option value or config: printed as ``error: ...``, exit status 2."""


def _demo_help() -> str:
    return "Demo tags: " + "; ".join(f"{uid} = {who}" for uid, who in demo_tags())


def _load(config: Path) -> DeviceConfig:
    """The config with its [display] and [hardware] tables validated too."""
    try:
        cfg = load_config(config)
        from device.display.config import parse_display

        parse_display(cfg.display, f"{config}: display")
        if cfg.hardware:
            from device.display.hardware import parse_hardware

            parse_hardware(cfg.hardware)
    except (ConfigError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return cfg


def _clock(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("wants HH:MM") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lh-device", description="Lämna & Hämta hallway device.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check-config",
        help="validate a config file and exit",
        description="Report every problem of the config at once: its keys and tables, and every file it "
        "names (there, readable, the right content). Exit status 2 if there are any.",
    )
    check.add_argument("--config", type=Path, required=True, help="device TOML file")
    check.add_argument(
        "--connect",
        action="store_true",
        help="then log in to the broker with the config's credentials and say how it went (exit 1 if not)",
    )

    run = sub.add_parser("run", help="run the terminal with real hardware (on a Raspberry Pi)")
    run.add_argument("--config", type=Path, required=True, help="device TOML file")
    run.add_argument("--log-level", default="INFO", type=str.upper, choices=LOG_LEVELS)

    sim = sub.add_parser(
        "simulate",
        help="simulate a terminal on a PC (the demo department without --config)",
        description=SIMULATE_HELP + " " + _demo_help(),
    )
    sim.add_argument("--config", type=Path, help="device TOML; omit for the demo")
    sim.add_argument("--headless", action="store_true", help="no screen: a tap checks all children")
    sim.add_argument("--broker", help="override mqtt.url")
    sim.add_argument("--clock", type=_clock, help="start the clock today at HH:MM local time (demos)")
    sim.add_argument("--handover-mode", choices=HANDOVER_MODES, help="override the config's handover_mode")
    sim.add_argument(
        "--notice",
        action="append",
        metavar="TEXT",
        help="demo only: a hallway notice in the roster, shown today (repeatable)",
    )
    sim.add_argument(
        "--blocked",
        action="append",
        metavar="UID",
        help="demo only: the roster blocks this tag, as central does for a lost one (repeatable)",
    )
    sim.add_argument("--log-level", default="WARNING", type=str.upper, choices=LOG_LEVELS)
    return parser


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _blocking(roster: Roster, key: bytes, uids: list[str]) -> Roster:
    """The demo roster as central sends it with these tags blocked: in ``blocked_tags``, in no
    one's ``tag_digests``."""
    from protocol.tags import tag_digest

    try:
        blocked = sorted({tag_digest(key, u) for u in uids})
    except ValueError as exc:
        raise UsageError(f"--blocked: {exc}") from None

    def keep(ds: list[str]) -> list[str]:
        return [d for d in ds if d not in blocked]

    return roster.model_copy(
        update={
            "guardians": [
                g.model_copy(update={"tag_digests": keep(g.tag_digests)}) for g in roster.guardians
            ],
            "staff": [st.model_copy(update={"tag_digests": keep(st.tag_digests)}) for st in roster.staff],
            "blocked_tags": blocked,
        }
    )


def _simulate(args: argparse.Namespace) -> None:
    if args.config is None:
        cfg = DeviceConfig(device_id="demo", store={"path": Path("demo-run/device-demo.sqlite3")})
        from device.demo.plan import with_demo_plan

        tag_key, seed, connect = DEMO_TAG_KEY, with_demo_plan(demo_roster()), args.broker is not None
        if args.notice:
            notices = [
                RosterNotice(id=f"demo-{i}", text=t, last=seed.date) for i, t in enumerate(args.notice, 1)
            ]
            seed = seed.model_copy(update={"notices": notices})
        if args.blocked:
            seed = _blocking(seed, tag_key, args.blocked)
    else:
        if args.notice or args.blocked:
            raise UsageError(
                "--notice and --blocked are for the demo: with --config, they come in the roster"
            )
        cfg = _load(args.config)
        tag_key, seed, connect = None, None, True
    if args.broker is not None:
        cfg = cfg.model_copy(update={"mqtt": cfg.mqtt.model_copy(update={"url": args.broker})})
    if args.handover_mode is not None:
        cfg = cfg.model_copy(update={"handover_mode": args.handover_mode})
    _logging(args.log_level)
    from device.runner import run_device

    run_device(
        cfg,
        simulate=True,
        headless=args.headless,
        tag_key=tag_key,
        seed_roster=seed,
        connect=connect,
        start_at=args.clock,
    )


def _check_config(path: Path, *, connect: bool) -> int:
    from device.check import check_config, try_connect

    result = check_config(path)
    if result.config is None:
        for problem in result.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = len(result.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 2
    print(f"{path}: ok (device {result.config.device_id})")
    if connect:
        ok, sentence = try_connect(result.config)
        print(("broker: " if ok else "error: broker: ") + sentence, file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lh-device``; the exit status (2 for a bad option or config)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-config":
            return _check_config(args.config, connect=args.connect)
        elif args.command == "run":
            cfg = _load(args.config)
            _logging(args.log_level)
            from device.runner import run_device

            run_device(cfg, simulate=False)
        else:
            _simulate(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
