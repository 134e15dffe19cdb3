"""The simulation script: one command a line on standard input.

``tap UID``, ``wait SECONDS``, ``status``, ``quit``; with the touchscreen
(:mod:`device.display.loop`) also ``touch X Y``, ``screenshot FILE.png`` and
``reader broken [WHY...]`` / ``reader ok``.
Output names ids, never people.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable
from typing import TextIO

from device.core import TagKind, Terminal
from protocol.messages import Actor, ActorKind, EventMethod

Handler = Callable[[list[str]], None]


class ScriptError(ValueError):
    pass


class HeadlessTapper:
    """Without a screen a guardian's tap checks all their children in or out."""

    def __init__(self, terminal: Terminal, out: TextIO) -> None:
        self.terminal = terminal
        self.out = out

    def tap(self, uid: str) -> None:
        ident = self.terminal.identify(uid)
        if ident.kind == TagKind.UNKNOWN:
            if self.terminal.roster is None:  # every tag is unknown until central's roster comes
                print(
                    "tap: waiting for the roster (none from central yet): try again in a moment",
                    file=self.out,
                    flush=True,
                )
                return
            print(f"tap: unknown tag, digest {ident.digest}", file=self.out, flush=True)
            return
        if ident.kind == TagKind.BLOCKED:
            print(f"tap: blocked tag, digest {ident.digest}", file=self.out, flush=True)
            return
        if ident.kind == TagKind.STAFF:
            print(f"tap: staff {ident.person_id}", file=self.out, flush=True)
            return
        assert ident.person_id is not None
        events = self.terminal.toggle(
            [c.id for c in ident.children],
            Actor(kind=ActorKind.GUARDIAN, id=ident.person_id),
            EventMethod.TAG,
        )
        for ev in events:
            print(f"tap: {ev.type.value} {ev.child_id} seq {ev.seq}", file=self.out, flush=True)


def parse_line(raw: str) -> tuple[str, list[str]] | None:
    """(command, arguments) of one script line; None for blank lines and ``#`` comments."""
    line = raw.strip()
    if not line or line.startswith("#"):
        return None
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ScriptError(str(exc)) from None
    return words[0], words[1:]


def run_script(lines: Iterable[str], handlers: dict[str, Handler], out: TextIO) -> None:
    """Run commands until ``quit`` or end of input; a bad line is reported, not fatal."""
    for number, raw in enumerate(lines, 1):
        try:
            parsed = parse_line(raw)
        except ScriptError as exc:
            print(f"line {number}: {exc}", file=out, flush=True)
            continue
        if parsed is None:
            continue
        cmd, args = parsed
        if cmd == "quit":
            return
        if cmd == "wait":
            try:
                time.sleep(float(args[0]))
            except (IndexError, ValueError):
                print(f"line {number}: wait SECONDS", file=out, flush=True)
            continue
        handler = handlers.get(cmd)
        if handler is None:
            print(
                f"line {number}: unknown command {cmd!r} (known: {', '.join(sorted(handlers))}, wait, quit)",
                file=out,
                flush=True,
            )
            continue
        try:
            handler(args)
        except (ScriptError, ValueError) as exc:
            print(f"line {number}: {exc}", file=out, flush=True)
