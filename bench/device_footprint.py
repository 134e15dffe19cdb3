"""Device footprint: peak RSS and time to the first idle frame of ``lh-device simulate``
(demo department, SDL dummy driver, no broker), beside a floor process that only
imports pygame, SQLAlchemy, paho-mqtt and gpiozero, both measured in this run.

Each is a fresh subprocess, 5 runs, medians.  Targets: RSS <= 1.3x, start-up <= 1.5x
the floor.  Prints ``ratio:`` last: the larger of the two ratios, each divided by its
target (<= 1 meets both).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
FLOOR = "import pygame, sqlalchemy, paho.mqtt.client, gpiozero"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return env | {
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
        "PYGAME_HIDE_SUPPORT_PROMPT": "1",
        "PYTHONPATH": str(ROOT),
    }


def _wait(proc: subprocess.Popen[str]) -> int:
    """Reap ``proc``; its peak RSS in KiB (Linux ru_maxrss)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"subprocess failed with {proc.returncode}")
    return usage.ru_maxrss


def floor_run() -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", FLOOR], env=_env(), text=True)
    rss = _wait(proc)
    return time.perf_counter() - t0, rss


def device_run() -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "device.cli", "simulate"],
            env=_env(),
            cwd=tmp,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stdin is not None
        first = proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        if not first.startswith("ready"):
            raise SystemExit(f"unexpected output: {first!r}")
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.stdout.read()
        rss = _wait(proc)
    return elapsed, rss


def main() -> None:
    floor = [floor_run() for _ in range(RUNS)]
    dev = [device_run() for _ in range(RUNS)]
    f_t = statistics.median(t for t, _ in floor)
    f_rss = statistics.median(r for _, r in floor)
    d_t = statistics.median(t for t, _ in dev)
    d_rss = statistics.median(r for _, r in dev)
    rss_ratio, start_ratio = d_rss / f_rss, d_t / f_t
    print(f"floor_startup_s: {f_t:.3f}")
    print(f"floor_peak_rss_mb: {f_rss / 1024:.1f}")
    print(f"device_first_idle_frame_s: {d_t:.3f}")
    print(f"device_peak_rss_mb: {d_rss / 1024:.1f}")
    print(f"rss_ratio: {rss_ratio:.2f}")
    print(f"startup_ratio: {start_ratio:.2f}")
    print(f"ratio: {max(rss_ratio / 1.3, start_ratio / 1.5):.2f}")


if __name__ == "__main__":
    main()
