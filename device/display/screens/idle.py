"""Idle: department, clock, "Blippa din bricka", and what staff should know (offline, unsent, closing)."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter, font
from device.display.screens.base import Screen
from device.display.theme import Layout
from device.display.view import View


class IdleScreen(Screen):
    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        w, h = lay.target(170), lay.target(66)
        r = pygame.Rect(lay.width - lay.margin - w, lay.height - lay.margin - h, w, h)
        return [Button(r, tr(N_("Staff")), it.OpenPin(), "secondary")]

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        m = lay.margin
        top = pygame.Rect(0, 0, lay.width, lay.px(70))
        p.fill(theme.HEADER_BG, top)
        p.text(
            view.department or tr(N_("Waiting for the roster")),
            top.inflate(-2 * m, 0),
            lay.font("title"),
            bold=True,
            color=theme.HEADER_TEXT,
            align="center",
        )
        clock = pygame.Rect(m, top.bottom + lay.px(12), lay.width - 2 * m, lay.px(100))
        p.text(view.now.strftime("%H:%M"), clock, lay.font("huge"), bold=True, align="center")
        pills = self._pills(p, view)
        free = (min(r.top for _, r, _, _ in pills) if pills else lay.height) - lay.gap  # above them
        prompt = pygame.Rect(m, clock.bottom + lay.px(8), lay.width - 2 * m, lay.px(64))
        if view.link.reader_error is not None:
            self._reader_broken(p, prompt, free)
        else:
            p.text(tr(N_("Tap your tag")), prompt, lay.px(50), bold=True, color=theme.PRIMARY, align="center")
            # a tag drawn under the prompt, so the word needs no reading
            tag = pygame.Rect(0, 0, lay.px(120), lay.px(60))
            tag.midtop = (lay.width // 2, prompt.bottom + lay.px(10))
            if tag.bottom <= free:
                p.fill(theme.PRIMARY, tag, radius=lay.px(14))
                pygame.draw.circle(p.surface, theme.BG, (tag.left + lay.px(22), tag.centery), lay.px(9))
        for text, box, bg, fg in pills:
            p.pill(text, box, bg, fg)

    def _reader_broken(self, p: Painter, prompt: pygame.Rect, free: int) -> None:
        """A red panel where "Blippa din bricka" would be, down to ``free`` at most: no one
        should tap a dead reader and wait; the guardian turns to staff, staff check children
        in under "Personal"."""
        lay, tr = p.lay, p.tr
        panel = pygame.Rect(prompt.left, prompt.top, prompt.width, min(lay.px(134), free - prompt.top))
        p.fill(theme.DANGER, panel, radius=lay.px(14))
        half = panel.height // 2
        top = pygame.Rect(panel.left, panel.top + lay.px(8), panel.width, half - lay.px(8))
        bottom = pygame.Rect(panel.left, panel.top + half, panel.width, half - lay.px(8))
        white = (255, 255, 255)
        p.text(
            "⚠ " + tr(N_("The tag reader is not working")),
            top.inflate(-2 * lay.margin, 0),
            lay.font("title"),
            bold=True,
            color=white,
            align="center",
        )
        p.text(
            tr(N_("Tell the staff")),
            bottom.inflate(-2 * lay.margin, 0),
            lay.font("large"),
            bold=True,
            color=white,
            align="center",
        )

    def _pills(self, p: Painter, view: View) -> list[tuple[str, pygame.Rect, theme.Color, theme.Color]]:
        """Bottom-left: what is wrong, most urgent first, as pills that say it in words;
        (text, where, background, text colour), rows stacked upwards from the bottom."""
        lay, tr = p.lay, p.tr
        h = lay.px(44)
        y = lay.height - lay.margin - h
        x = lay.margin
        limit = lay.width - lay.margin - lay.target(170) - lay.gap
        pills: list[tuple[str, theme.Color, theme.Color]] = []  # a broken reader has its own panel
        if view.link.connected is False:
            pills.append(("⚠ " + tr(N_("No connection")), theme.DANGER, (255, 255, 255)))
        if view.link.outbox:
            pills.append(
                (tr.plural("{n} unsent", "{n} unsent", view.link.outbox), theme.WARN_BG, theme.WARN_TEXT)
            )
        if view.pending_count:
            pills.append(
                (
                    tr.plural("{n} waiting for staff", "{n} waiting for staff", view.pending_count),
                    theme.WARN_BG,
                    theme.WARN_TEXT,
                )
            )
        if view.closing and view.still_in:
            pills.append(
                (
                    tr.plural(
                        "Closed: {n} child still checked in",
                        "Closed: {n} children still checked in",
                        view.still_in,
                    ),
                    theme.WARN_BG,
                    theme.WARN_TEXT,
                )
            )
        out = []
        for text, bg, fg in pills:
            w = min(font(lay.font("small"), True).size(text)[0] + h, limit - lay.margin)
            if x + w > limit:  # next row up
                x, y = lay.margin, y - h - lay.gap
            out.append((text, pygame.Rect(x, y, w, h), bg, fg))
            x += w + lay.gap
        return out
