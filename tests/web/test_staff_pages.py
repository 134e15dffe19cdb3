"""Staff pages: only their departments (from the staff table), check-in and out by hand with a
reason (audited, nothing stored without one), the notice board, acting for a guardian, CSRF."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from central.api import create_app
from central.auth import TokenAuthority, TokenConfig
from central.db.schema import AuditRow, EventRow, NoticeRow, Presence, Staff, StaffDepartment
from central.store import CentralStore
from central.web.config import WebConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SECRET = "test-secret-that-is-long-enough-0123456789"
# Wednesday 25 March 2026, 09:00 in Stockholm.
NOW = dt.datetime(2026, 3, 25, 8, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    client: TestClient
    store: CentralStore
    changed: list[str | None] = field(default_factory=list)
    now: dt.datetime = NOW

    def csrf(self, path: str = "/login") -> str:
        m = CSRF.search(self.client.get(path).text)
        assert m, f"no csrf on {path}"
        return m.group(1)

    def sign_in(self, username: str = "lena") -> None:
        r = self.client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": self.csrf()},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text

    def events(self, child_id: str) -> list[EventRow]:
        with self.store.session() as s:
            return list(s.scalars(select(EventRow).where(EventRow.child_id == child_id)))


@pytest.fixture
def site(seeded: tuple[str, bytes]) -> Iterator[Site]:
    url, _key = seeded
    store = CentralStore(url)
    with store.session() as s, s.begin():
        lena = s.get(Staff, "s-lena")
        assert lena is not None
        lena.username = "lena"
        lena.password_hash = PasswordHasher().hash(PASSWORD)
    holder: dict[str, Site] = {}
    app = create_app(
        store,
        TokenAuthority(TokenConfig(SECRET, 900)),
        on_change=lambda dept: holder["site"].changed.append(dept),
        clock=lambda: holder["site"].now,
        web=WebConfig(),
        state_secret=SECRET,
    )
    with TestClient(app, base_url="https://testserver") as client:
        holder["site"] = Site(client, store)
        holder["site"].sign_in()
        yield holder["site"]
    store.close()


def test_day_lists_own_department_only(site: Site) -> None:
    r = site.client.get("/s", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/s/d/solen"
    page = site.client.get("/s/d/solen")
    assert page.status_code == 200
    for name in ("Alva Svensson", "Noah Svensson", "Elsa Lindqvist", "Omar Haddad"):
        assert name in page.text
    assert "Saga Ek" not in page.text  # månen's child
    assert 'href="tel:0701111111"' in page.text  # Anna, Alva's guardian, one tap away
    assert 'aria-current="page"' in page.text and '<nav class="tabs"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert site.client.get("/s/d/manen").status_code == 403
    assert site.client.get("/s/d/manen/utrymning").status_code == 403
    assert site.client.get("/s/d/manen/notices").status_code == 403
    assert site.client.get("/s/d/no-such").status_code == 403
    assert site.client.get("/static/app.js").status_code == 200


def test_departments_come_from_the_staff_table(site: Site) -> None:
    with site.store.session() as s, s.begin():
        s.add(StaffDepartment(staff_id="s-lena", department_id="manen"))
    page = site.client.get("/s/d/manen")
    assert page.status_code == 200 and "Saga Ek" in page.text
    assert 'href="/s/d/solen"' in page.text  # the department switcher
    with site.store.session() as s, s.begin():
        s.delete(s.get(StaffDepartment, ("s-lena", "manen")))
    assert site.client.get("/s/d/manen").status_code == 403


def test_check_in_by_hand_needs_a_reason(site: Site) -> None:
    csrf = site.csrf("/s/d/solen")
    r = site.client.post("/s/children/c-alva/check-in", data={"csrf": csrf, "reason": "  "})
    assert r.status_code == 422
    assert 'id="reason-c-alva-error"' in r.text and 'aria-invalid="true"' in r.text
    assert site.events("c-alva") == []
    assert site.changed == []
    with site.store.session() as s:
        assert s.get(Presence, "c-alva") is None
        assert s.scalars(select(AuditRow)).all() == []

    r = site.client.post(
        "/s/children/c-alva/check-in",
        data={"csrf": csrf, "reason": "glömde brickan"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/s/d/solen")
    [ev] = site.events("c-alva")
    assert (ev.method, ev.type, ev.actor_id, ev.occurred_at) == ("staff_override", "check_in", "s-lena", NOW)
    with site.store.session() as s:
        entry = s.scalars(select(AuditRow).where(AuditRow.entity_id == "c-alva")).one()
        assert (entry.actor_id, entry.action, entry.reason) == (
            "s-lena",
            "presence.check_in",
            "glömde brickan",
        )
    assert site.changed == ["solen"]
    page = site.client.get(r.headers["location"])
    assert "Alva har checkats in." in page.text  # the success message, in Swedish
    assert '<li><span class="count">1</span>' in page.text  # one here
    evac = site.client.get("/s/d/solen/utrymning")
    assert evac.status_code == 200 and "Alva Svensson" in evac.text and "Noah Svensson" not in evac.text


def test_check_out_of_another_departments_child_is_forbidden(site: Site) -> None:
    csrf = site.csrf("/s/d/solen")
    r = site.client.post("/s/children/c-saga/check-out", data={"csrf": csrf, "reason": "hämtad av mormor"})
    assert r.status_code == 403
    assert site.events("c-saga") == []


def test_missing_csrf_is_400(site: Site) -> None:
    r = site.client.post("/s/children/c-alva/check-in", data={"reason": "glömde brickan"})
    assert r.status_code == 400
    r = site.client.post(
        "/s/d/solen/notices", data={"text": "Hej", "first": "2026-03-25", "last": "2026-03-25"}
    )
    assert r.status_code == 400
    assert site.events("c-alva") == []
    with site.store.session() as s:
        assert s.scalars(select(NoticeRow)).all() == []


def test_notice_board(site: Site) -> None:
    csrf = site.csrf("/s/d/solen/notices")
    bad = site.client.post(
        "/s/d/solen/notices",
        data={"csrf": csrf, "text": "a\nb\nc\nd", "first": "2026-03-25", "last": "2026-06-30"},
    )
    assert bad.status_code == 422
    assert 'id="text-error"' in bad.text and 'id="last-error"' in bad.text
    assert site.changed == []
    r = site.client.post(
        "/s/d/solen/notices",
        data={"csrf": csrf, "text": "Fotografering på fredag", "first": "2026-03-25", "last": "2026-03-27"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with site.store.session() as s:
        [row] = s.scalars(select(NoticeRow)).all()
        assert (row.department_id, row.text, row.first, row.last, row.created_by) == (
            "solen",
            "Fotografering på fredag",
            dt.date(2026, 3, 25),
            dt.date(2026, 3, 27),
            "s-lena",
        )
        assert s.scalars(select(AuditRow).where(AuditRow.entity_id == row.id)).one().action == "notice.create"
        notice_id = row.id
    assert site.changed == ["solen"]
    assert "Fotografering på fredag" in site.client.get("/s/d/solen/notices").text
    # Another department's notice board is not Lena's to post on or delete from.
    assert site.client.post(f"/s/d/manen/notices/{notice_id}/delete", data={"csrf": csrf}).status_code == 403
    r = site.client.post(
        f"/s/d/solen/notices/{notice_id}/delete", data={"csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    with site.store.session() as s:
        assert s.scalars(select(NoticeRow)).all() == []
    assert site.changed == ["solen", "solen"]


def test_on_behalf(site: Site) -> None:
    page = site.client.get("/s/behalf")
    assert page.status_code == 200 and "Anna Svensson" in page.text and "Peter Ek" not in page.text
    csrf = site.csrf("/s/behalf")
    assert site.client.post("/s/behalf/g-peter", data={"csrf": csrf}).status_code == 403  # månen's
    r = site.client.post("/s/behalf/g-anna", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/g"
    assert "Anna Svensson" in site.client.get("/s/behalf").text
    assert "/s/behalf/stop" in site.client.get("/s/d/solen").text  # the banner's stop button
    r = site.client.post("/s/behalf/stop", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/s/behalf"
    assert "/s/behalf/stop" not in site.client.get("/s/d/solen").text


def test_signed_out_goes_to_the_front_page(site: Site) -> None:
    site.client.cookies.clear()
    r = site.client.get("/s/d/solen", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
