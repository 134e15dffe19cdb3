"""The device's main loop for ``lh-device run`` and ``simulate``."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from device.app import DeviceApp
from device.config import DeviceConfig
from device.script import HeadlessTapper, run_script
from protocol.messages import Roster

logger = logging.getLogger(__name__)


def run_device(
    config: DeviceConfig,
    *,
    simulate: bool,
    headless: bool = True,
    tag_key: bytes | None = None,
    seed_roster: Roster | None = None,
    connect: bool = True,
) -> None:
    app = DeviceApp.build(
        config, tag_key=tag_key, seed_roster=seed_roster, connect=connect, assume_clock_synced=simulate
    )
    app.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if simulate:
            tapper = HeadlessTapper(app.terminal, sys.stdout)

            def status(_args: list[str]) -> None:
                st = app.link.state if app.link else None
                print(
                    f"status: outbox {app.store.depth()} roster {app.store.roster_version()} "
                    f"connected {st.connected if st else False}",
                    flush=True,
                )

            run_script(sys.stdin, {"tap": lambda a: tapper.tap(a[0]), "status": status}, sys.stdout)
        else:
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
