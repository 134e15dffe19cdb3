"""The technician screen: identity, software, network, broker, reader, outbox, roster, errors, unknown tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter, font, wrap
from device.display.screens.base import Screen, body_rect, draw_header, footer
from device.display.theme import Color, Layout
from device.display.view import TechInfo, View

SOURCES = {"reader": N_("tag reader"), "link": N_("connection")}


class Line(NamedTuple):
    """One row: key and value; the value's colour and font size where not the usual."""

    key: str
    value: str
    color: Color | None = None
    size: int | None = None


Wrap = Callable[[str], tuple[int | None, list[str]]]


def _yes_no(tr: Translator, value: bool | None) -> str:
    if value is None:
        return tr(N_("unknown"))
    return tr(N_("yes")) if value else tr(N_("no"))


def lines(tr: Translator, t: TechInfo, wrap_value: Wrap = lambda s: (None, [s])) -> list[Line]:
    """The screen's rows; ``wrap_value`` breaks a long error over two rows (font size, lines)."""
    unsent = tr(N_("{unsent} unsent, {rejected} rejected"), unsent=t.outbox, rejected=t.rejected)
    return [
        Line(tr(N_("Device")), t.device_id),
        Line(tr(N_("Software")), t.version),
        Line(tr(N_("IP address")), t.ip or tr(N_("none"))),
        Line(tr(N_("Broker")), t.broker or tr(N_("none (demo)"))),
        _reader_line(tr, t),
        Line(tr(N_("Connected")), _yes_no(tr, t.connected)),
        Line(tr(N_("Central online")), _yes_no(tr, t.central_online)),
        Line(tr(N_("Events")), unsent),
        Line(tr(N_("Roster version")), str(t.roster_version) if t.roster_version is not None else "–"),
        *_error_lines(tr, t, wrap_value),
        *_digest_lines(tr(N_("Last unknown tag")), t.last_unknown),
    ]


def _reader_line(tr: Translator, t: TechInfo) -> Line:
    key = tr(N_("Tag reader"))
    if t.reader_error is None:
        return Line(key, tr(N_("works")))
    if t.reader_failing_since is None:
        return Line(key, tr(N_("not working")), theme.DANGER)
    since = t.reader_failing_since.strftime("%H:%M")
    return Line(key, tr(N_("not working since {time}"), time=since), theme.DANGER)


def _error_lines(tr: Translator, t: TechInfo, wrap_value: Wrap) -> list[Line]:
    """The latest error (kept after it cleared) on two rows: the key column's second row says
    when and where from, so an intermittent fault still shows when the technician arrives."""
    key = tr(N_("Last error"))
    if not t.last_error:
        return [Line(key, "–")]
    size, (first, *rest) = wrap_value(t.last_error)
    when = t.last_error_at.strftime("%H:%M") if t.last_error_at else ""
    where = tr(SOURCES[t.last_error_source]) if t.last_error_source else ""
    second, *third = rest if len(rest) > 1 else [" ".join(rest)]
    return [
        Line(key, first, size=size),
        Line(", ".join(x for x in (when, where) if x), second, size=size),
        *(Line(ERROR_CONTINUED, " ".join(third), size=size) for _ in third[:1]),
    ]


ERROR_CONTINUED = " "  # the key column of a long error's third row (issue 10: whole sentences)


def wrap_error(text: str, width: int, size: int) -> tuple[int, list[str]]:
    """Two rows for the last error, three when two cannot hold it even at the smallest size:
    a connection error is a sentence saying what to do, and none of it may be cut off."""
    fitted, out = wrap(text, width, size, bold=True)
    if all(font(fitted, True).size(line)[0] <= width for line in out):
        return fitted, out
    return wrap(text, width, size, bold=True, lines=3)


def _digest_lines(key: str, digest: str | None) -> list[Line]:
    """The whole 64-hex digest on two lines in groups of eight, for ``lh-provision enroll-tag
    --digest``: a technician copies it by eye, so none of it may be cut off."""
    if not digest:
        return [Line(key, "–")]
    groups = [digest[i : i + 8] for i in range(0, len(digest), 8)]
    half = (len(groups) + 1) // 2
    return [Line(key, " ".join(groups[:half])), Line(DIGEST_CONTINUED, " ".join(groups[half:]))]


DIGEST_CONTINUED = ""  # the key column of the digest's second line


class TechnicianScreen(Screen):
    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        return footer(lay, [(tr(N_("Back")), it.Done(), "primary")])

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        draw_header(p, tr(N_("Technician")), view)
        if view.tech is None:
            return
        body = body_rect(lay)
        key_w = body.width * 37 // 100
        size = lay.font("small")
        items = lines(tr, view.tech, lambda s: wrap_error(s, body.width - key_w, size))
        lh = body.height // len(items)
        for i, line in enumerate(items):
            y = body.top + i * lh
            p.text(line.key, pygame.Rect(body.left, y, key_w, lh), size, color=theme.MUTED)
            box = pygame.Rect(body.left + key_w, y, body.width - key_w, lh)
            p.text(line.value, box, line.size or size, bold=True, color=line.color or theme.TEXT)
