"""The technician screen: identity, software, network, broker, outbox, roster, errors, unknown tag."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter
from device.display.screens.base import Screen, body_rect, draw_header, footer
from device.display.theme import Layout
from device.display.view import TechInfo, View


def _yes_no(tr: Translator, value: bool | None) -> str:
    if value is None:
        return tr(N_("unknown"))
    return tr(N_("yes")) if value else tr(N_("no"))


def lines(tr: Translator, t: TechInfo) -> list[tuple[str, str]]:
    return [
        (tr(N_("Device")), t.device_id),
        (tr(N_("Software")), t.version),
        (tr(N_("IP address")), t.ip or tr(N_("none"))),
        (tr(N_("Broker")), t.broker or tr(N_("none (demo)"))),
        (tr(N_("Tag reader")), t.reader_error or tr(N_("works"))),
        (tr(N_("Connected")), _yes_no(tr, t.connected)),
        (tr(N_("Central online")), _yes_no(tr, t.central_online)),
        (tr(N_("Unsent events")), str(t.outbox)),
        (tr(N_("Rejected events")), str(t.rejected)),
        (tr(N_("Roster version")), str(t.roster_version) if t.roster_version is not None else "–"),
        (tr(N_("Last error")), t.last_error or "–"),
        *_digest_lines(tr(N_("Last unknown tag")), t.last_unknown),
    ]


def _digest_lines(key: str, digest: str | None) -> list[tuple[str, str]]:
    """The whole 64-hex digest on two lines in groups of eight, for ``lh-provision enroll-tag
    --digest``: a technician copies it by eye, so none of it may be cut off."""
    if not digest:
        return [(key, "–")]
    groups = [digest[i : i + 8] for i in range(0, len(digest), 8)]
    half = (len(groups) + 1) // 2
    return [(key, " ".join(groups[:half])), (DIGEST_CONTINUED, " ".join(groups[half:]))]


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
        items = lines(tr, view.tech)
        lh = body.height // len(items)
        key_w = body.width * 37 // 100
        for i, (key, value) in enumerate(items):
            y = body.top + i * lh
            p.text(key, pygame.Rect(body.left, y, key_w, lh), lay.font("small"), color=theme.MUTED)
            box = pygame.Rect(body.left + key_w, y, body.width - key_w, lh)
            p.text(value, box, lay.font("small"), bold=True)
