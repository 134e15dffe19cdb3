"""A tag reader that stops working is on the screens, not only in the log: the idle screen
says so instead of "Blippa din bricka", the technician screen says since when and why, and
both clear when the reader works again (while the last error stays for the technician)."""

from __future__ import annotations

import io
import queue
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pygame
import pytest

from device.display import intents as it
from device.display import theme
from device.display.controller import Controller
from device.display.intents import ScreenId
from device.display.loop import UiLoop
from device.display.ui import Display
from device.hardware.reader import base
from device.hardware.reader.mfrc522 import Mfrc522Reader
from device.hardware.reader.mfrc522_emulator import FakePi
from tests.display.conftest import ANNA, KARIN, STAFF_TAG, FakeClock, MakeController

BROKEN = "no MFRC522 answers on SPI 0.0 (VersionReg 0x00): check wiring, 3.3 V and the reset pin"
SurfaceFor = Callable[[tuple[int, int]], pygame.Surface]


def texts(display: Display) -> list[str]:
    display.render()
    assert display.painter is not None
    return [t for t, _, _ in display.painter.texts]


def technician(display: Display) -> dict[str, str]:
    """The technician screen's rows, key -> value (a continuation row's key is its own)."""
    c = display.controller
    if c.screen != ScreenId.TECHNICIAN:
        c.on_tap(STAFF_TAG)
        c.handle(it.Show(ScreenId.TECHNICIAN))
    display.render()
    assert display.painter is not None
    drawn = display.painter.texts[2:]  # after the title and the clock
    return {drawn[i][0]: drawn[i + 1][0] for i in range(0, len(drawn) - 1, 2)}


@pytest.fixture
def broken(controller: Controller) -> list[str | None]:
    """The reader's error as the runner hands it to the screen (``reader.error``)."""
    error: list[str | None] = [None]
    controller.status.reader_error = lambda: error[0]
    return error


