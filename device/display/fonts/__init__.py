"""The shipped font (DejaVu Sans, regular and bold; licence in LICENSE.txt).

It covers å ä ö and the symbols the screens use (✓ ✗ ⌫ ▲ ▼ ⚠ ●), which
pygame's bundled font does not.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"


def font_path(bold: bool = False) -> Path:
    return Path(str(resources.files(__name__).joinpath(BOLD if bold else REGULAR)))
