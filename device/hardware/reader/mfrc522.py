"""MFRC522 over SPI, on top of the ``mfrc522`` package's driver (0.0.7).

The driver opens SPI, drives the reset pin and initialises the chip; we use its
register access (``Write_MFRC522``, ``Read_MFRC522``, ``SetBitMask``,
``ClearBitMask``, ``MFRC522_Init``, ``AntennaOff``) and fill its gaps here
rather than fork it:

* **7-byte UIDs.**  The driver reads cascade level 1 only, so a 7-byte UID
  comes back as ``88 xx xx xx`` and its last four bytes are lost.  We run the
  ISO 14443-3 cascade (SELECT 0x93, 0x95, 0x97), check each level's BCC, the
  cascade tag 0x88 and the CRC_A of every SAK.
* **Cheap empty polls.**  ``MFRC522_ToCard`` waits for an answer by reading
  ComIrqReg up to 2,000 times and ignores the chip's timer interrupt; our
  ``_transceive`` stops at the timer (about 15 ms with the driver's timer
  settings) and sleeps between reads, and the poll loop pauses
  ``poll_interval_s`` between polls, so an idle reader does not burn a core.
* **Presence, not novelty.**  Each poll wakes the card with WUPA (which also
  wakes HALTed cards), reads its UID and halts it again, so a tag held still is
  reported on every poll and the tap filter decides what is a tap.
* **A chip that stops answering.**  SPI reads from a chip without power or with a
  loose wire return 0x00 (or 0xFF), which the driver takes for "no card" for ever;
  an empty poll also reads VersionReg and raises :class:`ReaderError` if it is gone,
  so the screen says the reader is broken and the loop reopens it.
* **Logging.**  Each ``MFRC522()`` adds a handler to the ``mfrc522Logger``
  logger; we remove what the constructor added so messages are not duplicated.
* **GPIO.**  We release only our reset pin instead of ``Close_MFRC522``'s global
  ``GPIO.cleanup()``, which would also reset pins other code uses.

The package imports ``RPi.GPIO`` and ``spidev`` at import time, so it is imported
lazily in :meth:`Mfrc522Reader.open`; the rest of the device runs off a Pi.
On a Pi 5 ``RPi.GPIO`` comes from ``rpi-lgpio`` (see docs/hardware.md).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections.abc import Sequence
from typing import Any

from device.hardware.errors import ReaderError, ReaderNotAvailableError
from device.hardware.reader import iso14443a as iso
from device.hardware.reader.base import TagReader
from device.hardware.reader.taps import DEFAULT_REPEAT_WINDOW_S
from device.hardware.uid import normalize_uid

logger = logging.getLogger(__name__)

_DRIVER_LOGGER = "mfrc522Logger"
_GPIO_BCM = 11
# Register addresses and bits used beyond the driver's named constants.
_COLL_REG = 0x0E
_IRQ_RX, _IRQ_IDLE, _IRQ_TIMER = 0x20, 0x10, 0x01
_ERRORS_THAT_SPOIL_A_FRAME = 0x1B  # BufferOvfl, CollErr, ParityErr, ProtocolErr


class Mfrc522Reader(TagReader):
    """An MFRC522 module on the Pi's SPI bus, polled every ``poll_interval_s``."""

    presence_based = True
    default_confirm_reads = 2

    def __init__(
        self,
        *,
        spi_bus: int = 0,
        spi_device: int = 0,
        reset_pin: int = 25,
        spi_speed_hz: int = 1_000_000,
        poll_interval_s: float = 0.1,
        repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S,
        confirm_reads: int | None = None,
        answer_timeout_s: float = 0.05,
    ) -> None:
        """``reset_pin`` is a BCM number; ``answer_timeout_s`` is a safety net behind
        the chip's own ~15 ms timer, in case its interrupt never comes."""
        super().__init__(
            poll_interval_s=poll_interval_s,
            repeat_window_s=repeat_window_s,
            confirm_reads=confirm_reads,
        )
        self.spi_bus, self.spi_device = spi_bus, spi_device
        self.reset_pin, self.spi_speed_hz = reset_pin, spi_speed_hz
        self.answer_timeout_s = answer_timeout_s
        self._driver: Any = None
        self._gpio: Any = None

    # -- lifecycle ---------------------------------------------------------

    def open(self) -> None:
        """Import the driver, open SPI, reset the chip and check that it answers."""
        if self._driver is not None:
            return
        module = _import_driver()
        self._gpio = module.GPIO
        driver_logger = logging.getLogger(_DRIVER_LOGGER)
        handlers_before = list(driver_logger.handlers)
        try:
            driver = module.MFRC522(
                bus=self.spi_bus,
                device=self.spi_device,
                spd=self.spi_speed_hz,
                pin_mode=_GPIO_BCM,
                pin_rst=self.reset_pin,
            )
        except OSError as exc:
            raise ReaderError(
                f"cannot open SPI {self.spi_bus}.{self.spi_device} ({exc.strerror or exc}); "
                "is SPI enabled (dtparam=spi=on)?"
            ) from exc
        finally:
            for handler in driver_logger.handlers:
                if handler not in handlers_before:
                    driver_logger.removeHandler(handler)
        if self._gpio.getmode() != _GPIO_BCM:
            logger.warning("RPi.GPIO is in BOARD mode: reset pin %d is read as a header pin", self.reset_pin)
        version = driver.Read_MFRC522(driver.VersionReg)
        if version in (0x00, 0xFF):
            self._driver = driver
            self.close()
            raise ReaderError(
                f"no MFRC522 answers on SPI {self.spi_bus}.{self.spi_device} "
                f"(VersionReg 0x{version:02X}): check wiring, 3.3 V and the reset pin"
            )
        self._driver = driver
        logger.info("MFRC522 ready on SPI %d.%d (version 0x%02X)", self.spi_bus, self.spi_device, version)

    def close(self) -> None:
        """Switch the antenna off, close SPI and release the reset pin."""
        driver, self._driver = self._driver, None
        if driver is None:
            return
        with contextlib.suppress(OSError):  # the chip may be what failed
            driver.AntennaOff()
        driver.spi.close()
        self._gpio.cleanup(self.reset_pin)

    # -- polling -----------------------------------------------------------

    def poll_once(self) -> str | None:
        """The normalised UID of the card in the field, or None (no card, or a bad read)."""
        self.open()
        try:
            uid = self.read_uid()
        except OSError as exc:
            self.close()  # reopen and re-initialise the chip on the next poll
            raise ReaderError(f"SPI transfer failed ({exc.strerror or exc})") from exc
        return normalize_uid(uid) if uid is not None else None

    def read_uid(self) -> bytes | None:
        """Wake a card, run the anticollision cascade, halt it; its UID bytes, or None."""
        atqa = self._transceive([iso.WUPA], tx_last_bits=7)
        if atqa is None:
            self._check_chip()
            return None
        if atqa[1] != 16:
            logger.debug("ATQA of %d bits ignored", atqa[1])
            return None
        self._driver.ClearBitMask(_COLL_REG, 0x80)  # clear received bits after a collision
        uid = bytearray()
        for sel in iso.SEL_CODES:
            chunk = self._select_level(sel)
            if chunk is None:
                # A card left half-selected (READY) ignores the next WUPA; any other
                # frame, such as HLTA, puts it back to IDLE so the next poll sees it.
                self._halt()
                return None
            complete, data = chunk
            uid += data
            if complete:
                self._halt()
                return bytes(uid)
        logger.debug("card claims more than three cascade levels")
        self._halt()
        return None

    def _select_level(self, sel: int) -> tuple[bool, bytes] | None:
        """Anticollision + SELECT at one cascade level: (UID complete?, this level's UID bytes)."""
        answer = self._transceive([sel, iso.NVB_ANTICOLL])
        if answer is None or answer[1] != 40:
            return None
        chunk = bytes(answer[0])
        if iso.bcc(chunk[:4]) != chunk[4]:
            logger.debug("BCC mismatch at cascade level 0x%02X", sel)
            return None
        frame = [sel, iso.NVB_SELECT, *chunk]
        sak_frame = self._transceive([*frame, *iso.crc_a(frame)])
        if sak_frame is None or sak_frame[1] != 24 or not iso.has_valid_crc_a(sak_frame[0]):
            logger.debug("no valid SAK at cascade level 0x%02X", sel)
            return None
        if sak_frame[0][0] & iso.SAK_UID_INCOMPLETE:
            if chunk[0] != iso.CASCADE_TAG:
                logger.debug("SAK says more levels follow but no cascade tag")
                return None
            return False, chunk[1:4]
        return True, chunk[:4]

    def _halt(self) -> None:
        frame = [iso.HLTA, 0x00]
        self._transceive([*frame, *iso.crc_a(frame)])  # a halted card stays silent

    def _check_chip(self) -> None:
        """After a poll nobody answered: is the chip still there, and its antenna on?

        SPI has no acknowledge: a chip that lost power or a wire reads as all zeros (or
        all ones with a pull-up) and every poll looks like an empty field.  Its VersionReg
        is never 0x00 or 0xFF, so one read per empty poll tells "no card" from "no chip".
        """
        driver = self._driver
        version = driver.Read_MFRC522(driver.VersionReg)
        if version in (0x00, 0xFF):
            self.close()  # reset and re-initialise it on a later poll (the loop backs off)
            raise ReaderError(
                f"the MFRC522 on SPI {self.spi_bus}.{self.spi_device} stopped answering "
                f"(VersionReg 0x{version:02X}): check wiring and 3.3 V"
            )
        # A brown-out resets the chip and its antenna goes off: re-initialise.
        if driver.Read_MFRC522(driver.TxControlReg) & 0x03 != 0x03:
            logger.warning("MFRC522 antenna was off (chip reset?); re-initialising")
            driver.MFRC522_Init()

    def _transceive(self, data: Sequence[int], *, tx_last_bits: int = 0) -> tuple[list[int], int] | None:
        """Send ``data``; the answer's bytes and bit count, or None for silence or a bad frame."""
        d = self._driver
        d.Write_MFRC522(d.CommandReg, d.PCD_IDLE)
        d.Write_MFRC522(d.CommIrqReg, 0x7F)  # clear every interrupt request bit
        d.SetBitMask(d.FIFOLevelReg, 0x80)  # flush the FIFO
        for byte in data:
            d.Write_MFRC522(d.FIFODataReg, byte)
        d.Write_MFRC522(d.BitFramingReg, tx_last_bits & 0x07)
        d.Write_MFRC522(d.CommandReg, d.PCD_TRANSCEIVE)
        d.SetBitMask(d.BitFramingReg, 0x80)  # StartSend
        irq = self._wait_for_answer()
        d.ClearBitMask(d.BitFramingReg, 0x80)
        if not irq & (_IRQ_RX | _IRQ_IDLE):
            return None
        if d.Read_MFRC522(d.ErrorReg) & _ERRORS_THAT_SPOIL_A_FRAME:
            return None
        length = d.Read_MFRC522(d.FIFOLevelReg)
        last_bits = d.Read_MFRC522(d.ControlReg) & 0x07
        received = [d.Read_MFRC522(d.FIFODataReg) for _ in range(min(length, 64))]
        bits = (length - 1) * 8 + last_bits if last_bits else length * 8
        return received, bits

    def _wait_for_answer(self) -> int:
        """ComIrqReg once an answer (RxIRq/IdleIRq) or the timer (TimerIRq) is in; 0 on timeout."""
        d = self._driver
        deadline = time.monotonic() + self.answer_timeout_s
        while True:
            irq: int = d.Read_MFRC522(d.CommIrqReg)
            if irq & (_IRQ_RX | _IRQ_IDLE | _IRQ_TIMER):
                return irq
            if time.monotonic() > deadline:
                logger.debug("MFRC522 gave no interrupt within %.3f s", self.answer_timeout_s)
                return 0
            time.sleep(0.0005)  # an answer takes ~1 ms, the timer ~15 ms: don't spin


