"""Who may do what: role × endpoint × own/other.  A refusal is a bare 403 ``{"detail": "forbidden"}``
(the same for another family's child, another department and an id that does not exist), and
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from central.db import schema
from central.db.schema import Department, Unit
from tests.api.conftest import Api, snapshot

WEEK = [{"arrive": "08:00", "leave": "16:00"}] * 5 + [None, None]
SCHEDULE = {"valid_from": "2026-04-06", "weeks": [WEEK]}
AGREEMENT = {"kind": "note", "first": "2026-03-26", "text": "matsäck"}
LEAVE = {"first": "2026-03-27"}
ABSENCE = {"day": "2026-03-25"}
CORRECTION = {"reason": "glömde brickan"}
NIL = "00000000-0000-0000-0000-000000000000"

GUARDIAN_CHILD: list[tuple[str, str, Any]] = [
    ("GET", "/guardian/children/{c}/plan", None),
    ("GET", "/guardian/children/{c}/schedules", None),
    ("POST", "/guardian/children/{c}/schedules", SCHEDULE),
    ("PUT", f"/guardian/children/{{c}}/schedules/{NIL}", SCHEDULE),
    ("GET", "/guardian/children/{c}/agreements", None),
    ("POST", "/guardian/children/{c}/agreements", AGREEMENT),
    ("DELETE", f"/guardian/children/{{c}}/agreements/{NIL}", None),
    ("GET", "/guardian/children/{c}/leave", None),
    ("POST", "/guardian/children/{c}/leave", LEAVE),
    ("DELETE", f"/guardian/children/{{c}}/leave/{NIL}", None),
    ("GET", "/guardian/children/{c}/absences", None),
    ("POST", "/guardian/children/{c}/absences", ABSENCE),
]
GUARDIAN_SELF: list[tuple[str, str, Any]] = [
    ("GET", "/guardian/children", None),
    ("GET", "/guardian/contact", None),
    ("PUT", "/guardian/contact", {"phone": "070-123 45 67"}),
]
STAFF_DEPARTMENT: list[tuple[str, str, Any]] = [
    ("GET", "/staff/departments/{d}/presence", None),
    ("GET", "/staff/departments/{d}/plan", None),
    ("GET", "/staff/departments/{d}/deviations", None),
]
STAFF_CHILD: list[tuple[str, str, Any]] = [
    ("POST", "/staff/children/{c}/check-in", CORRECTION),
    ("POST", "/staff/children/{c}/check-out", CORRECTION),
]
ADMIN: list[tuple[str, str, Any]] = [
    ("POST", "/admin/import", {"csv": "x"}),
    ("GET", "/admin/devices", None),
    ("POST", "/admin/devices", {"id": "dev-x", "department_id": "solen"}),
    ("DELETE", "/admin/devices/dev-a", None),
    ("GET", "/admin/units", None),
    ("PUT", "/admin/units/u-1", {"name": "Enhet"}),
    ("GET", "/admin/departments", None),
    ("PUT", "/admin/departments/solen/unit", {"unit_id": None}),
    ("GET", "/admin/reports/hours?year=2026&month=3", None),
    ("GET", "/admin/reports/expected?first=2026-03-23&last=2026-03-27", None),
    ("GET", "/admin/audit", None),
]


def _call(api: Api, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return api.client.request(method, path, json=body, headers=headers)


def _assert_refused(api: Api, cases: list[tuple[str, str, Any]], headers: dict[str, str], **fmt: str) -> None:
    before = snapshot(api.store)
    for method, path, body in cases:
        url = path.format(**fmt)
        r = _call(api, method, url, body, headers)
        assert (r.status_code, r.json()) == (403, {"detail": "forbidden"}), f"{method} {url}"
    assert snapshot(api.store) == before
    assert api.changed == [] and api.notifier.notices == []


def _assert_allowed(api: Api, cases: list[tuple[str, str, Any]], headers: dict[str, str], **fmt: str) -> None:
    for method, path, body in cases:
        url = path.format(**fmt)
        r = _call(api, method, url, body, headers)
        assert r.status_code != 403 and r.status_code < 500, f"{method} {url}: {r.status_code} {r.text}"


@pytest.fixture
def absences_on(api: Api) -> Api:
    with api.store.session() as s, s.begin():
        s.add(Unit(id="u-all", name="Alla", absence_reporting=True))
        s.flush()
        for d in ("solen", "manen"):
            s.get(Department, d).unit_id = "u-all"
    return api


def test_guardian_other_familys_child_is_403(absences_on: Api) -> None:
    api = absences_on
    for other in ("c-elsa", "c-saga", "c-nobody"):  # same department, other department, no such child
        _assert_refused(api, GUARDIAN_CHILD, api.guardian("g-anna"), c=other)
    _assert_allowed(api, GUARDIAN_CHILD, api.guardian("g-anna"), c="c-alva")
    _assert_allowed(api, GUARDIAN_SELF, api.guardian("g-anna"))


def test_staff_other_department_is_403(api: Api) -> None:
    lena = api.staff("s-lena", ("solen",))
    _assert_refused(api, STAFF_DEPARTMENT, lena, d="manen")
    _assert_refused(api, STAFF_DEPARTMENT, lena, d="nowhere")
    _assert_refused(api, STAFF_CHILD, lena, c="c-saga")
    _assert_refused(api, STAFF_CHILD, lena, c="c-nobody")
    _assert_allowed(api, STAFF_DEPARTMENT, lena, d="solen")
    _assert_allowed(api, STAFF_CHILD, lena, c="c-alva")


@pytest.mark.parametrize("role", ["guardian", "staff", "admin"])
def test_wrong_role_is_403(api: Api, role: str) -> None:
    headers = {"guardian": api.guardian(), "staff": api.staff(), "admin": api.admin()}[role]
    if role != "guardian":
        _assert_refused(api, GUARDIAN_CHILD + GUARDIAN_SELF, headers, c="c-alva")
    if role != "staff":
        _assert_refused(api, STAFF_DEPARTMENT, headers, d="solen")
        _assert_refused(api, STAFF_CHILD, headers, c="c-alva")
    if role != "admin":
        _assert_refused(api, ADMIN, headers)
    else:
        _assert_allowed(api, ADMIN, headers)


def test_no_or_bad_token_is_401(api: Api) -> None:
    expired = api.authority.mint("g-anna", "guardian", guardian_id="g-anna", ttl_s=60, now=api.now)
    forged = api.guardian()["Authorization"][:-4] + "AAAA"
    for headers in ({}, {"Authorization": f"Bearer {expired}"}, {"Authorization": forged}):
        for method, path, body in GUARDIAN_CHILD[:3] + STAFF_DEPARTMENT[:1] + ADMIN[:2]:
            r = _call(api, method, path.format(c="c-alva", d="solen"), body, headers)
            assert r.status_code == 401, (path, headers)
            assert r.headers["www-authenticate"] == "Bearer"


def test_staff_departments_come_from_the_staff_table_not_the_token(api: Api) -> None:
    """A token claiming another department does not open it; removing the staff member closes all."""
    forged = api.staff("s-lena", ("solen", "manen"))
    assert api.client.get("/staff/departments/manen/presence", headers=forged).status_code == 403
    assert api.client.get("/staff/departments/solen/presence", headers=forged).status_code == 200
    with api.store.session() as s, s.begin():
        s.execute(delete(schema.StaffDepartment).where(schema.StaffDepartment.staff_id == "s-lena"))
    assert api.client.get("/staff/departments/solen/presence", headers=forged).status_code == 403
    with api.store.session() as s, s.begin():
        s.execute(delete(schema.Staff).where(schema.Staff.id == "s-lena"))
    assert api.client.get("/staff/departments", headers=forged).status_code == 403
