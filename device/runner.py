"""The device's main program for ``lh-device run`` and ``simulate``.

``run``: configured reader and LEDs, full-screen pygame, systemd notify and
watchdog.  ``simulate``: the same program with a simulated reader and silent
feedback, fed by a script on stdin (SDL's dummy driver when there is no
display); ``simulate --headless`` keeps the old screenless tapper.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from device import __version__
from device.app import DeviceApp
from device.config import DeviceConfig
from device.memory import settle
from device.script import HeadlessTapper, run_script
from protocol.messages import Roster

logger = logging.getLogger(__name__)


def run_device(
    config: DeviceConfig,
    *,
    simulate: bool,
    headless: bool = False,
    tag_key: bytes | None = None,
    seed_roster: Roster | None = None,
    connect: bool = True,
    start_at: dt.time | None = None,
    script: TextIO | None = None,
    out: TextIO | None = None,
) -> None:
    """Run until SIGTERM (``run``) or the end of the script (``simulate``)."""
    script = script or sys.stdin
    out = out or sys.stdout
    now = _clock_from(start_at, config.timezone) if start_at else None
    app = DeviceApp.build(
        config,
        tag_key=tag_key,
        seed_roster=seed_roster,
        connect=connect,
        assume_clock_synced=simulate,
        now=now,
    )
    app.start()
    try:
        if simulate and headless:
            _run_headless(app, script, out)
        else:
            _run_screen(app, simulate=simulate, script=script, out=out)
        if simulate:
            _drain_before_quit(app, out)
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()


def _drain_before_quit(app: DeviceApp, out: TextIO, timeout_s: float = 5.0) -> None:
    """``quit`` in a simulation: give the outbox ``timeout_s`` to drain while connected, then
    say how many events remain (they stay in the store and go on the next run)."""
    if app.link is None or app.store.depth() == 0:
        return
    deadline = time.monotonic() + timeout_s
    while app.store.depth() and app.link.state.connected and time.monotonic() < deadline:
        app.link.kick()
        time.sleep(0.1)
    left = app.store.depth()
    if left:
        print(
            f"quit: {left} event(s) not yet acknowledged by central; they stay in {app.store.path} "
            "and are sent when this device runs again",
            file=out,
            flush=True,
        )
    else:
        print("quit: every event reached central", file=out, flush=True)


def _clock_from(start: dt.time, timezone: str) -> Callable[[], dt.datetime]:
    """A wall clock that starts today at ``start`` local time and then runs normally."""
    tz = ZoneInfo(timezone)
    origin = dt.datetime.combine(dt.datetime.now(tz).date(), start, tzinfo=tz).astimezone(dt.UTC)
    t0 = time.monotonic()
    return lambda: origin + dt.timedelta(seconds=time.monotonic() - t0)


def _status_line(app: DeviceApp) -> str:
    st = app.link.state if app.link else None
    return (
        f"status: outbox {app.store.depth()} roster {app.store.roster_version()} "
        f"connected {st.connected if st else False}"
    )


def _run_headless(app: DeviceApp, script: TextIO, out: TextIO) -> None:
    tapper = HeadlessTapper(app.terminal, out)
    settle()  # as the screen loop does after its first frame

    def status(_args: list[str]) -> None:
        print(_status_line(app), file=out, flush=True)

    run_script(script, {"tap": lambda a: tapper.tap(a[0]), "status": status}, out)


def _run_screen(app: DeviceApp, *, simulate: bool, script: TextIO, out: TextIO) -> None:
    if simulate and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from device.display.config import parse_display
    from device.display.controller import Controller
    from device.display.hardware import make_feedback, make_reader
    from device.display.loop import UiLoop, stdin_queue
    from device.display.sdnotify import Notifier
    from device.display.status import StatusSource
    from device.display.ui import Display, open_surface

    cfg = app.config
    display_cfg = parse_display(cfg.display)
    link = app.link
    reader = make_reader(cfg.hardware, simulate=simulate)
    real_reader = reader if reader is not None and not simulate else None
    status = StatusSource(
        app.terminal,
        link_state=(lambda: link.state) if link else None,
        reader_error=(lambda: real_reader.error) if real_reader is not None else None,
        broker=cfg.mqtt.url if link else None,
        version=__version__,
    )
    feedback = make_feedback(cfg.hardware, simulate=simulate)
    controller = Controller(
        app.terminal,
        display_cfg,
        feedback=feedback,
        status=status,
        timezone=cfg.timezone,
    )
    surface = open_surface(display_cfg, fullscreen=False if simulate else None)
    display = Display(controller, surface, display_cfg.diagonal_in)
    loop = UiLoop(
        display,
        fps=display_cfg.fps,
        script=stdin_queue(script) if simulate else None,
        out=out if simulate else None,
        notifier=Notifier(),
        normalize=_normalizer(),
        status=lambda: _status_line(app),
    )
    if real_reader is not None:  # a reader that won't open yet is retried, and the screen says so
        real_reader.start(loop.post_tap, retry_open=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: loop.stop())
    try:
        loop.run()
    finally:
        if real_reader is not None:
            real_reader.stop()
        _close(feedback)
        import pygame

        from device.display.painter import forget_fonts

        forget_fonts()
        pygame.quit()


def _normalizer() -> Callable[[str], str]:
    try:
        from device.hardware.uid import normalize_uid
    except ImportError:
        return str.upper
    return normalize_uid


def _close(feedback: Any) -> None:
    close = getattr(feedback, "close", None)
    if close is not None:
        close()