#: What to install for each module the MFRC522 driver imports (issue 10: name the real one).
_MODULE_ADVICE = {
    "mfrc522": "the mfrc522 package is not installed: pip install --no-deps mfrc522==0.0.7",
    "RPi": (
        "the RPi module (RPi.GPIO, which the mfrc522 package imports) is not installed: on a Pi 5 "
        "pip install rpi-lgpio, on earlier Pis pip install RPi.GPIO; off a Pi there is none "
        '(use reader kind = "simulated", or lh-device simulate)'
    ),
    "spidev": (
        "the spidev module is not installed: pip install spidev (it compiles: apt install python3-dev gcc), "
        "and enable SPI (raspi-config nonint do_spi 0)"
    ),
}


def missing_module_advice(exc: ImportError) -> str:
    """Which module is missing and how to get it, from the ImportError the driver raised."""
    name = getattr(exc, "name", None) or ""
    top = name.split(".")[0]
    if top in _MODULE_ADVICE:
        return _MODULE_ADVICE[top]
    if name:
        return f"the module {name!r} that the mfrc522 driver needs is not installed ({exc})"
    return f"the mfrc522 driver cannot be imported: {exc}"


def _import_driver() -> Any:
    """The ``mfrc522.MFRC522`` module, or ReaderNotAvailableError explaining why not."""
    try:
        return importlib.import_module("mfrc522.MFRC522")
    except ImportError as exc:
        raise ReaderNotAvailableError(missing_module_advice(exc)) from exc
    except RuntimeError as exc:  # RPi.GPIO off a Pi, or on a Pi 5 without rpi-lgpio
        raise ReaderNotAvailableError(
            f"RPi.GPIO is unusable here ({exc}); on a Pi 5 install rpi-lgpio"
        ) from exc
