"""Issue 11, task 4: extreme but well-formed dates and instants are a 422, never a 5xx.

Dates at the ends of Python's range (0001-01-01, 9999-12-31) overflowed in the day-bounds
and time-zone arithmetic; an instant like 0001-01-01T00:00:00+14:00 cannot be turned into
UTC at all.  Each such request must be refused with a reason and change nothing.
"""

from __future__ import annotations

import itertools

import pytest

from tests.api.conftest import Api, snapshot

EXTREME_DATES = ["0001-01-01", "0001-01-02", "1899-12-31", "2101-01-01", "9999-12-30", "9999-12-31"]


@pytest.mark.parametrize("date", EXTREME_DATES)
@pytest.mark.parametrize("what", ["presence", "plan"])
def test_staff_day_views_refuse_extreme_dates(api: Api, what: str, date: str) -> None:
    r = api.client.get(f"/staff/departments/solen/{what}", params={"date": date}, headers=api.staff())
    assert r.status_code == 422, r.text
    assert "date" in r.text


@pytest.mark.parametrize("what", ["presence", "plan"])
def test_staff_day_views_still_answer_ordinary_dates(api: Api, what: str) -> None:
    for date in ("2000-01-01", "2026-03-29", "2100-12-31"):
        r = api.client.get(f"/staff/departments/solen/{what}", params={"date": date}, headers=api.staff())
        assert r.status_code == 200, (date, r.text)
        assert r.json()["date"] == date


@pytest.mark.parametrize(("first", "last"), [*itertools.product(["0001-01-01", "9999-12-31"], repeat=2)])
def test_expected_report_refuses_extreme_ranges(api: Api, first: str, last: str) -> None:
    r = api.client.get("/admin/reports/expected", params={"first": first, "last": last}, headers=api.admin())
    assert r.status_code == 422, r.text


def test_expected_report_still_answers(api: Api) -> None:
    r = api.client.get(
        "/admin/reports/expected", params={"first": "2026-03-23", "last": "2026-03-29"}, headers=api.admin()
    )
    assert r.status_code == 200, r.text
    assert {row["date"] for row in r.json()} >= {"2026-03-25"}


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: not representable
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "9999-12-31T23:59:59+00:00",
        "2026-03-25T09:06:00+01:00",  # six minutes ahead of the clock (NOW is 09:00 local)
        "2026-03-18T08:59:00+01:00",  # a minute more than seven days back
    ],
)
@pytest.mark.parametrize("kind", ["check-in", "check-out"])
def test_corrections_refuse_impossible_instants(api: Api, kind: str, occurred_at: str) -> None:
    before = snapshot(api.store)
    r = api.client.post(
        f"/staff/children/c-alva/{kind}",
        json={"reason": "rättelse", "occurred_at": occurred_at},
        headers=api.staff(),
    )
    assert r.status_code == 422, r.text
    assert snapshot(api.store) == before


def test_corrections_at_the_edges_are_accepted(api: Api) -> None:
    for occurred_at in ("2026-03-25T09:04:59+01:00", "2026-03-18T09:00:01+01:00"):
        r = api.client.post(
            "/staff/children/c-alva/check-in",
            json={"reason": "rättelse", "occurred_at": occurred_at},
            headers=api.staff(),
        )
        assert r.status_code == 201, (occurred_at, r.text)


PATH_VALUES = {"department_id": "solen", "child_id": "c-alva", "unit_id": "u-1", "device_id": "dev-a"}


def test_no_date_query_parameter_anywhere_gives_a_5xx(api: Api) -> None:
    """Every GET route with a date-typed query parameter, every role, both ends of the range."""
    spec = api.client.get("/openapi.json").json()
    headers = {
        "admin": api.admin(),
        "staff": api.staff(),
        "guardian": api.guardian(),
    }
    tried = 0
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        params = op.get("parameters", [])
        dates = [
            p["name"]
            for p in params
            if p["in"] == "query"
            and any(s.get("format") == "date" for s in [p["schema"], *p["schema"].get("anyOf", [])])
        ]
        if not dates:
            continue
        url = path.format(**{k: v for k, v in PATH_VALUES.items() if "{" + k + "}" in path})
        for value in ("0001-01-01", "9999-12-31"):
            for h in headers.values():
                r = api.client.get(url, params=dict.fromkeys(dates, value), headers=h)
                assert r.status_code < 500, (url, value, r.status_code, r.text[:300])
                tried += 1
    assert tried >= 3 * 2 * 3, "the staff presence, plan and expected report at least"
