"""Full-screen messages: an unknown or blocked tag, or something that failed."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter
from device.display.screens.base import Screen, footer
from device.display.theme import Layout
from device.display.view import View


class MessageScreen(Screen):
    title = ""
    lines: tuple[str, ...] = ()
    color: theme.Color = theme.DANGER

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        return footer(lay, [(tr(N_("OK")), it.Done(), "secondary")])

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        panel = pygame.Rect(0, 0, lay.width, lay.height - lay.footer_h - 2 * lay.margin)
        p.fill(self.color, panel)
        m = lay.margin
        mark = pygame.Rect(m, lay.px(30), lay.width - 2 * m, lay.px(110))
        p.text("✗", mark, lay.px(96), bold=True, color=(255, 255, 255), align="center")
        title = pygame.Rect(m, mark.bottom + lay.px(6), lay.width - 2 * m, lay.px(70))
        p.text(
            tr(self.title),
            title,
            lay.font("title") + lay.px(10),
            bold=True,
            color=(255, 255, 255),
            align="center",
        )
        y = title.bottom + lay.px(8)
        for line in self.lines:
            box = pygame.Rect(m, y, lay.width - 2 * m, lay.px(44))
            p.text(tr(line), box, lay.font("large"), color=(255, 255, 255), align="center")
            y = box.bottom


class UnknownScreen(MessageScreen):
    title = N_("Unknown tag")
    lines = (N_("This tag is not registered here."), N_("Please ask the staff."))


class BlockedScreen(MessageScreen):
    """A tag central has blocked (lost): says so, names nobody."""

    title = N_("This tag is blocked")
    lines = (N_("Please tell the staff."),)


class ErrorScreen(MessageScreen):
    title = N_("Something went wrong")
    lines = (N_("Nothing was recorded. Please try again"), N_("or ask the staff."))
