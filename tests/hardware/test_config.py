"""Hardware config models and the reader factory."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from device.hardware import config as cfg
from device.hardware.config import HardwareConfig
from device.hardware.reader import SimulatedReader, create_reader
from device.hardware.reader.mfrc522 import Mfrc522Reader
from device.hardware.reader.usb_hid import UsbHidReader


def test_defaults_match_the_documented_wiring() -> None:
    config = HardwareConfig()
    assert isinstance(config.reader, cfg.Mfrc522Config)
    assert (config.reader.spi_bus, config.reader.spi_device, config.reader.reset_pin) == (0, 0, 25)
    assert config.reader.poll_interval_s == 0.1
    assert config.taps.repeat_window_s == 3.0 and config.taps.confirm_reads is None
    fb = config.feedback
    assert (fb.kind, fb.green_led_pin, fb.red_led_pin, fb.buzzer_pin) == ("gpio", 17, 27, 22)


@pytest.mark.parametrize(
    "model",
    [
        cfg.Mfrc522Config,
        cfg.UsbHidConfig,
        cfg.SimulatedConfig,
        cfg.TapConfig,
        cfg.FeedbackConfig,
        HardwareConfig,
    ],
)
def test_every_field_is_described(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name}"


@pytest.mark.parametrize(
    "data",
    [
        {"reader": {"kind": "mfrc522", "spi_bsu": 0}},  # typo
        {"reader": {"kind": "pn532"}},
        {"reader": {"kind": "usb_hid"}},  # device_path is required
        {"taps": {"repeat_window_s": -1}},
        {"feedback": {"green_led_pin": 40}},
        {"feedback": {"red_led_pin": 17}},  # same pin as green
        {"feedback": {"buzzer_pin": 25}},  # the reader's reset pin
        {"feedback": {"buzzer_pin": 10}},  # SPI0 MOSI
        {"reader": {"kind": "mfrc522", "reset_pin": 8}},  # SPI0 CE0
    ],
)
def test_bad_config_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HardwareConfig.model_validate(data)


def test_clashes_only_count_hardware_in_use() -> None:
    config = HardwareConfig.model_validate(
        {"reader": {"kind": "simulated"}, "feedback": {"kind": "silent", "green_led_pin": 8}}
    )
    assert config.feedback.green_led_pin == 8


def test_factory_builds_the_mfrc522_reader_without_touching_hardware() -> None:
    config = HardwareConfig.model_validate(
        {"reader": {"kind": "mfrc522", "spi_device": 1, "reset_pin": 24, "poll_interval_s": 0.2}}
    )
    reader = create_reader(config)
    assert isinstance(reader, Mfrc522Reader)
    assert (reader.spi_device, reader.reset_pin, reader.poll_interval_s) == (1, 24, 0.2)
    assert reader.tap_filter.confirm_reads == 2
    assert reader.tap_filter.repeat_window_s == 3.0


def test_factory_builds_usb_hid_and_simulated_readers() -> None:
    hid = create_reader(
        HardwareConfig.model_validate(
            {
                "reader": {"kind": "usb_hid", "device_path": "/dev/input/event3", "grab": False},
                "taps": {"repeat_window_s": 5, "confirm_reads": 1},
            }
        )
    )
    assert isinstance(hid, UsbHidReader)
    assert (hid.device_path, hid.grab, hid.tap_filter.repeat_window_s) == (
        "/dev/input/event3",
        False,
        5,
    )
    sim = create_reader(cfg.SimulatedConfig(), cfg.TapConfig(confirm_reads=3))
    assert isinstance(sim, SimulatedReader)
    assert sim.tap_filter.confirm_reads == 3
    assert create_reader(cfg.SimulatedConfig()).tap_filter.confirm_reads == 1
