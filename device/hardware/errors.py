"""Exceptions raised by device.hardware, one tree rooted at :class:`HardwareError`."""

from __future__ import annotations


class HardwareError(Exception):
    """Base class of every error raised by device.hardware."""


class InvalidUidError(HardwareError, ValueError):
    """A value could not be read as a 4-, 7- or 10-byte tag UID."""


class ReaderError(HardwareError):
    """The tag reader failed: not wired, not answering, or its device vanished."""


class ReaderNotAvailableError(ReaderError, ImportError):
    """The Python package a reader backend needs is not installed on this machine."""


class FeedbackError(HardwareError):
    """The LEDs or buzzer could not be set up (no GPIO, pin in use)."""
