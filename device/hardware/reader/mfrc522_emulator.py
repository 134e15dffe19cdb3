"""A register-level MFRC522 emulator with an ISO 14443-A card, behind fake SPI and GPIO.

It lets the real ``mfrc522`` driver (and our backend on top of it) run off a
Pi: install :func:`make_spidev_module` and :func:`make_gpio_module` as
``spidev`` and ``RPi.GPIO`` in ``sys.modules`` before ``mfrc522`` is imported
(tests/hardware/conftest.py does this).  Like gpiozero's mock pins it is a
product feature: faults can be injected to rehearse what happens when a tag is
pulled away mid-read, a frame is corrupted or the chip is unplugged.

What is modelled (what the driver and our backend use): SPI framing
``(addr << 1) & 0x7E`` (``| 0x80`` to read); CommandReg SoftReset, Idle,
Transceive, CalcCRC, MFAuthent; the FIFO and FIFOLevelReg flush; ComIrqReg and
DivIrqReg Set1/Set2 semantics; BitFramingReg StartSend with TxLastBits; the
antenna switch; on an answer the FIFO, ControlReg RxLastBits, ComIrqReg
TxIRq|RxIRq and ErrorReg; with no answer only TxIRq|TimerIRq (the timer fires
at once: the emulator does not model time).  The card answers REQA/WUPA,
anticollision and SELECT at cascade levels 1-3, HLTA and READ.
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from device.hardware.reader import iso14443a as iso
from device.hardware.uid import uid_bytes

# Registers and commands (MFRC522 datasheet, section 9).
COMMAND_REG, COM_IRQ_REG, DIV_IRQ_REG, ERROR_REG = 0x01, 0x04, 0x05, 0x06
STATUS2_REG, FIFO_DATA_REG, FIFO_LEVEL_REG, WATER_LEVEL_REG = 0x08, 0x09, 0x0A, 0x0B
CONTROL_REG, BIT_FRAMING_REG, TX_CONTROL_REG = 0x0C, 0x0D, 0x14
CRC_RESULT_M_REG, CRC_RESULT_L_REG, VERSION_REG = 0x21, 0x22, 0x37
CMD_IDLE, CMD_CALC_CRC, CMD_TRANSCEIVE, CMD_MF_AUTHENT, CMD_SOFT_RESET = (
    0x00,
    0x03,
    0x0C,
    0x0E,
    0x0F,
)
IRQ_TX, IRQ_RX, IRQ_IDLE, IRQ_LO_ALERT, IRQ_TIMER = 0x40, 0x20, 0x10, 0x04, 0x01
ERR_COLL = 0x08
VERSION_2_0 = 0x92

_RESET_VALUES = {
    COMMAND_REG: 0x20,
    COM_IRQ_REG: 0x14,
    WATER_LEVEL_REG: 0x08,
    CONTROL_REG: 0x10,
    TX_CONTROL_REG: 0x80,
    VERSION_REG: VERSION_2_0,
}


class CardState(Enum):
    """ISO 14443-3 PICC states."""

    IDLE = "idle"
    READY = "ready"
    ACTIVE = "active"
    HALT = "halt"


@dataclass
class EmulatedCard:
    """A type A card: MIFARE Classic 1K-like with a 4-byte UID, NTAG-like with 7."""

    uid: bytes
    sak: int = 0x08
    state: CardState = CardState.IDLE
    level: int = 0
    blocks: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def from_hex(cls, uid: str, sak: int | None = None) -> EmulatedCard:
        """A card with this UID (any form normalize_uid accepts); NTAG's SAK for 7 bytes."""
        raw = uid_bytes(uid)
        return cls(raw, sak if sak is not None else (0x08 if len(raw) == 4 else 0x00))

    @property
    def atqa(self) -> bytes:
        """Answer to request; bits 7-6 of the first byte give the UID size."""
        return bytes(({4: 0x04, 7: 0x44, 10: 0x84}[len(self.uid)], 0x00))

    def respond(self, frame: bytes, tx_last_bits: int) -> bytes | None:
        """The card's answer to ``frame``, or None for silence; updates its state."""
        if tx_last_bits == 7 and len(frame) == 1 and frame[0] in (iso.REQA, iso.WUPA):
            woken = self.state is CardState.IDLE or (frame[0] == iso.WUPA and self.state is CardState.HALT)
            if not woken:
                self._unexpected()
                return None
            self.state, self.level = CardState.READY, 0
            return self.atqa
        levels = iso.cascade_levels(self.uid)
        if self.state is CardState.READY and frame[:1] == bytes((iso.SEL_CODES[self.level],)):
            chunk = levels[self.level]
            if frame[1:] == bytes((iso.NVB_ANTICOLL,)):
                return chunk + bytes((iso.bcc(chunk),))
            expected = bytes((iso.NVB_SELECT,)) + chunk + bytes((iso.bcc(chunk),))
            if len(frame) == 9 and frame[1:7] == expected and iso.has_valid_crc_a(frame):
                if self.level + 1 < len(levels):
                    self.level += 1
                    sak = iso.SAK_UID_INCOMPLETE
                else:
                    self.state, sak = CardState.ACTIVE, self.sak
                return bytes((sak,)) + iso.crc_a((sak,))
        if self.state is CardState.ACTIVE and iso.has_valid_crc_a(frame):
            if frame[0] == iso.HLTA and len(frame) == 4:
                self.state = CardState.HALT
                return None
            if frame[0] == iso.READ and len(frame) == 4:
                block = self.blocks.get(frame[1], bytes(16))
                return block + iso.crc_a(block)
        self._unexpected()
        return None

    def _unexpected(self) -> None:
        # An unexpected frame sends a card back to IDLE (HALT stays HALT), silently.
        if self.state is not CardState.HALT:
            self.state = CardState.IDLE


