"""What the guardian sees and hears at the reader: green/red LEDs and a buzzer.

Three signals, each a short non-blocking pattern played on one worker thread
(a new signal cuts the current one short):

* ``ok``: green for 1.5 s, silent;
* ``unknown`` (tag not in the roster): red for 1.5 s with two short beeps;
* ``error`` (reader or storage failed): red for 2 s with one long beep.

:class:`GpioFeedback` drives gpiozero devices (an injected pin factory for
tests, ``MockFactory``); :class:`SilentFeedback` does nothing but remember what
it was asked, for machines without GPIO and for other modules' tests.
"""

from __future__ import annotations

import logging
import threading
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from enum import Enum
from types import TracebackType
from typing import Any, Self

from device.hardware.config import FeedbackConfig
from device.hardware.errors import FeedbackError

logger = logging.getLogger(__name__)


class Signal(Enum):
    """The meanings feedback can convey."""

    OK = "ok"
    UNKNOWN = "unknown"
    ERROR = "error"


@dataclass(frozen=True)
class Step:
    """Outputs to hold for ``duration_s``."""

    duration_s: float
    green: bool = False
    red: bool = False
    buzzer: bool = False


Pattern = tuple[Step, ...]
_ALL_OFF = Step(0.0)


@dataclass(frozen=True)
class FeedbackPatterns:
    """The pattern of each signal; outputs go off when a pattern ends."""

    ok: Pattern = (Step(1.5, green=True),)
    unknown: Pattern = (
        Step(0.12, red=True, buzzer=True),
        Step(0.12, red=True),
        Step(0.12, red=True, buzzer=True),
        Step(1.14, red=True),
    )
    error: Pattern = (Step(1.0, red=True, buzzer=True), Step(1.0, red=True))

    def for_signal(self, signal: Signal) -> Pattern:
        """The pattern that plays ``signal``."""
        pattern: Pattern = getattr(self, signal.value)
        return pattern

    def scaled(self, factor: float) -> FeedbackPatterns:
        """The same patterns with every duration multiplied by ``factor`` (tests, demos)."""

        def scale(pattern: Pattern) -> Pattern:
            return tuple(replace(step, duration_s=step.duration_s * factor) for step in pattern)

        return FeedbackPatterns(scale(self.ok), scale(self.unknown), scale(self.error))


DEFAULT_PATTERNS = FeedbackPatterns()


class Feedback(ABC):
    """Signals to the person at the reader.  Every method returns at once."""

    def ok(self) -> None:
        """Tap accepted: green."""
        self.show(Signal.OK)

    def unknown(self) -> None:
        """Tag not recognised: red and two short beeps."""
        self.show(Signal.UNKNOWN)

    def error(self) -> None:
        """Something failed: red and a long beep."""
        self.show(Signal.ERROR)

    @abstractmethod
    def show(self, signal: Signal) -> None:
        """Start playing ``signal``, cutting short whatever is playing."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current pattern has finished; False on timeout."""
        return True

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Turn everything off and release the pins; idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SilentFeedback(Feedback):
    """No LEDs, no sound; :attr:`history` lists the signals asked for."""

    def __init__(self) -> None:
        self.history: list[Signal] = []

    def show(self, signal: Signal) -> None:
        """Record ``signal``."""
        logger.debug("feedback (silent): %s", signal.value)
        self.history.append(signal)


