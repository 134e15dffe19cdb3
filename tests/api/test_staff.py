"""Staff: presence and deviations of their department, corrections by hand (stored as events,
audited with who and why), late and out-of-order events merged by the rules."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from central.db.schema import AuditRow, EventRow, Presence
from tests.api.conftest import Api, snapshot

WEEK = [{"arrive": "08:00", "leave": "15:00"}] * 5 + [None, None]


def _device_event(api: Api, child: str, type_: str, at: dt.datetime, synced: bool = True) -> None:
    """An event as ingest stores it (the device path is tested elsewhere)."""
    with api.store.session() as s, s.begin():
        s.add(
            EventRow(
                event_id=str(uuid.uuid4()),
                device_id="dev-a",
                seq=1,
                type=type_,
                child_id=child,
                actor_kind="guardian",
                actor_id="g-anna",
                method="tag",
                occurred_at=at,
                clock_synced=synced,
                received_at=api.now,
            )
        )


def test_correction_is_an_audited_staff_override_event(api: Api) -> None:
    r = api.client.post(
        "/staff/children/c-alva/check-in", json={"reason": "glömde brickan"}, headers=api.staff()
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["event_id"]
    with api.store.session() as s:
        ev = s.get(EventRow, event_id)
        assert (ev.method, ev.device_id, ev.actor_kind, ev.actor_id, ev.type) == (
            "staff_override",
            "web",
            "staff",
            "s-lena",
            "check_in",
        )
        assert uuid.UUID(ev.event_id) and ev.occurred_at == api.now
        assert s.get(Presence, "c-alva").status == "present"
        entry = s.scalars(select(AuditRow).where(AuditRow.entity_id == "c-alva")).one()
        assert (entry.actor_id, entry.action, entry.reason) == (
            "s-lena",
            "presence.check_in",
            "glömde brickan",
        )
    assert api.changed == ["solen"]
    out = api.client.post(
        "/staff/children/c-alva/check-out", json={"reason": "hämtad av mormor"}, headers=api.staff()
    )
    assert out.status_code == 201
    with api.store.session() as s:
        seqs = sorted(s.scalars(select(EventRow.seq).where(EventRow.device_id == "web")))
    assert seqs == [1, 2]


def test_bad_correction_is_4xx_and_changes_nothing(api: Api) -> None:
    before = snapshot(api.store)
    h = api.staff()
    for body in (
        {},
        {"reason": "x"},
        {"reason": "framtiden", "occurred_at": "2026-03-26T08:00:00+01:00"},
        {"reason": "för länge sedan", "occurred_at": "2026-03-01T08:00:00+01:00"},
        {"reason": "utan zon", "occurred_at": "2026-03-25T08:00:00"},
        {"reason": "okänt fält", "extra": 1},
    ):
        r = api.client.post("/staff/children/c-alva/check-in", json=body, headers=h)
        assert r.status_code == 422, body
    assert snapshot(api.store) == before


def test_presence_merges_late_and_out_of_order_events(api: Api) -> None:
    at = dt.datetime(2026, 3, 25, 7, 0, tzinfo=dt.UTC)
    _device_event(api, "c-noah", "check_out", at + dt.timedelta(minutes=30))  # arrives first
    _device_event(api, "c-noah", "check_in", at)  # the late one
    r = api.client.get("/staff/departments/solen/presence", headers=api.staff()).json()
    noah = next(c for c in r["children"] if c["child_id"] == "c-noah")
    assert noah["status"] == "gone"
    assert [(i["start"], i["end"], i["flags"]) for i in noah["intervals"]] == [
        ("2026-03-25T07:00:00Z", "2026-03-25T07:30:00Z", [])
    ]
    alva = next(c for c in r["children"] if c["child_id"] == "c-alva")
    assert alva == {"child_id": "c-alva", "status": "absent", "intervals": []}


def test_deviations(api: Api) -> None:
    g = api.guardian()
    for child in ("c-alva", "c-noah"):
        body = {"valid_from": "2026-03-25", "weeks": [WEEK]}
        assert (
            api.client.post(f"/guardian/children/{child}/schedules", json=body, headers=g).status_code == 201
        )
    api.client.post("/guardian/children/c-noah/leave", json={"first": "2026-03-25"}, headers=g)
    _device_event(api, "c-noah", "check_in", dt.datetime(2026, 3, 25, 7, 5, tzinfo=dt.UTC))
    _device_event(api, "c-elsa", "check_in", dt.datetime(2026, 3, 25, 7, 6, tzinfo=dt.UTC), synced=False)
    api.now = dt.datetime(2026, 3, 25, 17, 30, tzinfo=dt.UTC)  # 18:30, after closing
    r = api.client.get("/staff/departments/solen/deviations", headers=api.staff())
    kinds = {(d["child_id"], d["kind"]) for d in r.json()["deviations"]}
    assert ("c-alva", "not_arrived") in kinds
    assert ("c-noah", "present_on_leave") in kinds
    assert ("c-noah", "not_checked_out") in kinds
    assert ("c-elsa", "present_without_schedule") in kinds
    assert ("c-elsa", "clock_unsynced") in kinds
    closed = api.client.get("/staff/departments/solen/deviations?auto_close=true", headers=api.staff()).json()
    assert all(d["auto_closed"] for d in closed["deviations"] if d["kind"] == "not_checked_out")


def test_plan_counts_expected_children(api: Api) -> None:
    g = api.guardian()
    api.client.post(
        "/guardian/children/c-alva/schedules", json={"valid_from": "2026-03-25", "weeks": [WEEK]}, headers=g
    )
    plan = api.client.get("/staff/departments/solen/plan?date=2026-03-26", headers=api.staff()).json()
    assert plan["expected"] == 1
    assert [e["child_id"] for e in plan["entries"]] == [
        "c-adam",
        "c-alva",
        "c-elsa",
        "c-ines",
        "c-liam",
        "c-mira",
        "c-noah",
        "c-omar",
        "c-sara",
        "c-yusuf",
    ]
    # The token claims both departments; the staff table says Lena works in solen only.
    assert api.client.get("/staff/departments", headers=api.staff("s-lena", ("solen", "manen"))).json() == [
        "solen"
    ]
