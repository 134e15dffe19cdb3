"""Colours and sizes, computed from the surface size so one layout fits 800x480 to 1280x800.

Colours are chosen for contrast at arm's length in a bright hallway: dark text
on white (about 18:1), white on the button colours (7:1 or more).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from device.display.config import px_per_mm

Color = tuple[int, int, int]

BG: Color = (255, 255, 255)
TEXT: Color = (17, 17, 17)
MUTED: Color = (66, 66, 66)
HEADER_BG: Color = (16, 42, 67)
HEADER_TEXT: Color = (255, 255, 255)
PRIMARY: Color = (11, 79, 138)  # blue: hämta, navigation
SUCCESS: Color = (21, 101, 42)  # green: lämna, confirmed
DANGER: Color = (176, 0, 32)  # red: unknown tag, offline
WARN_BG: Color = (255, 236, 196)  # amber panel behind notes and deviations
WARN_TEXT: Color = (110, 55, 0)
SECONDARY: Color = (228, 232, 238)  # light grey button, dark text
LINE: Color = (200, 205, 212)
STATUS_COLORS: dict[str, Color] = {"present": SUCCESS, "absent": (90, 90, 90), "gone": PRIMARY}


@dataclass(frozen=True, slots=True)
class Layout:
    """Sizes for one surface: every length scales with the screen, targets never below 9 mm."""

    width: int
    height: int
    mm: float  # pixels per millimetre

    @classmethod
    def for_size(cls, width: int, height: int, diagonal_in: float | None = None) -> Layout:
        return cls(width, height, px_per_mm(width, height, diagonal_in))

    @property
    def s(self) -> float:
        return min(self.width / 800, self.height / 480)

    def px(self, base: float) -> int:
        """``base`` pixels of the 800x480 design, on this screen."""
        return round(base * self.s)

    @property
    def min_target(self) -> int:
        """The smallest touch target: 9 mm."""
        return math.ceil(9 * self.mm)

    def target(self, base: float = 72) -> int:
        return max(self.min_target, self.px(base))

    @property
    def margin(self) -> int:
        return self.px(14)

    @property
    def gap(self) -> int:
        return self.px(10)

    @property
    def header_h(self) -> int:
        return self.target(60)

    @property
    def footer_h(self) -> int:
        return self.target(66)

    # font pixel sizes; body text is at least 22 px on the 7" screen (~3 mm capitals)
    def font(self, name: str) -> int:
        base = {"huge": 84, "title": 42, "large": 32, "body": 26, "small": 22}[name]
        return max(18, self.px(base))
