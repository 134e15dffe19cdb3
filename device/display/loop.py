"""The UI loop: frames, taps from the reader thread, touches, the simulation script, the watchdog.

Script commands (``lh-device simulate``) are taken between frames, in order:
``tap UID``, ``touch X Y``, ``wait SECONDS`` (the UI keeps running meanwhile),
``screenshot FILE.png`` (renders the current state first), ``status``,
``reader broken [WHY...]`` / ``reader ok`` (the screens as they are while the tag
reader fails: simulate has no real one), ``quit``.
Each command is applied before the next one is read, so a script is deterministic
apart from the wall clock.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TextIO

import pygame

from device.display.sdnotify import Notifier
from device.display.ui import Display
from device.memory import settle
from device.script import ScriptError, parse_line

logger = logging.getLogger(__name__)

REDRAW_S = 0.5  # the clock and the undo countdown move even when nothing happens


class UiLoop:
    """Runs until :meth:`stop`, the script's ``quit``, or a window close."""

    def __init__(
        self,
        display: Display,
        *,
        fps: int = 20,
        script: queue.Queue[str | None] | None = None,
        out: TextIO | None = None,
        notifier: Notifier | None = None,
        normalize: Callable[[str], str] = str.upper,
        status: Callable[[], str] | None = None,
    ) -> None:
        self.display = display
        self.controller = display.controller
        self.fps = fps
        self.script = script
        self.out = out
        self.notifier = notifier or Notifier({})
        self.normalize = normalize
        self.status = status
        self.tap_event = pygame.event.custom_type()
        self._stop = threading.Event()
        self._wait_until = 0.0
        self._line = 0

    # -- called from other threads ----------------------------------------------------

    def post_tap(self, uid: str) -> None:
        """The reader thread's ``on_tap``: hand the UID to the UI thread."""
        pygame.event.post(pygame.event.Event(self.tap_event, uid=uid))

    def stop(self) -> None:
        self._stop.set()

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        clock = pygame.time.Clock()
        last_draw = 0.0
        last_ping = 0.0
        first = True
        while not self._stop.is_set():
            for ev in pygame.event.get():
                if ev.type == pygame.QUIT:
                    self._stop.set()
                elif ev.type == self.tap_event:
                    self.controller.on_tap(ev.uid)
                else:
                    self.display.handle_event(ev)
            self.controller.tick()
            now = time.monotonic()
            if self.controller.dirty or now - last_draw >= REDRAW_S:
                self.display.render()
                pygame.display.flip()
                last_draw = now
                if first:
                    first = False
                    settle()  # start-up is done: keep full collections short from here on
                    self.notifier.ready()
                    self._say("ready: first frame")
            self._run_script()  # after the first frame, so "ready" comes first
            wd = self.notifier.watchdog_s
            if wd is not None and now - last_ping >= wd:
                self.notifier.ping()
                last_ping = now
            clock.tick(self.fps)
        self.notifier.stopping()

    def _say(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def _run_script(self) -> None:
        if self.script is None or time.monotonic() < self._wait_until:
            return
        while True:
            try:
                raw = self.script.get_nowait()
            except queue.Empty:
                return
            if raw is None:
                self._stop.set()
                return
            self._line += 1
            try:
                cmd = parse_line(raw)
            except ScriptError as exc:
                self._say(f"line {self._line}: {exc}")
                continue
            if cmd is None:
                continue
            name, args = cmd
            try:
                if self._command(name, args):
                    return
            except (ScriptError, ValueError) as exc:
                self._say(f"line {self._line}: {exc}")

    def _command(self, name: str, args: list[str]) -> bool:
        """Apply one command; True when the script must pause (wait, quit)."""
        c = self.controller
        if name == "quit":
            self._stop.set()
            return True
        if name == "wait":
            self._wait_until = time.monotonic() + float(_arg(args, 0, "wait SECONDS"))
            return True
        if name == "tap":
            c.on_tap(self.normalize(_arg(args, 0, "tap UID")))
            c.tick()
            waiting = " (waiting for the roster: none from central yet)" if c.terminal.roster is None else ""
            self._say(f"tap: screen {c.screen.value}{waiting}")
        elif name == "touch":
            x, y = int(_arg(args, 0, "touch X Y")), int(_arg(args, 1, "touch X Y"))
            self.display.render()  # hit-test what is on screen now
            hit = self.display.touch((x, y))
            self._say(f"touch: {'hit' if hit else 'miss'}, screen {c.screen.value}")
        elif name == "screenshot":
            path = _arg(args, 0, "screenshot FILE.png")
            c.tick()
            self.display.screenshot(path)
            pygame.display.flip()
            self._say(f"screenshot: {path}")
        elif name == "status" and self.status is not None:
            self._say(self.status())
        elif name == "reader":
            self._reader(args)
        else:
            raise ScriptError(
                f"unknown command {name!r} (tap, touch, wait, screenshot, status, reader, quit)"
            )
        return False

    def _reader(self, args: list[str]) -> None:
        """``reader broken [WHY...]`` / ``reader ok``: what the screens read as the reader's error."""
        state = _arg(args, 0, "reader broken [WHY...] | reader ok")
        if state == "ok":
            error = None
        elif state == "broken":
            error = " ".join(args[1:]) or "simulated failure"
        else:
            raise ScriptError("usage: reader broken [WHY...] | reader ok")
        self.controller.status.reader_error = lambda: error
        self.controller.tick()
        self._say(f"reader: {state}")


def _arg(args: list[str], i: int, usage: str) -> str:
    if len(args) <= i:
        raise ScriptError(f"usage: {usage}")
    return args[i]


def stdin_queue(lines: TextIO) -> queue.Queue[str | None]:
    """Lines of ``lines`` fed by a daemon thread; ``None`` marks the end."""
    q: queue.Queue[str | None] = queue.Queue()

    def feed() -> None:
        for line in lines:
            q.put(line)
        q.put(None)

    threading.Thread(target=feed, name="script", daemon=True).start()
    return q