#: Called with (frame sent, answer) before the answer is returned; may change it.
ExchangeHook = Callable[["Mfrc522Chip", bytes, bytes | None], bytes | None]


class Mfrc522Chip:
    """The chip: registers, FIFO, coprocessor, antenna, and at most one card in the field."""

    def __init__(self, card: EmulatedCard | None = None) -> None:
        self.card = card
        self.hook: ExchangeHook | None = None
        self.error_on_next_answer = 0  # ErrorReg bits to raise on the next answer (collision...)
        self.reset_pin_high = True
        self.wired = True  # False: unplugged or a loose wire, see unplug()
        self.floating = 0x00  # what reads give while unplugged (0xFF with a pull-up on MISO)
        self.register_reads: Counter[int] = Counter()
        self.frames: list[bytes] = []  # every frame sent to the card, in order
        self.regs = bytearray(64)
        self.fifo: list[int] = []
        self._soft_reset()

    # -- what tests use ----------------------------------------------------

    def place(self, card: EmulatedCard | str | None) -> None:
        """Put a card in the field (a UID string makes one), or None to take it away."""
        self.card = EmulatedCard.from_hex(card) if isinstance(card, str) else card
        if self.card is not None:
            self.card.state = CardState.IDLE  # a card entering the field powers up

    def remove(self) -> None:
        """Take the card out of the field."""
        self.card = None

    def unplug(self, floating: int = 0x00) -> None:
        """Lose the chip (power or a wire): writes vanish, reads give ``floating``, and no
        SPI call fails, just as on a real bus."""
        self.wired, self.floating = False, floating & 0xFF

    def plug_in(self) -> None:
        """Wire the chip back: it powers up from reset (antenna off, registers at reset values)."""
        self.wired = True
        self._soft_reset()

    @property
    def antenna_on(self) -> bool:
        """True once the driver switched the antenna drivers on (TxControlReg bits 0-1)."""
        return self.regs[TX_CONTROL_REG] & 0x03 == 0x03

    # -- the SPI side ------------------------------------------------------

    def transfer(self, data: list[int]) -> list[int]:
        """One SPI transaction as ``spidev.xfer2`` does it (address byte, then data)."""
        if not data:
            return []
        address, is_read = (data[0] >> 1) & 0x3F, bool(data[0] & 0x80)
        reply = [0]
        for value in data[1:]:
            if is_read:
                reply.append(self.read(address))
            else:
                self.write(address, value)
                reply.append(0)
        return reply

    def read(self, address: int) -> int:
        """Read a register as the SPI bus would."""
        self.register_reads[address] += 1
        if not self.wired:
            return self.floating
        if not self.reset_pin_high:
            return 0
        if address == FIFO_DATA_REG:
            return self.fifo.pop(0) if self.fifo else 0
        if address == FIFO_LEVEL_REG:
            return len(self.fifo)
        return self.regs[address]

    def write(self, address: int, value: int) -> None:
        """Write a register as the SPI bus would."""
        if not self.wired or not self.reset_pin_high:
            return
        value &= 0xFF
        if address == FIFO_DATA_REG:
            self.fifo.append(value)
        elif address == FIFO_LEVEL_REG:
            if value & 0x80:
                self.fifo.clear()
        elif address in (COM_IRQ_REG, DIV_IRQ_REG):
            bits = value & 0x7F
            current = self.regs[address]
            self.regs[address] = current | bits if value & 0x80 else current & ~bits
        elif address == COMMAND_REG:
            self._command(value & 0x0F)
        elif address == BIT_FRAMING_REG:
            self.regs[address] = value & 0x7F  # StartSend reads back as 0
            if value & 0x80 and self.regs[COMMAND_REG] & 0x0F == CMD_TRANSCEIVE:
                self._exchange(value & 0x07)
        elif address != VERSION_REG:
            self.regs[address] = value

    # -- inside the chip ---------------------------------------------------

    def _soft_reset(self) -> None:
        self.regs[:] = bytes(64)
        for address, value in _RESET_VALUES.items():
            self.regs[address] = value
        self.fifo.clear()

    def _command(self, command: int) -> None:
        self.regs[COMMAND_REG] = (self.regs[COMMAND_REG] & 0xF0) | command
        if command == CMD_SOFT_RESET:
            self._soft_reset()
        elif command == CMD_CALC_CRC:
            crc = iso.crc_a(self.fifo)
            self.fifo.clear()
            self.regs[CRC_RESULT_L_REG], self.regs[CRC_RESULT_M_REG] = crc[0], crc[1]
            self.regs[DIV_IRQ_REG] |= 0x04  # CRCIRq
        elif command == CMD_MF_AUTHENT:
            self.fifo.clear()
            if self.card is not None and self.card.state is CardState.ACTIVE:
                self.regs[STATUS2_REG] |= 0x08  # MFCrypto1On
                self.regs[COM_IRQ_REG] |= IRQ_IDLE
            else:
                self.regs[COM_IRQ_REG] |= IRQ_TIMER

    def _exchange(self, tx_last_bits: int) -> None:
        frame = bytes(self.fifo)
        self.fifo.clear()
        self.frames.append(frame)
        answer = None
        if self.card is not None and self.antenna_on:
            answer = self.card.respond(frame, tx_last_bits)
        if self.hook is not None:
            answer = self.hook(self, frame, answer)
        self.regs[ERROR_REG] = 0
        if answer is None:
            self.regs[COM_IRQ_REG] |= IRQ_TX | IRQ_TIMER
            return
        self.fifo.extend(answer)
        self.regs[CONTROL_REG] &= 0xF8  # RxLastBits 0: every answer modelled is whole bytes
        self.regs[ERROR_REG] = self.error_on_next_answer
        self.error_on_next_answer = 0
        irq = IRQ_TX | IRQ_RX | (IRQ_LO_ALERT if len(self.fifo) <= self.regs[WATER_LEVEL_REG] else 0)
        self.regs[COM_IRQ_REG] |= irq


