"""The MFRC522 backend running the real ``mfrc522`` driver against the register-level emulator."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from collections.abc import Callable

import pytest

from device.hardware.errors import ReaderError, ReaderNotAvailableError
from device.hardware.reader import iso14443a as iso
from device.hardware.reader.mfrc522 import Mfrc522Reader
from device.hardware.reader.mfrc522_emulator import (
    ERR_COLL,
    EmulatedCard,
    FakePi,
    Mfrc522Chip,
)
from device.hardware.reader.taps import TapFilter

RESET_PIN = 25
UID4, UID7, UID10 = "04A23B11", "04112233445566", "0102030405060708090A"


def total_reads(chip: Mfrc522Chip) -> int:
    return sum(chip.register_reads.values())


@pytest.fixture
def reader(fake_pi: FakePi) -> Mfrc522Reader:
    r = Mfrc522Reader(reset_pin=RESET_PIN, poll_interval_s=0.01)
    r.open()
    return r


def test_reads_a_4_byte_uid_with_cascade_level_1_only(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    fake_pi.chip.place(UID4)
    assert reader.poll_once() == UID4
    sent = [frame[:2] for frame in fake_pi.chip.frames]
    assert sent == [b"\x52", b"\x93\x20", b"\x93\x70", b"\x50\x00"]  # WUPA, anticoll, SELECT, HLTA


def test_reads_a_7_byte_uid_through_cascade_level_2(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    fake_pi.chip.place(UID7)
    assert reader.poll_once() == UID7
    assert [f[:2] for f in fake_pi.chip.frames[1:5]] == [
        b"\x93\x20",
        b"\x93\x70",
        b"\x95\x20",
        b"\x95\x70",
    ]


def test_reads_a_10_byte_uid(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    fake_pi.chip.place(UID10)
    assert reader.poll_once() == UID10


def test_a_card_held_still_is_read_on_every_poll(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    fake_pi.chip.place(UID7)
    assert [reader.poll_once() for _ in range(5)] == [UID7] * 5  # WUPA wakes the halted card


def test_no_card_is_none_and_cheap(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    before = total_reads(fake_pi.chip)
    assert reader.poll_once() is None
    ours = total_reads(fake_pi.chip) - before
    assert ours <= 10
    # The package's own request spins ~2,000 register reads for the same empty field.
    before = total_reads(fake_pi.chip)
    status, _ = reader._driver.MFRC522_Request(reader._driver.PICC_REQIDL)
    assert status != reader._driver.MI_OK
    assert total_reads(fake_pi.chip) - before > 1000


def test_card_pulled_mid_read_is_no_uid_and_no_crash(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    def pull_at_level_2(chip: Mfrc522Chip, frame: bytes, answer: bytes | None) -> bytes | None:
        if frame[:1] == b"\x95":
            chip.remove()
            return None
        return answer

    fake_pi.chip.place(UID7)
    fake_pi.chip.hook = pull_at_level_2
    assert reader.poll_once() is None
    assert reader.poll_once() is None


@pytest.mark.parametrize("glitch", ["bcc", "sak_crc", "collision", "no_cascade_tag"])
def test_corrupt_frames_are_dropped(fake_pi: FakePi, reader: Mfrc522Reader, glitch: str) -> None:
    def corrupt(chip: Mfrc522Chip, frame: bytes, answer: bytes | None) -> bytes | None:
        if answer is None:
            return None
        if glitch == "bcc" and frame == b"\x93\x20":
            return answer[:4] + bytes((answer[4] ^ 0x01,))
        if glitch == "sak_crc" and frame[:2] == b"\x93\x70":
            return answer[:2] + bytes((answer[2] ^ 0x80,))
        if glitch == "collision" and frame == b"\x93\x20":
            chip.error_on_next_answer = ERR_COLL
        if glitch == "no_cascade_tag" and frame == b"\x93\x20":
            fixed = b"\x77" + answer[1:4]  # SAK will say "more levels", but no 0x88 tag
            return fixed + bytes((iso.bcc(fixed),))
        return answer

    fake_pi.chip.place(UID7)
    fake_pi.chip.hook = corrupt
    assert reader.poll_once() is None
    fake_pi.chip.hook = None
    assert reader.poll_once() == UID7  # and the next clean read works


def test_taps_from_polls(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    """Held still = one tap; pulled, tapped again quickly = same tap; one-poll glitch = none."""
    now = [0.0]
    taps = TapFilter(confirm_reads=reader.tap_filter.confirm_reads, clock=lambda: now[0])

    def poll(times: int) -> list[str]:
        found = []
        for _ in range(times):
            tap = taps.feed(reader.poll_once())
            if tap:
                found.append(tap)
            now[0] += 0.1
        return found

    assert reader.tap_filter.confirm_reads == 2
    fake_pi.chip.place(UID4)
    assert poll(1) == []  # a single read is not yet a tap ...
    fake_pi.chip.remove()
    assert poll(3) == []  # ... so a brush past the reader is none
    fake_pi.chip.place(UID4)
    assert poll(20) == [UID4]  # held 2 s: one tap
    fake_pi.chip.remove()
    assert poll(5) == []
    fake_pi.chip.place(UID4)
    assert poll(5) == []  # again within 3 s: the same tap
    fake_pi.chip.remove()
    assert poll(40) == []
    fake_pi.chip.place(UID4)
    assert poll(3) == [UID4]  # after the window: a new tap


def test_poll_thread_taps_once_and_sleeps_between_polls(fake_pi: FakePi) -> None:
    reader = Mfrc522Reader(reset_pin=RESET_PIN, poll_interval_s=0.05)
    taps: list[str] = []
    tapped = threading.Event()
    fake_pi.chip.place(UID7)

    def on_tap(uid: str) -> None:
        taps.append(uid)
        tapped.set()

    reader.start(on_tap)
    try:
        assert tapped.wait(2)
        time.sleep(0.3)  # held still for a while
    finally:
        reader.stop()
    assert taps == [UID7]
    polls = fake_pi.chip.frames.count(b"\x52")
    assert 4 <= polls <= 12, polls  # ~0.35 s at one poll per 50 ms, not a busy loop


def test_idle_reader_reads_few_registers_per_second(fake_pi: FakePi) -> None:
    reader = Mfrc522Reader(reset_pin=RESET_PIN, poll_interval_s=0.02)
    reader.start(lambda uid: None)
    before = total_reads(fake_pi.chip)
    time.sleep(0.2)
    reads = total_reads(fake_pi.chip) - before
    reader.stop()
    assert 0 < reads < 200  # ~10 polls of <= 10 reads; the package alone would do ~20,000


def test_recovers_when_the_chip_resets(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    fake_pi.chip.write(0x01, 0x0F)  # a brown-out: soft reset, antenna off
    assert reader.poll_once() is None  # notices the antenna is off and re-initialises
    fake_pi.chip.place(UID4)
    assert reader.poll_once() == UID4


def test_open_uses_bcm_and_our_reset_pin_and_adds_no_log_handlers(fake_pi: FakePi) -> None:
    driver_logger = logging.getLogger("mfrc522Logger")
    handlers = list(driver_logger.handlers)
    for _ in range(3):
        r = Mfrc522Reader(reset_pin=RESET_PIN)
        r.open()
        r.close()
    assert driver_logger.handlers == handlers
    assert fake_pi.gpio.mode == fake_pi.gpio.BCM
    assert fake_pi.gpio.outputs[RESET_PIN] == 1
    assert fake_pi.gpio.cleaned == [RESET_PIN] * 3  # never a global GPIO.cleanup()
    assert not fake_pi.chip.antenna_on


def test_missing_spi_device_is_a_reader_error(fake_pi: FakePi) -> None:
    with pytest.raises(ReaderError, match="spi=on"):
        Mfrc522Reader(spi_device=1).open()


def test_silent_chip_is_a_reader_error(fake_pi: FakePi) -> None:
    reader = Mfrc522Reader(reset_pin=24)  # RST wired elsewhere: the chip stays in reset
    fake_pi.chip.reset_pin_high = False
    with pytest.raises(ReaderError, match="VersionReg 0x00"):
        reader.open()


def test_spi_failure_mid_poll_reopens(fake_pi: FakePi, reader: Mfrc522Reader) -> None:
    reader._driver.spi.close()  # the next transfer raises OSError
    with pytest.raises(ReaderError):
        reader.poll_once()
    fake_pi.chip.place(UID4)
    assert reader.poll_once() == UID4


def test_without_the_pi_modules_the_reader_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n.split(".")[0] in ("mfrc522", "RPi")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "RPi", None)  # import RPi fails as off a Pi
    with pytest.raises(ReaderNotAvailableError) as info:
        Mfrc522Reader().open()
    assert isinstance(info.value, ImportError)


def test_emulator_serves_the_packages_own_api(fake_pi: FakePi) -> None:
    """Fidelity check, and the gaps we fill: the package folds the BCC into its number
    and returns only cascade level 1 of a 7-byte UID."""
    simple = importlib.import_module("mfrc522").SimpleMFRC522()
    fake_pi.chip.place(EmulatedCard.from_hex(UID4))
    assert simple.read_id_no_block() == 0x04A23B118C
    fake_pi.chip.place(UID7)
    assert simple.read_id_no_block() == 0x88041122BF
    fake_pi.chip.place(UID4)
    fake_pi.chip.card.blocks[8] = b"hej".ljust(16, b" ")  # type: ignore[union-attr]
    fake_pi.chip.card.blocks[9] = bytes(16)  # type: ignore[union-attr]
    fake_pi.chip.card.blocks[10] = bytes(16)  # type: ignore[union-attr]
    uid_number, text = simple.read_no_block()
    assert uid_number == 0x04A23B118C
    assert text.startswith("hej")


def test_a_reader_that_will_not_open_is_retried_and_says_why(
    fake_pi: FakePi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hallway must not crash-loop over a loose reader: the error shows, taps work once fixed."""
    from device.hardware.reader import base

    monkeypatch.setattr(base, "ERROR_BACKOFF_S", (0.01, 0.02))
    fake_pi.chip.reset_pin_high = False  # RST wired to another pin: the chip stays silent
    reader = Mfrc522Reader(reset_pin=24, poll_interval_s=0.01)
    taps: list[str] = []
    reader.start(taps.append, retry_open=True)  # no exception: the screen will say what is wrong
    try:
        deadline = time.monotonic() + 5
        while reader.error is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert "VersionReg 0x00" in reader.error
        fake_pi.chip.reset_pin_high = True  # the technician fixes the wiring
        while reader.error is not None:
            assert time.monotonic() < deadline, reader.error
            time.sleep(0.01)
        fake_pi.chip.place(UID4)
        while not taps:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert taps == [UID4]
        reader._driver.spi.close()  # the SPI bus fails mid-poll: error shown, then it reopens
        while reader.error is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        while reader.error is not None:
            assert time.monotonic() < deadline, reader.error
            time.sleep(0.01)
    finally:
        reader.stop()


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@pytest.mark.parametrize("floating", [0x00, 0xFF], ids=["bus-reads-low", "bus-reads-high"])
def test_a_chip_that_stops_answering_is_an_error_not_an_empty_field(
    fake_pi: FakePi, reader: Mfrc522Reader, floating: int
) -> None:
    """SPI never fails for a missing chip: it reads 0x00 (or 0xFF), which the driver takes
    for "no card".  The reader must say so, or taps silently do nothing all morning."""
    fake_pi.chip.place(UID4)
    assert reader.poll_once() == UID4
    fake_pi.chip.unplug(floating)
    with pytest.raises(ReaderError, match=rf"stopped answering \(VersionReg 0x{floating:02X}\)"):
        reader.poll_once()
    with pytest.raises(ReaderError, match="no MFRC522 answers"):  # reopening finds nobody either
        reader.poll_once()
    fake_pi.chip.plug_in()  # powers up from reset: antenna off until initialised again
    assert reader.poll_once() == UID4
    assert fake_pi.chip.antenna_on


