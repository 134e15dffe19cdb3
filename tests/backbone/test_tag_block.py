"""A lost tag blocked at central is refused by the hallway Pi after the next roster (issue 10).

A real Mosquitto, ``lh-central serve``'s service with its roster refresh, and a device.  The
block comes from the command line, another process in production: the service is not told,
its periodic refresh sees the roster's content change and republishes.  The device then shows
"Brickan är spärrad" with no name and records nothing; unblocking lets the tag work again.
"""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from central.cli import app as cli
from central.planning import PlanProvider
from central.service import BrokerURL, CentralService
from central.store import CentralStore
from device.core import TagKind
from device.display.controller import Controller
from device.display.intents import ScreenId
from tests.backbone.helpers import device_config, event_count, start_device
from tests.conftest import PASSWORDS, wait_for

ANNA_UID = "04A1B2C3"  # g-anna, guardian of Alva and Noah in solen (dev-a)
REFRESH_S = 0.5


def _central(db_url: str, broker: object) -> CentralService:
    store = CentralStore(db_url)
    url = BrokerURL("mqtt", "127.0.0.1", broker.port, "central", PASSWORDS["central"])  # type: ignore[attr-defined]
    svc = CentralService(store, url, refresh_s=REFRESH_S, plan_provider=PlanProvider(store))
    svc.start()
    assert svc.wait_connected(10), "central did not connect"
    return svc


def test_a_tag_blocked_from_the_cli_is_refused_by_the_pi_after_the_next_roster(
    seeded: tuple[str, bytes], broker: object, tmp_path: Path
) -> None:
    db_url, key = seeded
    central = _central(db_url, broker)
    app = start_device(device_config(tmp_path, broker), key)  # type: ignore[arg-type]
    try:
        wait_for(lambda: app.terminal.identify(ANNA_UID).kind == TagKind.GUARDIAN, 15)
        first = app.terminal.roster
        assert first is not None and first.blocked_tags == []

        r = CliRunner().invoke(cli, ["tag", "block", "--uid", ANNA_UID, "--reason", "lost", "--db", db_url])
        assert r.exit_code == 0, r.output
        blocked_at = time.monotonic()
        wait_for(lambda: app.terminal.identify(ANNA_UID).kind == TagKind.BLOCKED, 15)
        took = time.monotonic() - blocked_at
        assert took < 10 * REFRESH_S + 5, f"the Pi refused the tag only after {took:.1f} s"
        roster = app.terminal.roster
        assert roster is not None and roster.version > first.version
        assert all(not g.tag_digests for g in roster.guardians if g.id == "g-anna")

        c = Controller(app.terminal)
        c.on_tap(ANNA_UID)
        assert c.screen == ScreenId.BLOCKED and c.visit is None
        assert app.store.pending(10) == [], "nothing recorded on the device"
        time.sleep(1.0)
        assert event_count(db_url) == 0, "nothing reached central"

        r = CliRunner().invoke(cli, ["tag", "unblock", "--uid", ANNA_UID, "--db", db_url])
        assert r.exit_code == 0, r.output
        wait_for(lambda: app.terminal.identify(ANNA_UID).kind == TagKind.GUARDIAN, 15)
        c = Controller(app.terminal)
        c.on_tap(ANNA_UID)
        assert c.screen == ScreenId.GUARDIAN
    finally:
        app.stop()
        central.stop()
        central.store.close()
