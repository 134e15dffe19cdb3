"""The terminal's lookups: a tap during a roster apply, and the roster's unit settings and notices.

The roster is applied on paho's network thread while taps are identified on the UI
thread; a tap must see the old roster or the new one, never a half-built index.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.core import TagKind, Terminal
from device.demo import DEMO_TAG_KEY, demo_roster
from device.store import DeviceStore
from protocol.messages import Roster, RosterGuardian, RosterNotice, RosterUnit
from protocol.tags import tag_digest

ANNA = "04A1B2C3"  # the demo's guardian of Alva and Noah


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DeviceStore]:
    s = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    yield s
    s.close()


def _big(roster: Roster, extra: int = 3000) -> Roster:
    """The demo roster with many more guardians, so building the index takes a while."""
    more = [
        RosterGuardian(
            id=f"g-x{i}", display_name=f"Extra {i}", tag_digests=[tag_digest(DEMO_TAG_KEY, f"{i:08X}")]
        )
        for i in range(extra)
    ]
    return roster.model_copy(update={"guardians": [*roster.guardians, *more]})


def test_a_tap_during_a_roster_apply_always_finds_the_guardians_children(store: DeviceStore) -> None:
    store.save_roster(_big(demo_roster()))
    terminal = Terminal(store, DEMO_TAG_KEY)
    expected = {c.id for c in terminal.identify(ANNA).children}
    assert expected == {"c-alva", "c-noah"}
    stop = threading.Event()
    applies = 0

    def apply_forever() -> None:  # what the link does on paho's thread
        nonlocal applies
        roster = terminal.roster
        assert roster is not None
        while not stop.is_set():
            terminal.apply_roster(roster)
            applies += 1

    bad: list[str] = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, as a busy Pi would at the worst moment
    applier = threading.Thread(target=apply_forever)
    applier.start()
    try:
        deadline = time.monotonic() + 2.0
        taps = 0
        while time.monotonic() < deadline and applies < 40:
            ident = terminal.identify(ANNA)
            taps += 1
            got = {c.id for c in ident.children}
            if ident.kind != TagKind.GUARDIAN or got != expected:
                bad.append(f"{ident.kind.value}: {sorted(got)}")
    finally:
        stop.set()
        applier.join()
        sys.setswitchinterval(old)
    assert applies >= 5, "the roster was hardly applied: the test proves nothing"
    assert not bad, f"{len(bad)} of {taps} taps saw a half-built roster, e.g. {bad[:3]}"


def _save(store: DeviceStore, version: int, **update: object) -> Roster:
    r = demo_roster().model_copy(update={"version": version, **update})
    assert store.save_roster(r)
    return r


def test_unit_settings_follow_the_roster_and_fall_back_to_the_config(store: DeviceStore) -> None:
    fallback = RosterUnit(handover_mode="self_service", closing_time=dt.time(17, 0))
    _save(store, 1)
    terminal = Terminal(store, DEMO_TAG_KEY, unit_fallback=fallback)
    assert terminal.unit == fallback, "a roster without unit keeps the config's fallback"
    r2 = _save(store, 2, unit=RosterUnit(handover_mode="staff_confirmed", closing_time=dt.time(16, 30)))
    terminal.apply_roster(r2)
    assert terminal.unit.handover_mode == "staff_confirmed"
    assert terminal.unit.closing_time == dt.time(16, 30)


def test_default_fallback_closes_when_central_does() -> None:
    from central.planning.units import DEFAULTS
    from device.config import DeviceConfig

    cfg = DeviceConfig(device_id="dev-a")
    assert cfg.unit_fallback().closing_time == DEFAULTS.closing_time == dt.time(18, 0)
    assert cfg.unit_fallback().handover_mode == DEFAULTS.handover_mode


def test_display_closing_time_of_an_older_config_becomes_the_fallback() -> None:
    from device.config import DeviceConfig

    cfg = DeviceConfig.model_validate({"device_id": "dev-a", "display": {"closing_time": "17:15"}})
    assert cfg.closing_time == dt.time(17, 15)
    assert "closing_time" not in cfg.display


def test_notices_end_after_their_last_day_without_a_new_roster(store: DeviceStore) -> None:
    today = dt.date(2026, 12, 2)
    notices = [
        RosterNotice(id="n1", text="Fotografering fredag 4/12", last=dt.date(2026, 12, 4)),
        RosterNotice(id="n2", text="Stängt för planering", last=today),
    ]
    _save(store, 1, notices=notices)
    terminal = Terminal(store, DEMO_TAG_KEY)
    assert [n.id for n in terminal.notices(today)] == ["n1", "n2"]
    assert [n.id for n in terminal.notices(today + dt.timedelta(days=1))] == ["n1"]
    assert terminal.notices(dt.date(2026, 12, 5)) == []
    _save(store, 2)  # a roster of an older central: no notices field at all
    terminal.apply_roster(store.roster())  # type: ignore[arg-type]
    assert terminal.notices(today) == []