def test_an_empty_field_still_costs_few_reads_and_raises_nothing(
    fake_pi: FakePi, reader: Mfrc522Reader
) -> None:
    before = total_reads(fake_pi.chip)
    for _ in range(3):
        assert reader.poll_once() is None
    assert total_reads(fake_pi.chip) - before <= 3 * 6  # the chip check is one register read


def test_a_running_reader_reports_an_unplugged_chip_and_clears_it_when_wired_back(
    fake_pi: FakePi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the idle screen reads (``reader.error``): set while the chip is gone, cleared by
    the first good poll after the technician fixes it; taps work again without a restart."""
    from device.hardware.reader import base

    monkeypatch.setattr(base, "ERROR_BACKOFF_S", (0.01, 0.02))  # same back-off logic, faster
    reader = Mfrc522Reader(reset_pin=RESET_PIN, poll_interval_s=0.01)
    errors: list[Exception] = []
    taps: list[str] = []
    reader.start(taps.append, errors.append)
    try:
        polls = fake_pi.chip.frames.count
        _wait_for(lambda: polls(b"\x52") >= 2, "the first polls")
        assert reader.error is None
        fake_pi.chip.unplug()
        _wait_for(lambda: reader.error is not None, "the error to show")
        assert reader.error is not None and "MFRC522" in reader.error and "ReaderError" not in reader.error
        fake_pi.chip.place(UID4)  # a tag held to a dead reader is no tap ...
        time.sleep(0.05)
        assert taps == [] and reader.is_running
        fake_pi.chip.plug_in()
        _wait_for(lambda: reader.error is None, "the error to clear")
        _wait_for(lambda: taps == [UID4], "a tap after the repair")  # ... and one once it is fixed
    finally:
        reader.stop()
    assert errors and all(isinstance(e, ReaderError) for e in errors)


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        ("RPi", ["RPi.GPIO", "on a Pi 5 pip install rpi-lgpio"]),
        ("mfrc522", ["the mfrc522 package is not installed", "mfrc522==0.0.7"]),
    ],
)
def test_the_reader_names_the_module_that_is_really_missing(
    monkeypatch: pytest.MonkeyPatch, missing: str, says: list[str]
) -> None:
    """Issue 10: off a Pi the missing module is RPi, not mfrc522; say which and how to get it."""
    for name in [n for n in sys.modules if n.split(".")[0] in ("mfrc522", "RPi")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as where it is not installed
    with pytest.raises(ReaderNotAvailableError) as info:
        Mfrc522Reader().open()
    message = str(info.value)
    for text in says:
        assert text in message, message
    if missing == "RPi":
        assert "mfrc522 package is not installed" not in message


def test_a_missing_spidev_is_named_too() -> None:
    from device.hardware.reader.mfrc522 import missing_module_advice

    advice = missing_module_advice(ModuleNotFoundError("No module named 'spidev'", name="spidev"))
    assert advice.startswith("the spidev module is not installed: pip install spidev")
    other = missing_module_advice(ModuleNotFoundError("No module named 'lgpio'", name="lgpio"))
    assert "'lgpio'" in other
