"""Fixtures for the display tests: a real Terminal and DeviceStore on a tmp SQLite file,
the demo department with today's plan, a fake clock, and pygame on SDL's dummy driver."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pygame
import pytest

from device.app import DeviceApp
from device.config import DeviceConfig
from device.demo import DEMO_TAG_KEY, demo_roster
from device.demo.plan import with_demo_plan
from device.display.config import DisplayConfig
from device.display.controller import Controller
from device.display.painter import forget_fonts
from device.display.session import NullFeedback
from device.display.status import StatusSource
from device.display.ui import Display
from protocol.messages import RosterUnit

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

TZ = ZoneInfo("Europe/Stockholm")
ANNA = "04A1B2C3"  # guardian of Alva and Noah
KARIN = "04AABBCC"  # guardian of Ines only
LEILA = "04B1B2B3"  # guardian of four: Adam, Mira, Sara, Yusuf
STAFF_TAG = "04CAFE01"
STAFF_PIN = "2580"


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[DeviceApp]:
    cfg = DeviceConfig(device_id="disp-test", store={"path": tmp_path / "device.sqlite3"})  # type: ignore[arg-type]
    a = DeviceApp.build(
        cfg,
        tag_key=DEMO_TAG_KEY,
        seed_roster=with_demo_plan(demo_roster()),
        connect=False,
        assume_clock_synced=True,
        now=lambda: dt.datetime.combine(dt.datetime.now(TZ).date(), dt.time(10, 0), tzinfo=TZ),
    )
    yield a
    a.stop()


def local_at(hhmm: str) -> Callable[[], dt.datetime]:
    t = dt.time.fromisoformat(hhmm)
    return lambda: dt.datetime.combine(dt.datetime.now(TZ).date(), t, tzinfo=TZ)


MakeController = Callable[..., Controller]


@pytest.fixture
def make_controller(app: DeviceApp, clock: FakeClock) -> MakeController:
    def make(
        *, mode: str = "self_service", at: str = "10:00", feedback: Any = None, **display: Any
    ) -> Controller:
        status = StatusSource(app.terminal, refresh_s=0, clock=clock, ip=lambda: "192.0.2.10")
        app.terminal.unit_fallback = RosterUnit(handover_mode=mode)  # the demo roster has no unit
        return Controller(
            app.terminal,
            DisplayConfig(**display),
            feedback=feedback or NullFeedback(),
            status=status,
            now=local_at(at),
            clock=clock,
        )

    return make


@pytest.fixture
def controller(make_controller: MakeController) -> Controller:
    return make_controller()


@pytest.fixture(scope="session")
def _pygame() -> Iterator[None]:
    pygame.display.init()
    pygame.font.init()
    yield
    forget_fonts()
    pygame.quit()


@pytest.fixture
def surface_for(_pygame: None) -> Callable[[tuple[int, int]], pygame.Surface]:
    def make(size: tuple[int, int]) -> pygame.Surface:
        # Idempotent: a test that ran the whole terminal in-process (run_device) quit pygame.
        pygame.display.init()
        pygame.font.init()
        return pygame.display.set_mode(size)

    return make


@pytest.fixture
def display(controller: Controller, surface_for: Callable[[tuple[int, int]], pygame.Surface]) -> Display:
    return Display(controller, surface_for((800, 480)))


def settle_pin(c: Controller, timeout: float = 30.0) -> None:
    """Run frames until the PIN check on the worker thread has been answered."""
    deadline = time.monotonic() + timeout
    while c.pin.check is not None:
        assert time.monotonic() < deadline, "the PIN check never finished"
        time.sleep(0.002)
        c.tick()


def events(app: DeviceApp) -> list[tuple[str, str, str, str]]:
    """(type, child, actor kind, method) of every event in the outbox, in order."""
    from protocol.codec import decode_events

    out = []
    for item in app.store.pending(1000):
        (ev,) = decode_events(item.payload)
        out.append((ev.type.value, ev.child_id, ev.actor.kind.value, ev.method.value))
    return out