def test_a_broken_reader_replaces_the_prompt_and_is_on_the_technician_screen(
    display: Display, broken: list[str | None], clock: FakeClock
) -> None:
    c = display.controller
    assert "Blippa din bricka" in texts(display)
    broken[0] = BROKEN
    shown = texts(display)
    assert "⚠ Brickläsaren fungerar inte" in shown and "Säg till personalen" in shown
    assert "Blippa din bricka" not in shown, "no one should tap a dead reader and wait"
    assert display.surface.get_at((display.layout.width // 2, display.layout.px(300)))[:3] == theme.DANGER
    clock.advance(120)  # the technician comes two minutes later
    rows = technician(display)
    assert rows["Brickläsare"] == "fungerar inte sedan 09:58"
    assert rows["Senaste fel"].startswith("no MFRC522 answers on SPI 0.0")
    assert " ".join((rows["Senaste fel"], rows["09:58, brickläsaren"])) == BROKEN, "all of it, two rows"
    broken[0] = None  # fixed
    rows = technician(display)
    assert rows["Brickläsare"] == "fungerar"
    assert "09:58, brickläsaren" in rows, "an intermittent fault still shows when it has passed"
    c.handle(it.Lock())
    assert "Blippa din bricka" in texts(display)
    assert not any("Brickläsaren" in t for t in texts(display))


def test_the_idle_screen_redraws_as_soon_as_the_reader_fails_or_recovers(
    controller: Controller, broken: list[str | None]
) -> None:
    c = controller
    c.tick()
    c.dirty = False
    c.tick()
    assert not c.dirty
    broken[0] = BROKEN
    c.tick()
    assert c.dirty, "not half a second later: taps are failing now"
    c.dirty = False
    broken[0] = "the MFRC522 on SPI 0.0 stopped answering (VersionReg 0xFF): check wiring and 3.3 V"
    c.tick()
    assert not c.dirty  # still broken, only the reason changed
    broken[0] = None
    c.tick()
    assert c.dirty


def test_the_last_link_error_stays_for_the_technician(
    controller: Controller, display: Display, clock: FakeClock
) -> None:
    link = SimpleNamespace(connected=False, central_online=None, last_error="disconnected: 7")
    controller.status.link_state = lambda: link
    controller.tick()
    clock.advance(60)
    link.connected, link.last_error = True, None  # reconnected: the link forgets, the screen not
    controller.tick()
    rows = technician(display)
    assert rows["Ansluten"] == "ja" and rows["Senaste fel"] == "disconnected: 7"
    assert "09:59, anslutningen" in rows


@pytest.fixture
def fake_pi(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePi]:
    """The MFRC522 emulator behind fake ``spidev`` and ``RPi.GPIO`` (as in tests/hardware)."""

    def forget_driver() -> None:
        for name in [n for n in sys.modules if n == "mfrc522" or n.startswith("mfrc522.")]:
            sys.modules.pop(name, None)

    machine = FakePi(reset_pin=25)
    for name, module in machine.modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    forget_driver()
    yield machine
    forget_driver()


def test_an_unplugged_mfrc522_is_on_the_screen_until_it_is_wired_back(
    fake_pi: FakePi,
    make_controller: MakeController,
    surface_for: SurfaceFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real driver on the register-level emulator, wired to the screen as the runner
    wires it: the chip goes silent mid-morning, the screen says so, and a tap works again
    once the wire is back, without a restart."""
    monkeypatch.setattr(base, "ERROR_BACKOFF_S", (0.01, 0.02))  # the same back-off, faster
    reader = Mfrc522Reader(reset_pin=25, poll_interval_s=0.01)
    c = make_controller()
    c.status.reader_error = lambda: reader.error
    display = Display(c, surface_for((800, 480)))
    taps: list[str] = []
    reader.start(taps.append, retry_open=True)

    def frames_until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 5
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            c.tick()
            time.sleep(0.01)

    try:
        frames_until(lambda: fake_pi.chip.antenna_on, "the reader to open")
        assert "Blippa din bricka" in texts(display)
        fake_pi.chip.unplug()
        frames_until(lambda: c.view().link.reader_error is not None, "the screen to hear of it")
        assert "⚠ Brickläsaren fungerar inte" in texts(display)
        assert technician(display)["Brickläsare"].startswith("fungerar inte sedan")
        c.handle(it.Lock())
        fake_pi.chip.plug_in()
        fake_pi.chip.place("04A1B2C3")
        frames_until(lambda: bool(taps), "a tap after the repair")
        assert c.view().link.reader_error is None
        assert "Blippa din bricka" in texts(display)
    finally:
        reader.stop()


def test_simulate_can_show_a_broken_reader(display: Display, tmp_path: Path) -> None:
    """``reader broken WHY`` / ``reader ok`` in a simulate script (docs/screens uses it)."""
    shot = tmp_path / "broken.png"
    script: queue.Queue[str | None] = queue.Queue()
    for line in ("reader broken SPI gone", f"screenshot {shot}", "reader ok", "reader sideways", "quit"):
        script.put(line)
    out = io.StringIO()
    UiLoop(display, script=script, out=out).run()
    lines = out.getvalue().splitlines()
    assert "reader: broken" in lines and "reader: ok" in lines
    assert any(line.startswith("line 4: usage: reader") for line in lines)
    assert shot.exists()
    assert display.controller.view().link.reader_error is None


def test_the_red_panel_makes_room_for_every_other_warning(
    make_controller: MakeController, surface_for: SurfaceFor
) -> None:
    """Closing time, offline, unsent and waiting handovers as well: three rows of pills at
    800x480, and the panel stops above them instead of hiding under them."""
    c = make_controller(mode="staff_confirmed", at="18:15")
    c.status.reader_error = lambda: BROKEN
    c.status.link_state = lambda: SimpleNamespace(connected=False, central_online=None, last_error=None)
    display = Display(c, surface_for((800, 480)))
    c.on_tap(KARIN)  # waiting for staff, then confirmed: checked in (closing), unsent (offline)
    c.on_tap(STAFF_TAG)
    c.handle(it.ConfirmHandover("c-ines"))
    c.handle(it.Lock())
    c.on_tap(ANNA)
    c.handle(it.ChooseAll())  # two more waiting for staff
    c.handle(it.Done())
    display.render()
    assert display.painter is not None
    pills = [
        box for t, _, box in display.painter.texts if t.startswith(("Stängt", "⚠ Ingen", "1 ej", "2 vänt"))
    ]
    assert len(pills) == 4 and len({b.top for b in pills}) == 3, "three rows of pills"
    top = min(b.top for b in pills)
    between = display.surface.get_at((display.layout.width // 2, top - 2))[:3]
    assert between == theme.BG, "the red panel ends above the pills"
    assert "⚠ Brickläsaren fungerar inte" in texts(display)
