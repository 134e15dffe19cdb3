"""Fixtures for the hardware tests: an emulated MFRC522 behind fake SPI and GPIO, mock pins."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from device.hardware.reader.mfrc522_emulator import FakePi


def _forget_driver() -> None:
    for name in [n for n in sys.modules if n == "mfrc522" or n.startswith("mfrc522.")]:
        sys.modules.pop(name, None)


@pytest.fixture
def fake_pi(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePi]:
    """Fake ``spidev`` and ``RPi.GPIO`` in sys.modules; ``mfrc522`` imports afresh against them."""
    machine = FakePi(reset_pin=25)
    for name, module in machine.modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    _forget_driver()
    yield machine
    _forget_driver()  # its module globals point at our fakes


@pytest.fixture
def mock_factory() -> Iterator[Any]:
    """gpiozero's MockFactory with PWM-capable pins, reset after the test."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(pin_class=MockPWMPin)
    previous = Device.pin_factory
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = previous
