"""The evacuation list (who is here now, from local presence: works offline) and the closing list."""

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


class EvacuationScreen(Screen):
    """Names in two columns, large, with a count; nothing to touch but paging and back."""

    def _geometry(self, view: View, lay: Layout) -> tuple[int, int, int, int, int]:
        rh = lay.px(46)
        body = body_rect(lay)
        per_col = max(1, (body.height - lay.px(40)) // rh)
        start, end, page, pages = paginate(len(view.rows), per_col * 2 * rh, rh, view.page)
        return start, end, page, pages, per_col

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        _, _, page, pages, _ = self._geometry(view, lay)
        return page_buttons(lay, page, pages) + footer(lay, [(tr(N_("Back")), it.Done(), "primary")])

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        start, end, _page, pages, per_col = self._geometry(view, lay)
        draw_header(p, tr(N_("Evacuation list")), view, reserve=2 * lay.header_h if pages > 1 else 0)
        body = body_rect(lay)
        summary = pygame.Rect(body.left, body.top, body.width, lay.px(36))
        p.text(
            tr.plural(
                "{n} child here now (this device, {time})",
                "{n} children here now (this device, {time})",
                len(view.rows),
                time=view.now.strftime("%H:%M"),
            ),
            summary,
            lay.font("body"),
            bold=True,
            color=theme.DANGER,
        )
        col_w = body.width // 2
        rh = lay.px(46)
        for i, r in enumerate(view.rows[start:end]):
            col, line = divmod(i, per_col)
            box = pygame.Rect(
                body.left + col * col_w, summary.bottom + lay.px(4) + line * rh, col_w - lay.gap, rh
            )
            p.text(f"☐ {r.name}", box, lay.font("large"), bold=True)
        if not view.rows:
            p.text(tr(N_("No children are checked in")), body, lay.font("large"), align="center")


class ClosingScreen(Screen):
    """After closing time: who is still checked in, each with a check-out button for staff."""

    def _page(self, view: View, lay: Layout) -> tuple[int, int, int, int]:
        return paginate(len(view.rows), body_rect(lay).height - lay.px(40), lay.target(66), view.page)

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        body = body_rect(lay)
        start, end, page, pages = self._page(view, lay)
        rh, bw, bh = lay.target(66), lay.target(190), lay.target(58)
        out = []
        for i, r in enumerate(view.rows[start:end]):
            y = body.top + lay.px(40) + i * rh + (rh - bh) // 2
            out.append(
                Button(
                    pygame.Rect(body.right - bw, y, bw, bh),
                    tr(words.STAFF_ACTION["check_out"]),
                    it.Override(r.child_id),
                    "primary",
                )
            )
        return out + page_buttons(lay, page, pages) + footer(lay, [(tr(N_("Back")), it.Done(), "primary")])

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        start, end, _page, pages = self._page(view, lay)
        draw_header(p, tr(N_("Closing")), view, reserve=2 * lay.header_h if pages > 1 else 0)
        body = body_rect(lay)
        head = pygame.Rect(body.left, body.top, body.width, lay.px(36))
        p.text(
            tr.plural(
                "{n} child still checked in: check out or call",
                "{n} children still checked in: check out or call",
                len(view.rows),
            ),
            head,
            lay.font("body"),
            bold=True,
            color=theme.WARN_TEXT,
        )
        rh, bw = lay.target(66), lay.target(190)
        for i, r in enumerate(view.rows[start:end]):
            box = pygame.Rect(body.left, head.bottom + lay.px(4) + i * rh, body.width - bw - lay.gap, rh)
            half = box.width // 3
            p.text(r.name, pygame.Rect(box.left, box.top, half, rh), lay.font("large"), bold=True)
            parts = [tr(N_("pickup {time}"), time=words.hhmm(r.leave))] if r.leave else []
            parts += [tr(N_("by {who}"), who=r.pickup_by)] if r.pickup_by else []
            p.text(
                " · ".join(parts),
                pygame.Rect(box.left + half, box.top, box.width - half, rh),
                lay.font("small"),
                color=theme.MUTED,
            )
        if not view.rows:
            p.text(tr(N_("Everyone has gone home")), body, lay.font("large"), align="center")
