"""Fleet status (issue 10): retained device statuses read into fields once, for the admin API
and ``lh-central device list``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from central.cli import app
from central.fleet import fleet, merge_status, parse_status
from central.store import TZ, CentralStore
from protocol.codec import encode
from protocol.messages import DeviceStatus
from tests.conftest import seed_central

T0 = dt.datetime(2026, 11, 29, 6, 0, tzinfo=dt.UTC)


def status(state: str, boot: str = "boot-1", at: dt.datetime = T0, **kw: object) -> str:
    return encode(DeviceStatus(state=state, boot_id=boot, at=at, **kw)).decode()  # type: ignore[arg-type]


ONLINE = status("online", version="0.3.0", outbox_depth=4, rejected_count=1, roster_version=12)


def test_an_offline_will_keeps_the_last_known_counts() -> None:
    kept = merge_status(ONLINE, status("offline", version="0.3.0"))
    assert kept is not None
    st = parse_status(kept)
    assert st is not None and st.state == "offline"
    assert (st.outbox_depth, st.rejected_count, st.roster_version, st.version) == (4, 1, 12, "0.3.0")
    assert merge_status(kept, status("offline", version="0.3.0")) is None, "a repeat changes nothing"


def test_a_late_will_of_an_earlier_boot_is_ignored() -> None:
    new_boot = status("online", boot="boot-2", at=T0 + dt.timedelta(minutes=5), outbox_depth=0)
    assert merge_status(new_boot, status("offline", boot="boot-1", at=T0)) is None
    # the will of the boot that is online now is news
    assert merge_status(new_boot, status("offline", boot="boot-2", at=T0 + dt.timedelta(minutes=5)))


def test_repeats_and_unreadable_statuses() -> None:
    assert merge_status(ONLINE, ONLINE) is None, "a retained status delivered again"
    assert merge_status(None, ONLINE) == ONLINE
    assert merge_status("not json", ONLINE) == ONLINE
    assert parse_status("{}") is None and parse_status(None) is None


def _store(tmp_path: Path) -> CentralStore:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    seed_central(url, tmp_path)
    return CentralStore(url)


def test_fleet_reads_state_since_counts_and_roster_lag(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        for _ in range(14):
            store.bump_roster_version("solen")
        store.record_device_status("dev-a", ONLINE)
        devices = {d.id: d for d in fleet(store)}
        a, b = devices["dev-a"], devices["dev-b"]
        assert a.state == "online" and a.state_text(TZ) == "online" and a.since is None
        assert (a.outbox_depth, a.rejected_count, a.version) == (4, 1, "0.3.0")
        assert (a.roster_version, a.current_roster_version, a.roster_lag) == (12, 14, 2)
        assert a.roster_text() == "12 (current 14, 2 behind)"
        assert b.state == "unknown" and b.state_text(TZ) == "never seen" and b.roster_lag is None

        store.record_device_status("dev-a", status("offline"))
        a = {d.id: d for d in fleet(store)}["dev-a"]
        assert a.state == "offline" and a.since == a.last_seen and a.since is not None
        local = a.since.astimezone(TZ)
        assert a.state_text(TZ) == f"offline since {local:%Y-%m-%d %H:%M}"
        assert a.outbox_depth == 4, "last known"
        first_since = a.since
        store.record_device_status("dev-a", status("offline"))  # the retained will, again
        assert {d.id: d for d in fleet(store)}["dev-a"].since == first_since
    finally:
        store.close()


def test_state_text_is_local_time() -> None:
    from central.fleet import health_of

    h = health_of("d", "x", dt.datetime(2026, 11, 29, 6, 12, tzinfo=dt.UTC), status("offline"), None)
    assert h.state_text(TZ) == "offline since 2026-11-29 07:12"  # CET, UTC+1
    summer = dt.datetime(2026, 6, 1, 6, 12, tzinfo=dt.UTC)
    assert (
        health_of("d", "x", summer, status("offline"), None).state_text(TZ)
        == "offline since 2026-06-01 08:12"
    )


def test_device_list_is_a_readable_table(tmp_path: Path) -> None:
    store = _store(tmp_path)
    url = str(store.engine.url)
    try:
        for _ in range(14):
            store.bump_roster_version("solen")
        store.record_device_status("dev-a", ONLINE)
        store.record_device_status("dev-a", status("offline"))
        since = {d.id: d for d in fleet(store)}["dev-a"].state_text(TZ)
    finally:
        store.close()
    r = CliRunner().invoke(app, ["device", "list", "--db", url])
    assert r.exit_code == 0, r.output
    out = r.output
    assert since in out and "never seen" in out
    assert "12 (current 14, 2 behind)" in out
    assert "schema" not in out and "{" not in out, "no raw JSON"
    row = next(line for line in out.splitlines() if "dev-a" in line)
    assert " 4 " in row and " 1 " in row and "0.3.0" in row
