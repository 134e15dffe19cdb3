"""Guardians: schedules (validation, conflicts, notice), agreements (notice to the other guardian),
leave, absences and contact details behind the unit's switches; bad input changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from central.db.schema import AuditRow, Department, Unit
from tests.api.conftest import Api, snapshot

WEEK = [{"arrive": "07:30", "leave": "16:00"}] * 5 + [None, None]


def _schedule(valid_from: str, weeks: list | None = None) -> dict:
    return {"valid_from": valid_from, "weeks": weeks or [WEEK]}


def test_children_are_the_callers_own(api: Api) -> None:
    r = api.client.get("/guardian/children", headers=api.guardian("g-anna"))
    assert r.status_code == 200
    assert [c["id"] for c in r.json()] == ["c-alva", "c-noah"]
    r = api.client.get("/guardian/children", headers=api.guardian("g-peter"))
    assert [c["id"] for c in r.json()] == ["c-saga"]


def test_schedule_create_list_and_plan(api: Api) -> None:
    h = api.guardian()
    r = api.client.post("/guardian/children/c-alva/schedules", json=_schedule("2026-03-25"), headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["weeks"][0][0] == ["07:30", "16:00"]
    assert api.changed == ["solen"], "the roster is rebuilt after a change"
    assert [
        s["valid_from"] for s in api.client.get("/guardian/children/c-alva/schedules", headers=h).json()
    ] == ["2026-03-25"]
    plan = api.client.get("/guardian/children/c-alva/plan", headers=h).json()
    assert (plan["arrive"], plan["leave"]) == ("07:30", "16:00")
    assert plan["notes"][0]["source"] == "schedule 2026-03-25"
    with api.store.session() as s:
        entry = s.scalars(select(AuditRow).where(AuditRow.action == "schedule.create")).one()
    assert (entry.actor_role, entry.actor_id, entry.entity_id) == ("guardian", "g-anna", r.json()["id"])


def test_leave_before_arrive_is_422_with_a_clear_message_and_no_change(api: Api) -> None:
    before = snapshot(api.store)
    bad = [[{"arrive": "16:00", "leave": "08:00"}, *WEEK[1:]]]
    r = api.client.post(
        "/guardian/children/c-alva/schedules", json=_schedule("2026-04-01", bad), headers=api.guardian()
    )
    assert r.status_code == 422
    assert r.json()["detail"] == "Monday: the leave time 08:00 must be after the arrive time 16:00"
    multi = [WEEK, [None, None, {"arrive": "09:00", "leave": "09:00"}, None, None, None, None]]
    r = api.client.post(
        "/guardian/children/c-alva/schedules", json=_schedule("2026-04-01", multi), headers=api.guardian()
    )
    assert r.status_code == 422
    assert r.json()["detail"].startswith("week 2, Wednesday: the leave time 09:00")
    assert snapshot(api.store) == before
    assert api.changed == []


def test_same_valid_from_is_409_and_replace_works(api: Api) -> None:
    h = api.guardian()
    first = api.client.post(
        "/guardian/children/c-alva/schedules", json=_schedule("2026-04-01"), headers=h
    ).json()
    before = snapshot(api.store)
    r = api.client.post("/guardian/children/c-alva/schedules", json=_schedule("2026-04-01"), headers=h)
    assert r.status_code == 409
    assert "already has a schedule valid from 2026-04-01" in r.json()["detail"]
    assert snapshot(api.store) == before
    later = [[{"arrive": "08:00", "leave": "15:00"}] * 5 + [None, None]]
    r = api.client.put(
        f"/guardian/children/c-alva/schedules/{first['id']}", json=_schedule("2026-04-06", later), headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["valid_from"] == "2026-04-06"


def test_notice_period_of_the_unit(api: Api) -> None:
    with api.store.session() as s, s.begin():
        s.add(Unit(id="u-sol", name="Solens förskola", min_days_ahead=14))
        s.flush()
        s.get(Department, "solen").unit_id = "u-sol"
    before = snapshot(api.store)
    r = api.client.post(
        "/guardian/children/c-alva/schedules", json=_schedule("2026-04-01"), headers=api.guardian()
    )
    assert r.status_code == 422
    assert "at least 14 days ahead: the earliest start date is 2026-04-08" in r.json()["detail"]
    assert snapshot(api.store) == before
    r = api.client.post(
        "/guardian/children/c-alva/schedules", json=_schedule("2026-04-08"), headers=api.guardian()
    )
    assert r.status_code == 201


def test_agreement_notifies_the_other_guardian_and_shows_in_the_plan(api: Api) -> None:
    body = {"kind": "pickup_by", "first": "2026-03-25", "person": {"name": "Eva Ek", "relation": "mormor"}}
    r = api.client.post("/guardian/children/c-alva/agreements", json=body, headers=api.guardian("g-anna"))
    assert r.status_code == 201, r.text
    [notice] = api.notifier.notices
    assert [x.guardian_id for x in notice.recipients] == ["g-erik"]
    assert notice.author_display == "Anna S." and notice.child_display == "Alva S."
    staff_plan = api.client.get("/staff/departments/solen/plan", headers=api.staff()).json()
    alva = next(e for e in staff_plan["entries"] if e["child_id"] == "c-alva")
    assert alva["pickup_by"] == "Eva Ek (mormor)"
    assert alva["notes"][-1]["source"] == "agreement by guardian Anna S."


def test_agreement_without_what_its_kind_needs_is_422_and_no_change(api: Api) -> None:
    before = snapshot(api.store)
    for body, msg in [
        ({"kind": "early_pickup", "first": "2026-03-26"}, "needs a time"),
        ({"kind": "pickup_by", "first": "2026-03-26"}, "needs the name"),
        (
            {"kind": "note", "first": "2026-03-27", "last": "2026-03-26", "text": "x"},
            "ends (2026-03-26) before",
        ),
        ({"kind": "note", "first": "2026-03-01", "last": "2026-03-02", "text": "x"}, "before today"),
    ]:
        r = api.client.post("/guardian/children/c-alva/agreements", json=body, headers=api.guardian())
        assert r.status_code == 422, body
        assert msg in r.json()["detail"]
    r = api.client.post(
        "/guardian/children/c-alva/agreements",
        json={"kind": "bogus", "first": "2026-03-26"},
        headers=api.guardian(),
    )
    assert r.status_code == 422
    assert snapshot(api.store) == before
    assert api.notifier.notices == []


def test_leave_empties_the_plan_and_can_be_deleted(api: Api) -> None:
    h = api.guardian()
    api.client.post("/guardian/children/c-alva/schedules", json=_schedule("2026-03-25"), headers=h)
    r = api.client.post(
        "/guardian/children/c-alva/leave", json={"first": "2026-03-25", "text": "farmor"}, headers=h
    )
    assert r.status_code == 201
    plan = api.client.get("/guardian/children/c-alva/plan", headers=h).json()
    assert plan["on_leave"] and plan["notes"][0]["source"] == "leave by guardian Anna S."
    assert (
        api.client.delete(f"/guardian/children/c-alva/leave/{r.json()['id']}", headers=h).status_code == 204
    )
    assert not api.client.get("/guardian/children/c-alva/plan", headers=h).json()["on_leave"]
    assert (
        api.client.delete(f"/guardian/children/c-alva/leave/{r.json()['id']}", headers=h).status_code == 404
    )


def test_absence_only_where_switched_on(api: Api) -> None:
    h = api.guardian()
    before = snapshot(api.store)
    r = api.client.post("/guardian/children/c-alva/absences", json={"day": "2026-03-25"}, headers=h)
    assert r.status_code == 403 and "switched off" in r.json()["detail"]
    assert snapshot(api.store) == before
    with api.store.session() as s, s.begin():
        s.add(Unit(id="u-sol", name="Solen", absence_reporting=True))
        s.flush()
        s.get(Department, "solen").unit_id = "u-sol"
    api.client.post("/guardian/children/c-alva/schedules", json=_schedule("2026-03-25"), headers=h)
    staff_plan = "/staff/departments/solen/plan?date=2026-03-26"
    assert api.client.get(staff_plan, headers=api.staff()).json()["expected"] == 1
    api.changed.clear()
    r = api.client.post(
        "/guardian/children/c-alva/absences", json={"day": "2026-03-26", "reason": "feber"}, headers=h
    )
    assert r.status_code == 201
    assert api.changed == ["solen"], "the Pi's plan is rebuilt: staff see the absence at once"
    plan = api.client.get(staff_plan, headers=api.staff()).json()
    alva = next(e for e in plan["entries"] if e["child_id"] == "c-alva")
    assert alva["on_leave"] and plan["expected"] == 0, "not expected, not counted for meals"
    assert [(n["kind"], n["source"], n["text"]) for n in alva["notes"]] == [
        ("leave", "absence reported by guardian Anna S.", "feber")
    ]
    other_day = api.client.get("/staff/departments/solen/plan?date=2026-03-27", headers=api.staff()).json()
    assert other_day["expected"] == 1, "an absence is for its one day"
    gone = f"/guardian/children/c-alva/absences/{r.json()['id']}"
    assert api.client.delete(gone, headers=api.guardian("g-peter")).status_code == 403
    assert api.client.delete(gone, headers=h).status_code == 204, "withdrawn: the child comes after all"
    assert api.client.get(staff_plan, headers=api.staff()).json()["expected"] == 1
    assert api.client.delete(gone, headers=h).status_code == 404


def test_contact_details_only_where_the_unit_allows(api: Api) -> None:
    h = api.guardian("g-maria")
    r = api.client.put(
        "/guardian/contact", json={"phone": "070-999 99 99", "email": "m@example.se"}, headers=h
    )
    assert r.status_code == 200 and r.json()["phone"] == "070-999 99 99"
    r = api.client.put("/guardian/contact", json={"email": "not-an-address"}, headers=h)
    assert r.status_code == 422
    admin = api.admin()
    assert (
        api.client.put(
            "/admin/units/u-fri", json={"name": "Fritids", "kind": "fritidshem"}, headers=admin
        ).json()["contact_editing"]
        is False
    )
    api.client.put("/admin/departments/solen/unit", json={"unit_id": "u-fri"}, headers=admin)
    before = snapshot(api.store)
    r = api.client.put("/guardian/contact", json={"phone": "070-000 00 00"}, headers=h)
    assert r.status_code == 403 and "school's system" in r.json()["detail"]
    assert api.client.get("/guardian/contact", headers=h).json()["editable"] is False
    assert snapshot(api.store) == before


def test_dst_day_plan(api: Api) -> None:
    """The Sunday clocks go forward is planned on its own local date."""
    api.now = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)  # 03:30 CEST on the DST day
    h = api.guardian()
    week = [None] * 6 + [{"arrive": "01:00", "leave": "04:00"}]
    assert (
        api.client.post(
            "/guardian/children/c-alva/schedules", json=_schedule("2026-03-29", [week]), headers=h
        ).status_code
        == 201
    )
    plan = api.client.get("/guardian/children/c-alva/plan", headers=h).json()
    assert (plan["arrive"], plan["leave"]) == ("01:00", "04:00")
