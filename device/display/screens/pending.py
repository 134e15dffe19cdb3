"""Handovers waiting for staff (staff_confirmed mode): confirm with one touch, or reject."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter
from device.display.screens import words
from device.display.screens.base import Screen, body_rect, draw_header, footer, page_buttons, paginate
from device.display.theme import Layout
from device.display.view import View

KIND = {"check_in": N_("dropped off by {who} at {time}"), "check_out": N_("picked up by {who} at {time}")}


class PendingScreen(Screen):
    def _page(self, view: View, lay: Layout) -> tuple[int, int, int, int]:
        return paginate(len(view.pending), body_rect(lay).height, lay.target(76), view.page)

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        body = body_rect(lay)
        start, end, page, pages = self._page(view, lay)
        rh, bh = lay.target(76), lay.target(62)
        cw, rw = lay.target(180), lay.target(140)
        out = []
        for i, r in enumerate(view.pending[start:end]):
            y = body.top + i * rh + (rh - bh) // 2
            out.append(
                Button(
                    pygame.Rect(body.right - cw, y, cw, bh),
                    tr(N_("Confirm")),
                    it.ConfirmHandover(r.child_id),
                    "success",
                )
            )
            out.append(
                Button(
                    pygame.Rect(body.right - cw - lay.gap - rw, y, rw, bh),
                    tr(N_("Reject")),
                    it.RejectHandover(r.child_id),
                    "secondary",
                )
            )
        specs: list[tuple[str, it.Intent, str]] = []
        if len(view.pending) > 1:
            specs.append((tr(N_("Confirm all")), it.ConfirmHandover(None), "success"))
        specs.append((tr(N_("Back")), it.Done(), "primary"))
        return out + page_buttons(lay, page, pages) + footer(lay, specs)  # type: ignore[arg-type]

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        start, end, _page, pages = self._page(view, lay)
        draw_header(p, tr(N_("Waiting for staff")), view, reserve=2 * lay.header_h if pages > 1 else 0)
        body = body_rect(lay)
        rh = lay.target(76)
        text_w = body.width - lay.target(180) - lay.target(140) - 2 * lay.gap
        for i, r in enumerate(view.pending[start:end]):
            box = pygame.Rect(body.left, body.top + i * rh, text_w, rh)
            if i:
                pygame.draw.line(p.surface, theme.LINE, (body.left, box.top), (body.right, box.top))
            p.text(
                r.name,
                pygame.Rect(box.left, box.top + lay.px(4), box.width, rh // 2),
                lay.font("large"),
                bold=True,
            )
            p.text(
                tr(KIND[r.kind], who=r.guardian, time=words.hhmm(r.at)),
                pygame.Rect(box.left, box.top + rh // 2, box.width, rh // 2 - lay.px(4)),
                lay.font("small"),
                color=theme.MUTED,
            )
        if not view.pending:
            p.text(tr(N_("Nothing is waiting")), body, lay.font("large"), align="center")
