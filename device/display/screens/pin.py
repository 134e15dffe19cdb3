"""The staff PIN pad: digits shown as dots, keys of at least 9 mm, wrong PIN and lock-out messages."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter
from device.display.screens.base import Screen, draw_header
from device.display.theme import Layout
from device.display.view import View

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok")
MESSAGES = {
    "checking": N_("Checking…"),
    "wrong": N_("Wrong PIN, try again"),
    "locked": N_("Too many tries: wait a minute"),
}


def _pad(lay: Layout) -> pygame.Rect:
    top = lay.header_h + lay.gap
    h = lay.height - top - lay.margin
    w = min(lay.width // 2, h * 3 // 4 + lay.gap * 3)
    return pygame.Rect(lay.width - lay.margin - w, top, w, h)


class PinScreen(Screen):
    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        pad = _pad(lay)
        g = lay.gap
        kw, kh = (pad.width - 2 * g) // 3, (pad.height - 3 * g) // 4
        out = []
        for i, key in enumerate(KEYS):
            rect = pygame.Rect(pad.left + (i % 3) * (kw + g), pad.top + (i // 3) * (kh + g), kw, kh)
            label = {"back": "⌫", "ok": tr(N_("OK"))}.get(key, key)
            style = "success" if key == "ok" else "secondary"
            out.append(Button(rect, label, it.PinKey(key), style))  # type: ignore[arg-type]
        cw, ch = lay.target(200), lay.target(66)
        out.append(
            Button(
                pygame.Rect(lay.margin, lay.height - lay.margin - ch, cw, ch),
                tr(N_("Cancel")),
                it.Done(),
                "secondary",
            )
        )
        return out

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        draw_header(p, tr(N_("Staff mode")), view)
        pad = _pad(lay)
        left = pygame.Rect(lay.margin, pad.top, pad.left - 2 * lay.margin, lay.px(50))
        p.text(tr(N_("Enter your PIN")), left, lay.font("large"), bold=True)
        dots = pygame.Rect(left.left, left.bottom + lay.px(20), left.width, lay.px(60))
        p.fill(theme.SECONDARY, dots, radius=lay.px(10))
        p.text(
            "● " * view.pin_length or "",
            dots.inflate(-lay.px(20), 0),
            lay.font("title"),
            bold=True,
            align="center",
        )
        if view.pin_message:
            msg = pygame.Rect(left.left, dots.bottom + lay.px(20), left.width, lay.px(44))
            color = theme.MUTED if view.pin_message == "checking" else theme.DANGER
            p.text(tr(MESSAGES[view.pin_message]), msg, lay.font("body"), bold=True, color=color)