class FakeSpiDev:
    """Stand-in for ``spidev.SpiDev`` wired to the chips of one :class:`FakeSpiBus`."""

    def __init__(self, bus: FakeSpiBus) -> None:
        self._bus = bus
        self.chip: Mfrc522Chip | None = None
        self.max_speed_hz = 500_000
        self.mode = 0

    def open(self, bus: int, device: int) -> None:
        """Attach to the chip at (bus, device); FileNotFoundError like /dev/spidevB.D missing."""
        try:
            self.chip = self._bus.chips[(bus, device)]
        except KeyError:
            raise FileNotFoundError(2, f"No such file or directory: /dev/spidev{bus}.{device}") from None
        self._bus.opened.append((bus, device))

    def xfer2(self, data: list[int]) -> list[int]:
        """Full-duplex transfer with chip select held for the whole list."""
        if self.chip is None:
            raise OSError(9, "Bad file descriptor")
        return self.chip.transfer(list(data))

    xfer = xfer2

    def close(self) -> None:
        """Release the device."""
        self.chip = None


@dataclass
class FakeSpiBus:
    """The SPI devices of one fake machine: ``{(bus, device): chip}``."""

    chips: dict[tuple[int, int], Mfrc522Chip] = field(default_factory=dict)
    opened: list[tuple[int, int]] = field(default_factory=list)


