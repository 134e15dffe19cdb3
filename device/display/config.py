"""The ``[display]`` section of the device config: typed, strict, every field described."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Language = Literal["sv", "en"]


class DisplayConfig(BaseModel):
    """How the touchscreen looks and behaves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(800, ge=320, le=3840, description='screen width in pixels (800 for the official 7")')
    height: int = Field(480, ge=240, le=2160, description="screen height in pixels")
    diagonal_in: float | None = Field(
        None, gt=3, lt=40, description="screen diagonal in inches; default 7 up to 1024 px wide, else 10.1"
    )
    fullscreen: bool = Field(True, description="take the whole screen (off only on a desktop for testing)")
    language: Language = Field("sv", description="default language; staff can switch on screen")
    undo_s: float = Field(8.0, ge=2, le=60, description="how long Ångra stays after a tap")
    guardian_timeout_s: float = Field(
        20.0, ge=5, le=300, description="an untouched guardian screen returns to idle after this long"
    )
    message_s: float = Field(5.0, ge=1, le=60, description="how long a message (unknown tag) stays")
    staff_lock_s: float = Field(
        60.0, ge=10, le=1800, description="staff mode locks after this long untouched"
    )
    pending_expiry_s: float = Field(
        1800.0, ge=60, le=86400, description="an unconfirmed handover is dropped after this long"
    )
    deviation_grace_min: int = Field(
        15, ge=0, le=240, description="minutes past a planned time before it counts as a deviation"
    )
    pin_attempts: int = Field(5, ge=1, le=20, description="wrong PINs in a row before the pad locks")
    pin_lockout_s: float = Field(60.0, ge=5, le=3600, description="how long the PIN pad stays locked")
    fps: int = Field(20, ge=5, le=60, description="frames per second while something moves")

    @model_validator(mode="after")
    def _landscape(self) -> DisplayConfig:
        if self.width < self.height:
            raise ValueError("the layout is landscape: width must be at least height")
        return self

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def px_per_mm(self) -> float:
        """Pixel density, from the diagonal (the 7" 800x480 screen: about 5.3 px/mm)."""
        return px_per_mm(self.width, self.height, self.diagonal_in)


def px_per_mm(width: int, height: int, diagonal_in: float | None = None) -> float:
    diagonal = diagonal_in or (7.0 if width <= 1024 else 10.1)
    return math.hypot(width, height) / (diagonal * 25.4)


def parse_display(data: dict[str, Any], source: str = "display") -> DisplayConfig:
    """Validate the config's ``display`` table; errors name ``source`` and the key."""
    try:
        return DisplayConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ValueError("\n".join(lines)) from None
