"""Hallway hardware: the RFID tag reader, the LEDs and the buzzer.

Each kind of hardware sits behind one small interface with a real implementation
and a simulated one side by side; one config value picks the backend:

* :func:`device.hardware.reader.create_reader` builds a :class:`~device.hardware.reader.TagReader`
  (``mfrc522`` over SPI, ``usb_hid`` keyboard-wedge readers, ``simulated``).
* :func:`device.hardware.feedback.create_feedback` builds the LED and buzzer signals
  (``ok``, ``unknown``, ``error``) on gpiozero, or a silent stand-in.
* :mod:`device.hardware.config` holds the strict config models (``HardwareConfig``).

Raw tag UIDs never leave the device and are never logged above DEBUG; see
docs/hardware.md for wiring, supported readers and the tap rules.
"""
