"""The screen base class and the chrome every screen shares (header, footer, paging)."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter, Style
from device.display.theme import Layout
from device.display.view import View


class Screen:
    """Subclasses draw their content and list their buttons; both are pure functions of the view."""

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        return []

    def draw_content(self, p: Painter, view: View) -> None:
        raise NotImplementedError

    def draw(self, p: Painter, view: View) -> list[Button]:
        p.fill(theme.BG)
        self.draw_content(p, view)
        bs = self.buttons(view, p.lay, p.tr)
        for b in bs:
            p.button(b)
        return bs

    def touch(self, pos: tuple[int, int], view: View, lay: Layout, tr: Translator) -> it.Intent | None:
        for b in self.buttons(view, lay, tr):
            if b.rect.collidepoint(pos):
                return b.intent
        return None


# -- shared chrome ------------------------------------------------------------------------


def header_rect(lay: Layout) -> pygame.Rect:
    return pygame.Rect(0, 0, lay.width, lay.header_h)


def body_rect(lay: Layout, footer: bool = True) -> pygame.Rect:
    top = lay.header_h + lay.gap
    bottom = lay.height - (lay.footer_h + 2 * lay.margin if footer else lay.margin)
    return pygame.Rect(lay.margin, top, lay.width - 2 * lay.margin, bottom - top)


def draw_header(p: Painter, title: str, view: View, *, reserve: int = 0) -> None:
    """Title left, clock right; ``reserve`` pixels left free before the clock (page buttons)."""
    lay = p.lay
    r = header_rect(lay)
    p.fill(theme.HEADER_BG, r)
    clock_w = lay.px(110)
    clock = pygame.Rect(r.right - lay.margin - clock_w, 0, clock_w, r.height)
    p.text(
        view.now.strftime("%H:%M"),
        clock,
        lay.font("large"),
        bold=True,
        color=theme.HEADER_TEXT,
        align="right",
    )
    title_box = pygame.Rect(lay.margin, 0, clock.left - reserve - 2 * lay.margin, r.height)
    p.text(title, title_box, lay.font("large"), bold=True, color=theme.HEADER_TEXT)


def footer(lay: Layout, specs: list[tuple[str, it.Intent, Style]]) -> list[Button]:
    """Equal buttons across the bottom of the screen."""
    if not specs:
        return []
    h = lay.footer_h
    y = lay.height - lay.margin - h
    n = len(specs)
    w = (lay.width - 2 * lay.margin - (n - 1) * lay.gap) // n
    return [
        Button(pygame.Rect(lay.margin + i * (w + lay.gap), y, w, h), label, intent, style)
        for i, (label, intent, style) in enumerate(specs)
    ]


def page_buttons(lay: Layout, page: int, pages: int) -> list[Button]:
    """▲ ▼ in the header, right of the title, when a list has more than one page."""
    if pages <= 1:
        return []
    size = lay.header_h - 2 * max(1, lay.px(3))
    size = max(size, lay.min_target)
    right = lay.width - lay.margin - lay.px(110) - lay.gap
    out = []
    if page < pages - 1:
        out.append(
            Button(
                pygame.Rect(right - size, (lay.header_h - size) // 2, size, size),
                "▼",
                it.Page(1),
                "secondary",
            )
        )
    if page > 0:
        out.append(
            Button(
                pygame.Rect(right - 2 * size - lay.gap, (lay.header_h - size) // 2, size, size),
                "▲",
                it.Page(-1),
                "secondary",
            )
        )
    return out


def paginate(n: int, area_h: int, row_h: int, page: int) -> tuple[int, int, int, int]:
    """(start, end, page, pages) of the rows shown; ``page`` is clamped."""
    per = max(1, area_h // row_h)
    pages = max(1, -(-n // per))
    page = min(max(0, page), pages - 1)
    return page * per, min(n, (page + 1) * per), page, pages


def page_label(tr: Translator, page: int, pages: int) -> str:
    return tr(N_("page {page} of {pages}"), page=page + 1, pages=pages) if pages > 1 else ""
