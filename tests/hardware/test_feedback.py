"""LEDs and buzzer on gpiozero's mock pins: each signal's pattern, non-blocking, cut short."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from device.hardware.config import FeedbackConfig
from device.hardware.errors import FeedbackError
from device.hardware.feedback import (
    DEFAULT_PATTERNS,
    GpioFeedback,
    Signal,
    SilentFeedback,
    create_feedback,
)

GREEN, RED, BUZZER = 17, 27, 22
FAST = DEFAULT_PATTERNS.scaled(0.05)  # beeps of 6 ms (unknown) and 50 ms (error)


def states(factory: Any, pin: int) -> list[float]:
    return [float(s.state) for s in factory.pin(pin).states]


def on_times(factory: Any, pin: int) -> list[float]:
    """How long the pin stayed high each time (from the timestamped history)."""
    history = factory.pin(pin).states
    return [after.timestamp for before, after in itertools.pairwise(history) if before.state]


@pytest.fixture
def feedback(mock_factory: Any) -> Any:
    fb = GpioFeedback(
        green_pin=GREEN, red_pin=RED, buzzer_pin=BUZZER, pin_factory=mock_factory, patterns=FAST
    )
    yield fb
    fb.close()


def test_ok_is_green_only(feedback: GpioFeedback, mock_factory: Any) -> None:
    feedback.ok()
    assert feedback.wait(2)
    assert states(mock_factory, GREEN) == [0, 1, 0]
    assert states(mock_factory, RED) == [0]
    assert states(mock_factory, BUZZER) == [0]


def test_unknown_is_red_with_two_short_beeps(feedback: GpioFeedback, mock_factory: Any) -> None:
    feedback.unknown()
    assert feedback.wait(2)
    assert states(mock_factory, GREEN) == [0]
    assert states(mock_factory, RED) == [0, 1, 0]
    assert states(mock_factory, BUZZER) == [0, 1, 0, 1, 0]


def test_error_is_red_with_one_long_beep(feedback: GpioFeedback, mock_factory: Any) -> None:
    feedback.unknown()
    assert feedback.wait(2)
    short_beeps = on_times(mock_factory, BUZZER)
    mock_factory.pin(BUZZER).clear_states()
    mock_factory.pin(RED).clear_states()
    feedback.error()
    assert feedback.wait(2)
    assert states(mock_factory, RED) == [0, 1, 0]
    assert states(mock_factory, BUZZER) == [0, 1, 0]
    (long_beep,) = on_times(mock_factory, BUZZER)
    assert long_beep >= 0.05 > max(short_beeps) >= 0.006  # waits never end early
    assert on_times(mock_factory, RED)[0] > long_beep  # red outlasts the beep


def test_signals_return_at_once_and_play_in_the_background(mock_factory: Any) -> None:
    with GpioFeedback(
        green_pin=GREEN, red_pin=RED, buzzer_pin=BUZZER, pin_factory=mock_factory
    ) as fb:  # the real 1.5 s pattern
        started = time.monotonic()
        fb.ok()
        assert time.monotonic() - started < 0.05
        assert not fb.wait(0.05)  # still playing
        assert mock_factory.pin(GREEN).state == 1
    assert mock_factory.pin(GREEN).state == 0  # close() switched it off


def test_a_new_signal_cuts_the_current_one_short(mock_factory: Any) -> None:
    fb = GpioFeedback(green_pin=GREEN, red_pin=RED, buzzer_pin=BUZZER, pin_factory=mock_factory)
    try:
        fb.ok()
        time.sleep(0.02)
        fb.show(Signal.ERROR)
        deadline = time.monotonic() + 1
        while mock_factory.pin(RED).state != 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert mock_factory.pin(GREEN).state == 0
        assert mock_factory.pin(RED).state == 1
        assert mock_factory.pin(BUZZER).state == 1
    finally:
        fb.close()
    assert [mock_factory.pin(p).state for p in (GREEN, RED, BUZZER)] == [0, 0, 0]


def test_close_releases_the_pins_and_later_signals_are_ignored(
    feedback: GpioFeedback, mock_factory: Any
) -> None:
    feedback.close()
    feedback.close()
    feedback.ok()
    assert feedback.wait(0.1)
    assert states(mock_factory, GREEN) == [0]
    again = GpioFeedback(green_pin=GREEN, red_pin=RED, buzzer_pin=None, pin_factory=mock_factory)
    again.close()  # no GPIOPinInUse: the pins were released


def test_passive_buzzer_is_driven_with_pwm(mock_factory: Any) -> None:
    fb = GpioFeedback(
        green_pin=GREEN,
        red_pin=RED,
        buzzer_pin=BUZZER,
        buzzer_type="passive",
        buzzer_frequency_hz=2700,
        pin_factory=mock_factory,
        patterns=FAST,
    )
    try:
        fb.error()
        assert fb.wait(2)
        assert states(mock_factory, BUZZER) == [0, 0.5, 0]
        assert mock_factory.pin(BUZZER).frequency == 2700
    finally:
        fb.close()


def test_active_low_wiring(mock_factory: Any) -> None:
    fb = GpioFeedback(
        green_pin=GREEN,
        red_pin=RED,
        buzzer_pin=None,
        active_high=False,
        pin_factory=mock_factory,
        patterns=FAST,
    )
    try:
        assert mock_factory.pin(GREEN).state == 1  # off = high
        fb.ok()
        assert fb.wait(2)
        assert states(mock_factory, GREEN) == [0, 1, 0, 1]
    finally:
        fb.close()


def test_pin_in_use_is_a_feedback_error(feedback: GpioFeedback, mock_factory: Any) -> None:
    with pytest.raises(FeedbackError):
        GpioFeedback(green_pin=GREEN, red_pin=5, buzzer_pin=None, pin_factory=mock_factory)
    with pytest.raises(FeedbackError):
        create_feedback(FeedbackConfig(), mock_factory, fallback=False)
    assert isinstance(create_feedback(FeedbackConfig(), mock_factory), SilentFeedback)


def test_create_feedback_from_config(mock_factory: Any) -> None:
    fb = create_feedback(FeedbackConfig(buzzer_pin=None), mock_factory)
    assert isinstance(fb, GpioFeedback)
    fb.close()
    assert isinstance(create_feedback(FeedbackConfig(kind="silent")), SilentFeedback)


def test_no_gpio_falls_back_to_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    fb = create_feedback(FeedbackConfig())
    assert isinstance(fb, SilentFeedback)
    with pytest.raises(FeedbackError):
        create_feedback(FeedbackConfig(), fallback=False)


def test_silent_feedback_records_signals() -> None:
    with SilentFeedback() as fb:
        fb.ok()
        fb.unknown()
        fb.error()
        assert fb.wait(0)
    assert fb.history == [Signal.OK, Signal.UNKNOWN, Signal.ERROR]
