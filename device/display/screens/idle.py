"""Idle: department, clock, "Blippa din bricka", today's notices (infotavla), and what staff
should know (offline, unsent, closing)."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter, break_lines, ellipsize, font
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
        department = view.department or tr(N_("Waiting for the roster"))
        pills = self._pills(p, view)
        free = (min(r.top for _, r, _, _ in pills) if pills else lay.height) - lay.gap  # above them
        if view.notices:
            # The notices need the room: the clock moves up into the header, beside the department.
            clock_w = lay.px(150)
            clock_box = pygame.Rect(top.right - m - clock_w, 0, clock_w, top.height)
            p.text(
                view.now.strftime("%H:%M"),
                clock_box,
                lay.font("title"),
                bold=True,
                color=theme.HEADER_TEXT,
                align="right",
            )
            title = pygame.Rect(m, 0, clock_box.left - 2 * m, top.height)
            p.text(department, title, lay.font("title"), bold=True, color=theme.HEADER_TEXT)
            prompt = pygame.Rect(m, top.bottom + lay.px(6), lay.width - 2 * m, lay.px(64))
        else:
            p.text(
                department,
                top.inflate(-2 * m, 0),
                lay.font("title"),
                bold=True,
                color=theme.HEADER_TEXT,
                align="center",
            )
            clock = pygame.Rect(m, top.bottom + lay.px(12), lay.width - 2 * m, lay.px(100))
            p.text(view.now.strftime("%H:%M"), clock, lay.font("huge"), bold=True, align="center")
            prompt = pygame.Rect(m, clock.bottom + lay.px(8), lay.width - 2 * m, lay.px(64))
        if view.link.reader_error is not None:
            below = self._reader_broken(p, prompt, free)
        else:
            p.text(tr(N_("Tap your tag")), prompt, lay.px(50), bold=True, color=theme.PRIMARY, align="center")
            below = prompt.bottom
            if not view.notices:
                # a tag drawn under the prompt, so the word needs no reading
                tag = pygame.Rect(0, 0, lay.px(120), lay.px(60))
                tag.midtop = (lay.width // 2, prompt.bottom + lay.px(10))
                if tag.bottom <= free:
                    p.fill(theme.PRIMARY, tag, radius=lay.px(14))
                    pygame.draw.circle(p.surface, theme.BG, (tag.left + lay.px(22), tag.centery), lay.px(9))
        if view.notices:
            staff_top = lay.height - lay.margin - lay.target(66)  # the "Personal" button, bottom right
            bottom = min(free, staff_top - lay.gap)
            self._notices(p, view.notices, pygame.Rect(m, below + lay.px(8), lay.width - 2 * m, 0), bottom)
        for text, box, bg, fg in pills:
            p.pill(text, box, bg, fg)

    def _notices(self, p: Painter, notices: tuple[str, ...], area: pygame.Rect, bottom: int) -> None:
        """Today's notices on an amber board from ``area.top`` down to ``bottom`` at most.

        One bold font for all, the largest from title size (42 px, ~8 mm on the 7" screen)
        down to 28 px at which every notice fits in three lines: readable at arm's length,
        dark on light amber.  Past that, each notice keeps as many whole lines as the room
        allows (at least two, the last ending in "…"), and a notice with no room is left out.
        """
        lay = p.lay
        pad, gap = lay.px(12), lay.px(10)
        width = area.width - 2 * pad
        room = bottom - area.top - 2 * pad
        sizes = list(range(lay.font("title"), max(18, lay.px(28)) - 1, -2))

        def height(blocks: list[list[str]], line_h: int) -> int:
            return sum(len(ls) for ls in blocks) * line_h + gap * (len(blocks) - 1)

        for size in sizes:
            line_h = font(size, True).get_linesize()
            blocks = [break_lines(t, width, size, bold=True) for t in notices]
            if all(len(ls) <= 3 for ls in blocks) and height(blocks, line_h) <= room:
                break
        else:  # the smallest size: cut long notices, keep whole ones first come
            blocks, used = [], 0
            cap = 3 if len(notices) == 1 else 2
            for text in notices:
                lines = break_lines(text, width, size, bold=True)
                if len(lines) > cap:
                    lines = [*lines[: cap - 1], ellipsize(" ".join(lines[cap - 1 :]), width, size, bold=True)]
                need = len(lines) * line_h + (gap if blocks else 0)
                if used + need > room:
                    break
                blocks.append(lines)
                used += need
        if not blocks:
            return
        board = pygame.Rect(area.left, area.top, area.width, 2 * pad + height(blocks, line_h))
        p.fill(theme.WARN_BG, board, radius=lay.px(14))
        pygame.draw.rect(p.surface, theme.WARN_TEXT, board, width=max(2, lay.px(3)), border_radius=lay.px(14))
        y = board.top + pad
        for i, lines in enumerate(blocks):
            if i:
                mid = y + gap // 2
                pygame.draw.line(
                    p.surface,
                    theme.WARN_TEXT,
                    (board.left + pad, mid),
                    (board.right - pad, mid),
                    max(1, lay.px(2)),
                )
                y += gap
            for line in lines:
                p.text(
                    line, pygame.Rect(board.left + pad, y, width, line_h), size, bold=True, color=theme.TEXT
                )
                y += line_h

    def _reader_broken(self, p: Painter, prompt: pygame.Rect, free: int) -> int:
        """A red panel where "Blippa din bricka" would be, down to ``free`` at most: no one
        should tap a dead reader and wait; the guardian turns to staff, staff check children
        in under "Personal".  Returns the panel's bottom."""
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
        return panel.bottom

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
