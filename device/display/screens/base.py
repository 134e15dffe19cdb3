"""The screen base class and the chrome every screen shares (header, footer, paging)."""

from __future__ import annotations

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter, Style, font
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


def _page_rects(lay: Layout, more: str | None) -> tuple[pygame.Rect, pygame.Rect]:
    """Where ▲ and ▼ go in the header: ▼ just left of the clock, ▲ left of it."""
    size = lay.header_h - 2 * max(1, lay.px(3))
    size = max(size, lay.min_target)
    right = lay.width - lay.margin - lay.px(110) - lay.gap
    down_w = size
    if more is not None:  # a label: as wide as it needs, the way Painter.button draws it
        down_w = max(size, font(lay.font("body"), True).size(more)[0] + 2 * lay.px(8) + lay.px(20))
    top = (lay.header_h - size) // 2
    down = pygame.Rect(right - down_w, top, down_w, size)
    up = pygame.Rect(down.left - lay.gap - size, top, size, size)
    return up, down


def page_reserve(lay: Layout, more: str | None = None) -> int:
    """The header width ▲ and ▼ take (``reserve`` for :func:`draw_header`)."""
    up, down = _page_rects(lay, more)
    return down.right - up.left + lay.gap


def page_buttons(
    lay: Layout, page: int, pages: int, *, more: str | None = None, room: str | None = None
) -> list[Button]:
    """▲ ▼ in the header, right of the title, when a list has more than one page.

    ``more`` labels ▼ in words (e.g. "2 more children ▼"), where missing the next page
    matters: a guardian who doesn't see it leaves a child unchecked.  ``room`` is the label
    the buttons are laid out for (the first page's ``more``), the same on every page, so ▲
    never appears under a finger that just touched ▼.
    """
    if pages <= 1:
        return []
    up, down = _page_rects(lay, room or more)
    out = []
    if page < pages - 1:
        out.append(Button(down, more or "▼", it.Page(1), "secondary"))
    if page > 0:
        out.append(Button(up, "▲", it.Page(-1), "secondary"))
    return out


def paginate(n: int, area_h: int, row_h: int, page: int) -> tuple[int, int, int, int]:
    """(start, end, page, pages) of the rows shown; ``page`` is clamped."""
    per = max(1, area_h // row_h)
    pages = max(1, -(-n // per))
    page = min(max(0, page), pages - 1)
    return page * per, min(n, (page + 1) * per), page, pages


def page_label(tr: Translator, page: int, pages: int) -> str:
    return tr(N_("page {page} of {pages}"), page=page + 1, pages=pages) if pages > 1 else ""
