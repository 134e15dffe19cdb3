"""The reader and the feedback for the screen, from the config's ``[hardware]`` table.

Uses :mod:`device.hardware`'s public API; a machine without that package, or
without GPIO, gets silent feedback and no reader (with a warning), so a screen
still comes up for a technician to see what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from device.display.session import Feedback, NullFeedback

logger = logging.getLogger(__name__)


def parse_hardware(data: dict[str, Any]) -> Any:
    """The validated ``HardwareConfig`` (raises ValueError naming the key)."""
    from pydantic import ValidationError

    from device.hardware.config import HardwareConfig

    try:
        return HardwareConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"hardware.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ValueError("\n".join(lines)) from None


def make_feedback(data: dict[str, Any], *, simulate: bool) -> Feedback:
    """LEDs and buzzer as configured; silent when simulating or when GPIO is unavailable."""
    try:
        from device.hardware.feedback import SilentFeedback, create_feedback
    except ImportError:
        logger.warning("device.hardware unavailable: no LEDs or buzzer")
        return NullFeedback()
    if simulate:
        return SilentFeedback()
    return create_feedback(parse_hardware(data).feedback)


def make_reader(data: dict[str, Any], *, simulate: bool) -> Any:
    """The configured tag reader (not started), or a simulated one; None without device.hardware."""
    try:
        from device.hardware.reader import SimulatedReader, create_reader
    except ImportError:
        logger.warning("device.hardware unavailable: no tag reader")
        return None
    if simulate:
        return SimulatedReader()
    return create_reader(parse_hardware(data))
