"""Drawing helpers over a pygame surface: fitted text, buttons, panels.

Every text drawn goes through :meth:`Painter.text`, which shrinks the font (to
70 %) and then shortens with an ellipsis so text never leaves its box; the
boxes are logged in :attr:`Painter.texts` for the layout tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pygame

from device.display import theme
from device.display.fonts import font_path
from device.display.i18n import Translator
from device.display.intents import Intent
from device.display.theme import Color, Layout

Style = Literal["primary", "success", "danger", "secondary"]
_STYLE: dict[str, tuple[Color, Color]] = {
    "primary": (theme.PRIMARY, (255, 255, 255)),
    "success": (theme.SUCCESS, (255, 255, 255)),
    "danger": (theme.DANGER, (255, 255, 255)),
    "secondary": (theme.SECONDARY, theme.TEXT),
}
_FONTS: dict[tuple[int, bool], pygame.font.Font] = {}


def forget_fonts() -> None:
    """Drop the cached fonts: call before ``pygame.quit()``.  A Font outlives the font module
    it was made by, and rendering with one after a quit and a new init crashes the process
    (seen as a segfault when one program ran the terminal after another had quit)."""
    _FONTS.clear()


def font(size: int, bold: bool = False) -> pygame.font.Font:
    key = (size, bold)
    f = _FONTS.get(key)
    if f is None:
        f = _FONTS[key] = pygame.font.Font(str(font_path(bold)), size)
    return f


def wrap(text: str, width: int, size: int, *, bold: bool = False, lines: int = 2) -> tuple[int, list[str]]:
    """``text`` broken at spaces into at most ``lines`` lines of ``width`` pixels: the largest
    font size down to 70 % of ``size`` (as :meth:`Painter.text` shrinks) at which it all fits,
    and the lines.  If nothing fits, the last line takes the rest (:meth:`Painter.text` then
    ends it with an ellipsis)."""
    smallest = min(size, max(12, int(size * 0.7)))
    for s in range(size, smallest, -1):
        out = _wrap_at(text, width, font(s, bold), lines)
        if all(font(s, bold).size(line)[0] <= width for line in out):
            return s, out
    return smallest, _wrap_at(text, width, font(smallest, bold), lines)


def break_lines(text: str, width: int, size: int, *, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines of ``width`` pixels at font ``size`` (no shrinking,
    as many lines as it takes; a single word wider than ``width`` stays one line)."""
    return _wrap_at(text, width, font(size, bold), len(text) + 1)


def ellipsize(text: str, width: int, size: int, *, bold: bool = False) -> str:
    """``text`` ended with "…" at a word where it fits ``width`` pixels at ``size`` (no shrinking)."""
    f = font(size, bold)
    words = text.split()
    out = ""
    for w in words:
        candidate = f"{out} {w}".strip()
        if f.size(candidate + " …")[0] > width:
            break
        out = candidate
    return f"{out} …" if out else "…"


def _wrap_at(text: str, width: int, f: pygame.font.Font, lines: int) -> list[str]:
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines - 1:
        line = words.pop(0)
        while words and f.size(f"{line} {words[0]}")[0] <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words:
        out.append(" ".join(words))
    return out or [""]


@dataclass(frozen=True, slots=True)
class Button:
    """A touch target: where, what it says, what touching it means."""

    rect: pygame.Rect
    label: str
    intent: Intent
    style: Style = "primary"
    size: str = "body"  # font of the label (a Layout.font name)


class Painter:
    """Draws on one surface with one layout and one language."""

    def __init__(self, surface: pygame.Surface, layout: Layout, tr: Translator) -> None:
        self.surface = surface
        self.lay = layout
        self.tr = tr
        self.texts: list[tuple[str, pygame.Rect, pygame.Rect]] = []  # (text, where drawn, its box)

    def fill(self, color: Color, rect: pygame.Rect | None = None, radius: int = 0) -> None:
        pygame.draw.rect(self.surface, color, rect or self.surface.get_rect(), border_radius=radius)

    def text(
        self,
        text: str,
        box: pygame.Rect,
        size: int,
        *,
        bold: bool = False,
        color: Color = theme.TEXT,
        align: Literal["left", "center", "right"] = "left",
    ) -> pygame.Rect:
        """Draw ``text`` on one line, vertically centred in ``box``; returns where it went."""
        smallest = max(12, int(size * 0.7))
        f = font(size, bold)
        while f.size(text)[0] > box.width and size > smallest:
            size -= 1
            f = font(size, bold)
        if f.size(text)[0] > box.width:
            while text and f.size(text + "…")[0] > box.width:
                text = text[:-1]
            text = text.rstrip() + "…"
        img = f.render(text, True, color)
        r = img.get_rect()
        r.centery = box.centery
        if align == "center":
            r.centerx = box.centerx
        elif align == "right":
            r.right = box.right
        else:
            r.left = box.left
        if r.height <= box.height:
            r.clamp_ip(box)
        self.surface.blit(img, r)
        self.texts.append((text, r, box))
        return r

    def button(self, b: Button) -> None:
        bg, fg = _STYLE[b.style]
        self.fill(bg, b.rect, radius=self.lay.px(10))
        if b.style == "secondary":
            pygame.draw.rect(
                self.surface, theme.LINE, b.rect, width=max(1, self.lay.px(2)), border_radius=self.lay.px(10)
            )
        pad = self.lay.px(8)
        self.text(
            b.label,
            b.rect.inflate(-2 * pad, -pad),
            self.lay.font("body"),
            bold=True,
            color=fg,
            align="center",
        )

    def pill(self, text: str, box: pygame.Rect, bg: Color, fg: Color = (255, 255, 255)) -> None:
        self.fill(bg, box, radius=box.height // 2)
        self.text(
            text,
            box.inflate(-box.height // 2, 0),
            self.lay.font("small"),
            bold=True,
            color=fg,
            align="center",
        )
