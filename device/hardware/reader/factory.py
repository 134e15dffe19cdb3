"""Build the configured tag reader: one config value picks the backend."""

from __future__ import annotations

import logging

from device.hardware.config import (
    HardwareConfig,
    Mfrc522Config,
    ReaderConfig,
    SimulatedConfig,
    TapConfig,
    UsbHidConfig,
)
from device.hardware.reader.base import TagReader

logger = logging.getLogger(__name__)


def create_reader(config: HardwareConfig | ReaderConfig, taps: TapConfig | None = None) -> TagReader:
    """A reader for ``config`` (the whole hardware config, or just its ``reader`` section).

    Nothing is opened yet: hardware is acquired by ``start()`` or ``open()``, so
    building a reader never fails for want of a Pi.
    """
    if isinstance(config, HardwareConfig):
        taps = taps or config.taps
        reader: ReaderConfig = config.reader
    else:
        reader = config
    taps = taps or TapConfig()
    logger.info("tag reader backend: %s", reader.kind)
    if isinstance(reader, Mfrc522Config):
        from device.hardware.reader.mfrc522 import Mfrc522Reader

        return Mfrc522Reader(
            spi_bus=reader.spi_bus,
            spi_device=reader.spi_device,
            reset_pin=reader.reset_pin,
            spi_speed_hz=reader.spi_speed_hz,
            poll_interval_s=reader.poll_interval_s,
            repeat_window_s=taps.repeat_window_s,
            confirm_reads=taps.confirm_reads,
        )
    if isinstance(reader, UsbHidConfig):
        from device.hardware.reader.usb_hid import UsbHidReader

        return UsbHidReader(
            device_path=reader.device_path,
            grab=reader.grab,
            number_format=reader.number_format,
            byte_order=reader.byte_order,
            repeat_window_s=taps.repeat_window_s,
            confirm_reads=taps.confirm_reads,
        )
    if isinstance(reader, SimulatedConfig):
        from device.hardware.reader.simulated import SimulatedReader

        return SimulatedReader(repeat_window_s=taps.repeat_window_s, confirm_reads=taps.confirm_reads)
    raise TypeError(f"unknown reader config {type(reader).__name__}")
