"""Guardians' pages over the seeded database: what they show, what they store, what they refuse.

The browser is httpx (FastAPI's TestClient) on https://testserver, so the Secure session
cookie is sent; the session itself is made by the session store, as sign-in makes it (the
sign-in flows through a real OpenID provider are in test_signin.py).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from central.db.schema import AgreementRow, AuditRow, Department, LeaveRow, ScheduleRow, Unit
from central.web import sessions
from tests.api.conftest import Api, api, snapshot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def sign_in(ca: Api, *, guardian: str | None = None, staff: str | None = None, lang: str = "sv") -> None:
    with ca.store.session() as s, s.begin():
        token = sessions.create(s, sessions.Identity(guardian, staff), lang=lang, now=ca.now)
    ca.client.cookies.set(sessions.COOKIE, token)


def csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


@pytest.fixture
def web(api: Api) -> Api:  # noqa: F811 - the fixture imported above
    api.client.base_url = "https://testserver"  # type: ignore[assignment]
    return api


def test_overview_shows_my_children_and_nobody_elses(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    r = web.client.get("/g")
    assert r.status_code == 200
    assert "Alva Svensson" in r.text and "Noah Svensson" in r.text
    assert "Elsa" not in r.text and "Saga" not in r.text
    assert "Översikt" in r.text and 'lang="sv"' in r.text
    # The same data as JSON, from the same function.
    j = web.client.get("/guardian/overview", headers=web.guardian("g-anna")).json()
    assert [c["first_name"] for c in j] == ["Alva", "Noah"] and len(j[0]["days"]) == 7


def test_every_guardian_page_renders_in_both_languages(web: Api) -> None:
    sign_in(web, guardian="g-anna", lang="en")
    for path in ("/g", "/g/schema", "/g/avtal", "/g/ledighet", "/g/franvaro", "/g/uppgifter"):
        r = web.client.get(path)
        assert r.status_code == 200, path
        assert 'lang="en"' in r.text and "Overview" in r.text


def test_a_two_week_schedule_is_saved_and_bad_times_change_nothing(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g/schema?child=c-alva&weeks=2").text
    form = {"csrf": csrf(page), "child": "c-alva", "n_weeks": "2", "valid_from": "2026-03-30"}
    for w in range(2):
        for d in range(5):
            form[f"w{w}d{d}a"], form[f"w{w}d{d}l"] = ("08:00", "15:00") if w == 0 else ("07:00", "16:00")
    bad = dict(form, w1d2l="06:00")  # pick-up before drop-off on Wednesday of week 2
    before = snapshot(web.store)
    r = web.client.post("/g/schema", data=bad, follow_redirects=False)
    assert r.status_code == 422
    assert "Hämtning måste vara efter lämning" in r.text or "after the drop-off" in r.text
    assert snapshot(web.store) == before
    r = web.client.post("/g/schema", data=form, follow_redirects=False)
    assert r.status_code == 303
    with web.store.session() as s:
        row = s.scalars(select(ScheduleRow).where(ScheduleRow.child_id == "c-alva")).one()
        assert len(row.weeks) == 2 and row.weeks[1][0] == ["07:00", "16:00"]
    assert "solen" in web.changed


def test_notice_period_is_shown_and_enforced(web: Api) -> None:
    with web.store.session() as s, s.begin():
        s.add(Unit(id="u1", name="Solens förskola", kind="preschool", min_days_ahead=14))
        s.flush()
        s.get(Department, "solen").unit_id = "u1"  # type: ignore[union-attr]
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g/schema?child=c-alva").text
    assert "14 dagar" in page and "2026-04-08" in page  # 25 March + 14 days
    form = {
        "csrf": csrf(page),
        "child": "c-alva",
        "n_weeks": "1",
        "valid_from": "2026-03-30",
        "w0d0a": "08:00",
        "w0d0l": "15:00",
    }
    r = web.client.post("/g/schema", data=form)
    assert r.status_code == 422 and "14" in r.text
    with web.store.session() as s:
        assert s.scalars(select(ScheduleRow)).first() is None


def test_pickup_by_agreement_notifies_the_other_guardian(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g/avtal").text
    form = {
        "csrf": csrf(page),
        "child": "c-alva",
        "kind": "pickup_by",
        "person_name": "Eva Svensson",
        "person_relation": "Mormor",
        "person_phone": "070-999 99 99",
        "first": "2026-03-27",
        "text": "Hämtar 15:00",
    }
    missing = dict(form, person_name="")
    r = web.client.post("/g/avtal", data=missing)
    assert r.status_code == 422 and 'id="person_name-error"' in r.text
    r = web.client.post("/g/avtal", data=form, follow_redirects=False)
    assert r.status_code == 303
    with web.store.session() as s:
        row = s.scalars(select(AgreementRow)).one()
        assert row.person_name == "Eva Svensson" and row.first.isoformat() == "2026-03-27"
    assert [n.recipients[0].guardian_id for n in web.notifier.notices] == ["g-erik"]
    listed = web.client.get("/g/avtal").text
    assert "Eva Svensson" in listed
    r = web.client.post(f"/g/avtal/{row.id}/cancel", data={"csrf": csrf(listed)}, follow_redirects=False)
    assert r.status_code == 303
    with web.store.session() as s:
        assert s.scalars(select(AgreementRow)).first() is None


def test_leave_recurring_weekdays_and_a_foreign_child_is_refused(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g/ledighet").text
    form = {
        "csrf": csrf(page),
        "child": "c-noah",
        "first": "2026-03-30",
        "last": "2026-04-24",
        "recurring": "1",
        "weekdays": ["4"],
    }
    assert web.client.post("/g/ledighet", data=form, follow_redirects=False).status_code == 303
    with web.store.session() as s:
        assert s.scalars(select(LeaveRow)).one().weekdays == [4]
    before = snapshot(web.store)
    r = web.client.post("/g/ledighet", data=dict(form, child="c-saga"))
    assert r.status_code == 403 and "Traceback" not in r.text
    assert snapshot(web.store) == before


def test_absence_where_switched_off_says_call(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g/franvaro").text
    assert "telefon" in page or "phone" in page
    before = snapshot(web.store)
    r = web.client.post("/g/franvaro", data={"csrf": csrf(page), "child": "c-alva", "day": "2026-03-26"})
    assert r.status_code == 422
    assert snapshot(web.store) == before


def test_contact_details_refuse_a_bad_phone(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g/uppgifter").text
    before = snapshot(web.store)
    r = web.client.post(
        "/g/uppgifter", data={"csrf": csrf(page), "phone": "ring mig", "email": "anna@example.se"}
    )
    assert r.status_code == 422 and 'id="phone-error"' in r.text
    assert snapshot(web.store) == before
    r = web.client.post(
        "/g/uppgifter",
        data={"csrf": csrf(page), "phone": "070-123 45 67", "email": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_a_form_without_its_csrf_token_is_refused(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    before = snapshot(web.store)
    r = web.client.post("/g/ledighet", data={"child": "c-alva", "first": "2026-03-30"})
    assert r.status_code == 400
    assert snapshot(web.store) == before


def test_staff_acting_for_a_guardian_is_audited_on_their_behalf(web: Api) -> None:
    sign_in(web, staff="s-lena")
    c = web.client
    page = c.get("/s/behalf").text
    r = c.post("/s/behalf/g-anna", data={"csrf": csrf(page)}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/g/ledighet").text
    assert "Anna Svensson" in page  # the banner names whom they act for
    r = c.post(
        "/g/ledighet",
        data={"csrf": csrf(page), "child": "c-alva", "first": "2026-03-30"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with web.store.session() as s:
        audit = s.scalars(select(AuditRow).where(AuditRow.entity == "leave")).one()
        assert (audit.actor_role, audit.actor_id, audit.on_behalf_of) == ("staff", "s-lena", "g-anna")


def test_absence_tab_only_where_the_unit_takes_absence_on_the_web(web: Api) -> None:
    sign_in(web, guardian="g-anna")
    page = web.client.get("/g").text
    assert 'href="/g/franvaro"' not in page and "anmäls per telefon" in page
    with web.store.session() as s, s.begin():
        s.add(Unit(id="u1", name="Solens förskola", kind="preschool", absence_reporting=True))
        s.flush()
        s.get(Department, "solen").unit_id = "u1"  # type: ignore[union-attr]
    page = web.client.get("/g").text
    assert 'href="/g/franvaro"' in page and "Anmäl frånvaro för Alva" in page
    form = web.client.get("/g/franvaro").text
    assert '<form method="post" action="/g/franvaro"' in form, "the form is there to report on"
    assert "anmäls per telefon" not in form
    r = web.client.post(
        "/g/franvaro",
        data={"csrf": csrf(form), "child": "c-alva", "day": "2026-03-26"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = web.client.get(r.headers["location"]).text
    assert "Frånvaron är anmäld" in page and "2026-03-26" in page, "listed under reported absence"


def test_where_absence_goes_by_phone_the_unit_s_number_is_one_tap_away(web: Api) -> None:
    """A guardian at 07:30 with a sick child: the number to call, as a tel: link."""
    sign_in(web, guardian="g-anna")
    assert "tel:" not in web.client.get("/g").text, "no number known: the sentence alone"
    with web.store.session() as s, s.begin():
        s.add(Unit(id="u1", name="Solens förskola", kind="preschool", phone="08-123 456 78"))
        s.flush()
        s.get(Department, "solen").unit_id = "u1"  # type: ignore[union-attr]
    page = web.client.get("/g").text
    assert '<a href="tel:0812345678">Ring 08-123 456 78</a>' in page
    page = web.client.get("/g/franvaro").text
    assert "anmäls per telefon" in page and 'href="tel:0812345678"' in page
    assert '<form method="post" action="/g/franvaro"' not in page