class GpioFeedback(Feedback):
    """Green LED, red LED and an optional buzzer on gpiozero, played by a worker thread."""

    def __init__(
        self,
        *,
        green_pin: int,
        red_pin: int,
        buzzer_pin: int | None,
        buzzer_type: str = "active",
        buzzer_frequency_hz: float = 2700.0,
        active_high: bool = True,
        pin_factory: Any = None,
        patterns: FeedbackPatterns = DEFAULT_PATTERNS,
    ) -> None:
        """Pins are BCM numbers; ``pin_factory`` is a gpiozero factory (default: gpiozero's)."""
        from gpiozero import LED, Buzzer, GPIOZeroError, PWMOutputDevice

        self.patterns = patterns
        self._devices: list[Any] = []
        try:
            self._green = self._add(LED(green_pin, active_high=active_high, pin_factory=pin_factory))
            self._red = self._add(LED(red_pin, active_high=active_high, pin_factory=pin_factory))
            self._buzzer: Any = None
            self._tone = 1.0
            if buzzer_pin is not None and buzzer_type == "passive":
                self._buzzer = self._add(
                    PWMOutputDevice(
                        buzzer_pin,
                        active_high=active_high,
                        frequency=buzzer_frequency_hz,
                        pin_factory=pin_factory,
                    )
                )
                self._tone = 0.5  # square wave
            elif buzzer_pin is not None:
                self._buzzer = self._add(Buzzer(buzzer_pin, active_high=active_high, pin_factory=pin_factory))
        except GPIOZeroError as exc:
            self._close_devices()
            raise FeedbackError(f"cannot set up LEDs/buzzer: {exc}") from exc
        self._applied: Step | None = None
        self._cond = threading.Condition()
        self._pending: Pattern | None = None
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="feedback", daemon=True)
        self._thread.start()

    def show(self, signal: Signal) -> None:
        """Start ``signal``'s pattern now."""
        with self._cond:
            if self._closed:
                logger.debug("feedback closed; %s not shown", signal.value)
                return
            self._pending = self.patterns.for_signal(signal)
            self._busy = True
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the pattern has played out (or ``timeout`` s)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)

    def close(self) -> None:
        """Stop the worker, switch everything off and release the pins."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join(2.0)
        self._close_devices()

    # -- internals ---------------------------------------------------------

    def _add(self, device: Any) -> Any:
        self._devices.append(device)
        return device

    def _close_devices(self) -> None:
        for device in reversed(self._devices):
            device.close()
        self._devices.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    break
                pattern, self._pending = self._pending, None
            if self._play(pattern or ()):
                continue  # cut short: the next pattern sets the outputs itself
            self._apply(_ALL_OFF)
            with self._cond:
                if self._pending is None:
                    self._busy = False
                    self._cond.notify_all()
        self._apply(_ALL_OFF)
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def _play(self, pattern: Pattern) -> bool:
        """Play the steps; True if a new signal or close() cut the pattern short."""
        for step in pattern:
            self._apply(step)
            with self._cond:
                if self._cond.wait_for(lambda: self._pending is not None or self._closed, step.duration_s):
                    return True
        return False

    def _apply(self, step: Step) -> None:
        last = self._applied
        if last is None or last.green != step.green:
            self._green.value = step.green
        if last is None or last.red != step.red:
            self._red.value = step.red
        if self._buzzer is not None and (last is None or last.buzzer != step.buzzer):
            self._buzzer.value = self._tone if step.buzzer else 0
        self._applied = step


def create_feedback(config: FeedbackConfig, pin_factory: Any = None, *, fallback: bool = True) -> Feedback:
    """Feedback for ``config``.  With ``fallback``, a machine without usable GPIO
    gets :class:`SilentFeedback` and a warning instead of an exception."""
    if config.kind == "silent":
        return SilentFeedback()
    try:
        with warnings.catch_warnings():
            # gpiozero warns for each pin library it cannot load before it finds one.
            warnings.simplefilter("ignore")
            return GpioFeedback(
                green_pin=config.green_led_pin,
                red_pin=config.red_led_pin,
                buzzer_pin=config.buzzer_pin,
                buzzer_type=config.buzzer_type,
                buzzer_frequency_hz=config.buzzer_frequency_hz,
                active_high=config.active_high,
                pin_factory=pin_factory,
            )
    except FeedbackError as exc:
        if not fallback:
            raise
        logger.warning("no LEDs or buzzer (%s); continuing silently", exc)
        return SilentFeedback()
