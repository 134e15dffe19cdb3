"""The roster's unit settings and notices: filled by central, sent receivers-first.

Central fills ``unit`` from the department's unit and ``notices`` with those active on the
roster's local date, and leaves both out while any device of the department reports a release
that would refuse them.  A notice's first or day after its last changes the content hash, so
the midnight refresh republishes.
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime
from pathlib import Path

from central.db.schema import Department, Device, NoticeRow, Unit
from central.planning.provider import PlanProvider
from central.service import _content_hash
from central.store import CentralStore
from device import __version__ as DEVICE_RELEASE
from protocol.codec import decode_roster, encode
from tests.conftest import seed_central

DAY = dt.date(2026, 12, 2)  # a Wednesday
NOON = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


def _status(store: CentralStore, device_id: str, version: str | None) -> None:
    payload = {"schema": "lh.status/1", "state": "online"} | ({"version": version} if version else {})
    store.record_device_status(device_id, json.dumps(payload))


def _seed(db_url: str, tmp_path: Path) -> CentralStore:
    seed_central(db_url, tmp_path)
    store = CentralStore(db_url)
    with store.session() as s, s.begin():
        s.add(
            Unit(
                id="u-solen",
                name="Solens förskola",
                handover_mode="staff_confirmed",
                closing_time=dt.time(17, 15),
            )
        )
        s.flush()
        s.get(Department, "solen").unit_id = "u-solen"  # type: ignore[union-attr]
        for nid, text, first, last in [
            (
                "n-photo",
                "Fotografering fredag 4/12 · Kom gärna i tid",
                dt.date(2026, 11, 30),
                dt.date(2026, 12, 4),
            ),
            ("n-today", "Stängt kl 16 idag", DAY, DAY),
            ("n-later", "Lucia 13/12", dt.date(2026, 12, 3), dt.date(2026, 12, 13)),
            ("n-over", "Höstlov", dt.date(2026, 10, 26), dt.date(2026, 10, 30)),
        ]:
            s.add(
                NoticeRow(
                    id=nid,
                    department_id="solen",
                    text=text,
                    first=first,
                    last=last,
                    created_by="s-lena",
                    created_at=NOON,
                )
            )
    return store


def test_roster_carries_unit_and_todays_notices_for_devices_that_accept_them(
    db_url: str, tmp_path: Path
) -> None:
    store = _seed(db_url, tmp_path)
    try:
        _status(store, "dev-a", DEVICE_RELEASE)
        provider = PlanProvider(store)
        roster = provider.complete_roster(store.build_roster("solen", now=NOON), ["dev-a"])
        assert roster.unit is not None
        assert (roster.unit.handover_mode, roster.unit.closing_time) == ("staff_confirmed", dt.time(17, 15))
        assert [(n.id, n.last) for n in roster.notices or []] == [
            ("n-today", DAY),
            ("n-photo", dt.date(2026, 12, 4)),
        ]
        wire = json.loads(encode(roster))
        assert wire["unit"] == {"handover_mode": "staff_confirmed", "closing_time": "17:15"}
        assert decode_roster(encode(roster)) == roster

        # a department without a unit: central's defaults, the same the device falls back to
        manen = provider.complete_roster(store.build_roster("manen", now=NOON), [])
        assert manen.unit is not None and manen.unit.closing_time == dt.time(18, 0)
        assert manen.notices == []
    finally:
        store.close()


def test_fields_are_left_out_until_every_device_runs_a_release_that_accepts_them(
    db_url: str, tmp_path: Path
) -> None:
    store = _seed(db_url, tmp_path)
    try:
        store.add_device("dev-a2", "solen")
        provider = PlanProvider(store)
        _status(store, "dev-a", DEVICE_RELEASE)
        _status(store, "dev-a2", "0.1.0")  # not upgraded yet: it would refuse the whole roster
        old = provider.complete_roster(store.build_roster("solen", now=NOON), ["dev-a", "dev-a2"])
        assert old.unit is None and old.notices is None
        wire = json.loads(encode(old))
        assert "unit" not in wire and "notices" not in wire, "an old device refuses even null"

        _status(store, "dev-a2", DEVICE_RELEASE)
        new = provider.complete_roster(store.build_roster("solen", now=NOON), ["dev-a", "dev-a2"])
        assert new.unit is not None and new.notices
        assert _content_hash(new) != _content_hash(old), "the upgrade republishes on the next refresh"

        with store.session() as s, s.begin():  # never reported a status: its release is unknown
            s.get(Device, "dev-a2").last_status = None  # type: ignore[union-attr]
        assert (
            provider.complete_roster(store.build_roster("solen", now=NOON), ["dev-a", "dev-a2"]).unit is None
        )
    finally:
        store.close()


def test_a_new_day_changes_the_notices_and_so_the_content_hash(db_url: str, tmp_path: Path) -> None:
    store = _seed(db_url, tmp_path)
    try:
        _status(store, "dev-a", DEVICE_RELEASE)
        provider = PlanProvider(store)
        today = provider.complete_roster(store.build_roster("solen", now=NOON), ["dev-a"])
        tomorrow_noon = NOON + dt.timedelta(days=1)
        tomorrow = provider.complete_roster(store.build_roster("solen", now=tomorrow_noon), ["dev-a"])
        assert [n.id for n in tomorrow.notices or []] == ["n-later", "n-photo"]
        assert _content_hash(today) != _content_hash(tomorrow)
    finally:
        store.close()