def make_spidev_module(bus: FakeSpiBus) -> types.ModuleType:
    """A module object to install as ``spidev``: its ``SpiDev()`` talks to ``bus``."""
    module = types.ModuleType("spidev")
    module.SpiDev = lambda: FakeSpiDev(bus)  # type: ignore[attr-defined]
    return module


class FakeGpio(types.ModuleType):
    """A module object to install as ``RPi.GPIO``; records pin modes and outputs."""

    BOARD, BCM, OUT, IN, LOW, HIGH = 10, 11, 0, 1, 0, 1

    def __init__(self, chips: dict[int, Mfrc522Chip] | None = None) -> None:
        """``chips`` maps a reset pin number to the chip whose NRSTPD it drives."""
        super().__init__("RPi.GPIO")
        self.mode: int | None = None
        self.setup_pins: dict[int, int] = {}
        self.outputs: dict[int, int] = {}
        self.cleaned: list[int | list[int] | None] = []
        self._reset_chips = chips or {}

    def getmode(self) -> int | None:
        return self.mode

    def setmode(self, mode: int) -> None:
        self.mode = mode

    def setwarnings(self, flag: bool) -> None:
        pass

    def setup(self, pin: int, direction: int, **_: object) -> None:
        self.setup_pins[pin] = direction

    def output(self, pin: int, value: int) -> None:
        self.outputs[pin] = int(bool(value))
        if pin in self._reset_chips:
            self._reset_chips[pin].reset_pin_high = bool(value)

    def cleanup(self, pins: int | list[int] | None = None) -> None:
        self.cleaned.append(pins)


def make_gpio_modules(gpio: FakeGpio) -> dict[str, types.ModuleType]:
    """``{"RPi": ..., "RPi.GPIO": gpio}``, ready for ``sys.modules``."""
    package = types.ModuleType("RPi")
    package.GPIO = gpio  # type: ignore[attr-defined]
    package.__path__ = []  # a package, so ``import RPi.GPIO`` resolves
    return {"RPi": package, "RPi.GPIO": gpio}


@dataclass
class FakePi:
    """One fake machine: a chip on SPI 0.0 whose RST is on ``reset_pin`` (BCM)."""

    reset_pin: int = 25
    chip: Mfrc522Chip = field(default_factory=Mfrc522Chip)
    bus: FakeSpiBus = field(init=False)
    gpio: FakeGpio = field(init=False)

    def __post_init__(self) -> None:
        self.bus = FakeSpiBus({(0, 0): self.chip})
        self.gpio = FakeGpio({self.reset_pin: self.chip})

    def modules(self) -> dict[str, types.ModuleType]:
        """What to put in ``sys.modules`` (before ``mfrc522`` is imported)."""
        return {"spidev": make_spidev_module(self.bus), **make_gpio_modules(self.gpio)}
