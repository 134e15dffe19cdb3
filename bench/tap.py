"""Tap latency: from a simulated tap to the event committed, the green LED on and the
confirmation frame drawn (pygame, SDL dummy driver, 800x480).

1,000 taps of a one-child guardian on a real Terminal and DeviceStore (SQLite WAL,
synchronous=FULL, a tmp file), real GpioFeedback on gpiozero's mock pins.  Each tap
alternates check-in and check-out.  Targets: median <= 20 ms, p99 <= 50 ms.
Prints ``ratio: p99 / 50 ms`` last (<= 1 meets the target).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

from device.app import DeviceApp
from device.config import DeviceConfig
from device.demo import DEMO_TAG_KEY, demo_roster
from device.demo.plan import with_demo_plan
from device.display import intents as it
from device.display.config import DisplayConfig
from device.display.controller import Controller
from device.display.ui import Display, open_surface
from device.hardware.feedback import DEFAULT_PATTERNS, GpioFeedback

N = 1000
UID = "04AABBCC"  # Karin: one child (Ines)
GREEN = 17


def main() -> None:
    factory = MockFactory(pin_class=MockPWMPin)
    Device.pin_factory = factory
    with tempfile.TemporaryDirectory() as tmp:
        cfg = DeviceConfig(device_id="bench-tap", store={"path": Path(tmp) / "d.sqlite3"})  # type: ignore[arg-type]
        app = DeviceApp.build(
            cfg,
            tag_key=DEMO_TAG_KEY,
            seed_roster=with_demo_plan(demo_roster()),
            connect=False,
            assume_clock_synced=True,
        )
        fb = GpioFeedback(
            green_pin=GREEN,
            red_pin=27,
            buzzer_pin=22,
            pin_factory=factory,
            patterns=DEFAULT_PATTERNS.scaled(0.001),
        )
        dcfg = DisplayConfig()
        c = Controller(app.terminal, dcfg, feedback=fb)
        display = Display(c, open_surface(dcfg, fullscreen=False))
        green = factory.pin(GREEN)
        display.render()
        total, commit, led, frame = [], [], [], []
        for _ in range(N):
            c.handle(it.Done())
            fb.wait(1.0)  # LED off again before the next tap
            assert not green.state
            t0 = time.perf_counter()
            c.on_tap(UID)  # identify, commit to SQLite, ask for green
            t1 = time.perf_counter()
            while not green.state:
                time.sleep(0)
            t2 = time.perf_counter()
            display.render()
            pygame.display.flip()
            t3 = time.perf_counter()
            total.append(t3 - t0)
            commit.append(t1 - t0)
            led.append(t2 - t1)
            frame.append(t3 - t2)
        fb.close()
        assert app.store.depth() == N
        app.stop()
        pygame.quit()
    factory.reset()

    def ms(xs: list[float], q: float) -> float:
        return 1000 * statistics.quantiles(xs, n=100)[q - 1] if q < 100 else 1000 * max(xs)

    med = 1000 * statistics.median(total)
    p99 = ms(total, 99)
    print(f"taps: {N}")
    print(f"commit_median_ms: {1000 * statistics.median(commit):.2f}")
    print(f"led_median_ms: {1000 * statistics.median(led):.2f}")
    print(f"frame_median_ms: {1000 * statistics.median(frame):.2f}")
    print(f"median_ms: {med:.2f}")
    print(f"p99_ms: {p99:.2f}")
    print(f"max_ms: {1000 * max(total):.2f}")
    print(f"ratio: {p99 / 50:.3f}")


if __name__ == "__main__":
    main()
