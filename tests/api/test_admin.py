"""Administrators: import (all or nothing), devices, units and switches, reports as JSON and CSV,
the audit log; and the command line's report, retention, token and staff commands."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from typer.testing import CliRunner

from central.auth import TokenAuthority, TokenConfig
from central.cli import app as cli
from central.db.schema import AuditRow, DeadLetter, EventRow, Staff, StaffDepartment
from central.importer import COLUMNS
from protocol.tags import verify_pin
from tests.api.conftest import SECRET, Api, snapshot

HEADER = ",".join(COLUMNS) + "\n"
WEEK = [{"arrive": "08:00", "leave": "16:00"}] * 5 + [None, None]


def test_import_all_or_nothing(api: Api) -> None:
    h = api.admin()
    before = snapshot(api.store)
    bad = HEADER + "stjarnan,Stjärnan,c-ny,Ny,Barn,g-ny,Ny Förälder,,not-an-email,\n"
    r = api.client.post("/admin/import", json={"csv": bad}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"] == ["line 2: guardian_email 'not-an-email' is not an e-mail address"]
    assert snapshot(api.store) == before
    r = api.client.post("/admin/import", json={"csv": "\r0"}, headers=h)  # found by schemathesis
    assert r.status_code == 422
    assert r.json()["errors"][0].startswith("line 1: the header has no comma or semicolon")
    assert snapshot(api.store) == before
    good = HEADER + "stjarnan,Stjärnan,c-ny,Ny,Barn,g-ny,Ny Förälder,,,\n"
    r = api.client.post("/admin/import", json={"csv": good}, headers=h)
    assert r.status_code == 200 and r.json()["children"] == 1
    assert "stjarnan" in api.changed


def test_devices_units_and_departments(api: Api) -> None:
    h = api.admin()
    before = snapshot(api.store)
    r = api.client.post("/admin/devices", json={"id": "dev-c", "department_id": "nowhere"}, headers=h)
    assert r.status_code == 422 and "no department" in r.json()["detail"]
    assert (
        api.client.post(
            "/admin/devices", json={"id": "Bad Id", "department_id": "solen"}, headers=h
        ).status_code
        == 422
    )
    assert (
        api.client.put("/admin/departments/solen/unit", json={"unit_id": "u-x"}, headers=h).status_code == 422
    )
    assert (
        api.client.put("/admin/units/u-1", json={"name": "x", "min_days_ahead": -1}, headers=h).status_code
        == 422
    )
    r = api.client.put("/admin/units/u-1", json={"name": "x", "phone": "ring oss"}, headers=h)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["phone"]
    assert snapshot(api.store) == before
    assert (
        api.client.post(
            "/admin/devices", json={"id": "dev-c", "department_id": "solen"}, headers=h
        ).status_code
        == 201
    )
    assert {d["id"] for d in api.client.get("/admin/devices", headers=h).json()} == {
        "dev-a",
        "dev-b",
        "dev-c",
    }
    assert api.client.delete("/admin/devices/dev-c", headers=h).status_code == 204
    assert api.client.delete("/admin/devices/dev-c", headers=h).status_code == 404
    unit = {
        "name": "Solens förskola",
        "absence_reporting": True,
        "handover_mode": "staff_confirmed",
        "min_days_ahead": 7,
        "closing_time": "17:30",
        "phone": "08-123 456 78",
    }
    r = api.client.put("/admin/units/u-sol", json=unit, headers=h)
    assert r.status_code == 200 and r.json()["contact_editing"] is True
    assert r.json()["phone"] == "08-123 456 78"
    assert (
        api.client.put("/admin/departments/solen/unit", json={"unit_id": "u-sol"}, headers=h).json()[
            "unit_id"
        ]
        == "u-sol"
    )
    actions = [e["action"] for e in api.client.get("/admin/audit", headers=h).json()]
    assert actions == ["department.unit", "unit.put", "device.remove", "device.add"]


def test_reports_json_and_csv(api: Api) -> None:
    g = api.guardian()
    api.client.post(
        "/guardian/children/c-alva/schedules", json={"valid_from": "2026-03-25", "weeks": [WEEK]}, headers=g
    )
    h = api.admin()
    rows = api.client.get("/admin/reports/hours?year=2026&month=3&department_id=solen", headers=h).json()
    alva = next(r for r in rows if r["child_id"] == "c-alva")
    assert alva["scheduled_hours"] == 40.0  # 25, 26, 27, 30, 31 March, 8 h each
    csv_r = api.client.get("/admin/reports/hours?year=2026&month=3&format=csv", headers=h)
    assert csv_r.headers["content-type"].startswith("text/csv")
    assert "c-alva,2026,3,40.00,40.00,0.00,0" in csv_r.text
    exp = api.client.get(
        "/admin/reports/expected?first=2026-03-27&last=2026-03-28&format=csv", headers=h
    ).text
    assert exp.splitlines()[:3] == ["department_id,date,expected", "manen,2026-03-27,0", "manen,2026-03-28,0"]
    assert "solen,2026-03-27,1" in exp
    assert (
        api.client.get("/admin/reports/expected?first=2026-03-28&last=2026-03-27", headers=h).status_code
        == 422
    )
    twice = api.client.get(
        "/admin/reports/hours?year=2026&month=3&department_id=solen&department_id=manen", headers=h
    )
    assert twice.status_code == 422
    assert twice.json()["detail"] == "query parameter(s) given more than once: department_id"
    typo = api.client.get("/admin/reports/hours?year=2026&month=3&departmentid=solen", headers=h)
    assert (typo.status_code, typo.json()["detail"]) == (422, "unknown query parameter(s): departmentid")


def test_cli_report_retention_token_and_staff(api: Api, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = str(api.store.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=500)
    with api.store.session() as s, s.begin():
        s.add(
            EventRow(
                event_id=str(uuid.uuid4()),
                device_id="dev-a",
                seq=1,
                type="check_in",
                child_id="c-alva",
                actor_kind="guardian",
                actor_id="g-anna",
                method="tag",
                occurred_at=old,
                clock_synced=True,
                received_at=old,
            )
        )
        s.add(DeadLetter(received_at=old, topic="t", reason="r", payload=b"x"))
        s.add(AuditRow(at=old, actor_role="admin", actor_id="a", action="x", entity="x", entity_id="x"))
        s.add(
            AuditRow(
                at=dt.datetime.now(dt.UTC),
                actor_role="admin",
                actor_id="a",
                action="y",
                entity="y",
                entity_id="y",
            )
        )
    r = runner.invoke(cli, ["retention", "purge", "--older-than", "400", "--yes", "--db", db])
    assert r.exit_code == 0, r.output
    assert "events=1 dead_letters=1 audit_entries=1" in r.output
    with api.store.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditRow)) == 1
    assert runner.invoke(cli, ["retention", "purge", "--older-than", "5", "--yes", "--db", db]).exit_code == 1

    out = tmp_path / "hours.csv"
    r = runner.invoke(
        cli, ["report", "hours", "--year", "2026", "--month", "3", "--out", str(out), "--db", db]
    )
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("child_id,year,month,scheduled,planned,attended,open_intervals\n")
    r = runner.invoke(
        cli, ["report", "expected", "--first", "2026-03-02", "--last", "2026-03-01", "--db", db]
    )
    assert r.exit_code == 1

    monkeypatch.setenv("LH_API_SECRET", SECRET)
    r = runner.invoke(cli, ["token", "--role", "staff", "--subject", "s-lena", "--department", "solen"])
    assert r.exit_code == 0, r.output
    token = r.output.strip()
    p = TokenAuthority(TokenConfig(SECRET)).authenticate(token)
    # The token names the person; the departments come from the staff table, not the token.
    assert (p.subject, p.role, p.department_ids) == ("s-lena", "staff", frozenset())
    assert api.client.get("/staff/departments", headers={"Authorization": f"Bearer {token}"}).json() == [
        "solen"
    ]
    assert runner.invoke(cli, ["token", "--role", "guardian", "--subject", "x"]).exit_code == 1

    r = runner.invoke(
        cli,
        [
            "staff",
            "add",
            "s-olle",
            "--name",
            "Olle Ek",
            "--department",
            "manen",
            "--pin",
            "480917",
            "--db",
            db,
        ],
    )
    assert r.exit_code == 0, r.output
    assert (
        runner.invoke(
            cli, ["staff", "add", "s-x", "--name", "X", "--department", "nowhere", "--db", db]
        ).exit_code
        == 1
    )
    with api.store.session() as s:
        assert verify_pin("480917", s.get(Staff, "s-olle").pin_hash)  # stored as a hash, never the PIN
        assert s.scalars(
            select(StaffDepartment.department_id).where(StaffDepartment.staff_id == "s-olle")
        ).all() == ["manen"]
        assert s.get(Staff, "s-x") is None
