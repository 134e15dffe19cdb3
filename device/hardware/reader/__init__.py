"""Tag readers: one interface (:class:`TagReader`), backends side by side, a factory.

Backends: ``mfrc522`` (SPI module), ``usb_hid`` (keyboard wedge via evdev),
``simulated`` (fed by code).  Backend modules import their optional packages
lazily, so importing this package never needs a Pi.
"""

from device.hardware.reader.base import TagReader
from device.hardware.reader.factory import create_reader
from device.hardware.reader.simulated import SimulatedReader
from device.hardware.reader.taps import TapFilter

__all__ = ["SimulatedReader", "TagReader", "TapFilter", "create_reader"]
