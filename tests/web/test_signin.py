"""Signing in over HTTP against a real central process and real OpenID providers: the
oidc-provider-mock for the ordinary ways in, :mod:`tests.web.idp` for ID tokens that must be
refused.  Redirects are followed by hand, so each hop of the flow is checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from central.web.i18n import Words
from tests.web.conftest import (
    GUARDIAN_PNR,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    Agent,
    CentralWeb,
    MockProvider,
    new_agent,
    seed_web,
    start_central_web,
    web_env,
)
from tests.web.idp import FAULTS

SESSION = "lh_session"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def oidc_sign_in(agent: Agent, web: CentralWeb, kind: str, sub: str | None = None) -> httpx.Response:
    """/login/{kind} -> the provider (its form posted with ``sub`` if it shows one) -> central's
    callback; returns central's answer to the callback."""
    r = agent.get(f"{web.url}/login/{kind}")
    assert r.status_code == 302, r.text
    authorize = r.headers["location"]
    assert not authorize.startswith(web.url)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    r = agent.get(authorize)
    if r.status_code == 200:  # oidc-provider-mock's form: type the subject, press Authorize
        assert 'name="sub"' in r.text and "Authorize" in r.text
        r = agent.post(authorize, data={"sub": sub})
    assert r.status_code == 302, r.text
    callback = r.headers["location"]
    assert callback.startswith(f"{web.url}/auth/{kind}?"), callback
    return agent.get(callback)


def session_cookie_header(agent: Agent) -> str:
    return next(h for h in reversed(agent.set_cookie_headers) if h.startswith(SESSION + "="))


def page(agent: Agent, web: CentralWeb, path: str) -> httpx.Response:
    return agent.get(web.url + path)


def test_guardian_signs_in_with_e_id(agent: Agent, central_web: CentralWeb) -> None:
    r = oidc_sign_in(agent, central_web, "guardian", "anna")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = session_cookie_header(agent).lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert SESSION in agent.cookies(central_web.url)

    r = page(agent, central_web, "/")
    assert r.status_code == 303 and r.headers["location"] == "/g"
    r = page(agent, central_web, "/g")
    assert not (r.is_redirect and r.headers["location"] in ("/", "/role")), r.headers
    if r.status_code != 404:  # the guardian pages are being written
        assert r.status_code == 200
    # Signed in as Anna: every page's header says so.
    r = page(agent, central_web, "/tillganglighet")
    assert r.status_code == 200 and "Anna Svensson" in r.text
    # The identity number went no further than the sign-in.
    assert "19800101" not in central_web.log_text()


def test_staff_sign_in_with_work_account(agent: Agent, central_web: CentralWeb) -> None:
    r = oidc_sign_in(agent, central_web, "staff", "lena")
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = page(agent, central_web, "/")
    assert r.status_code == 303 and r.headers["location"] == "/s"
    assert "Lena Pedagog" in page(agent, central_web, "/tillganglighet").text


def test_unknown_person_sees_who_to_ask_and_gets_no_session(agent: Agent, central_web: CentralWeb) -> None:
    r = oidc_sign_in(agent, central_web, "guardian", "stranger")
    assert r.status_code == 403
    assert '<html lang="sv">' in r.text
    heading = Words("sv")("We could not find you")
    assert heading != "We could not find you" and f"<h1>{heading}</h1>" in r.text  # in Swedish
    assert "031-123 45 67" in r.text  # LH_WEB_CONTACT
    assert "Traceback" not in r.text and "Exception" not in r.text
    assert SESSION not in agent.cookies(central_web.url)
    assert page(agent, central_web, "/").status_code == 200  # still the front page
    assert "Traceback" not in central_web.log_text()
    assert "19990909" not in central_web.log_text()


def test_person_who_is_guardian_and_staff_chooses_a_role(agent: Agent, central_web: CentralWeb) -> None:
    r = oidc_sign_in(agent, central_web, "guardian", "maria")
    assert r.status_code == 303 and r.headers["location"] == "/role"
    # No page of either role until a role is chosen.
    assert page(agent, central_web, "/").headers["location"] == "/role"
    r = page(agent, central_web, "/role")
    assert r.status_code == 200
    assert 'value="guardian"' in r.text and 'value="staff"' in r.text
    csrf = csrf_of(r.text)
    r = agent.post(central_web.url + "/role", data={"role": "admin", "csrf": csrf})
    assert r.status_code == 422
    r = agent.post(central_web.url + "/role", data={"role": "staff", "csrf": "forged"})
    assert r.status_code == 400
    r = agent.post(central_web.url + "/role", data={"role": "staff", "csrf": csrf})
    assert r.status_code == 303
    assert page(agent, central_web, "/").headers["location"] == "/s"
    # The role holds for the session: choosing again changes nothing.
    agent.post(central_web.url + "/role", data={"role": "guardian", "csrf": csrf})
    assert page(agent, central_web, "/").headers["location"] == "/s"


def test_sign_out_ends_the_session(agent: Agent, central_web: CentralWeb) -> None:
    assert oidc_sign_in(agent, central_web, "guardian", "anna").status_code == 303
    old = agent.cookies(central_web.url)[SESSION]
    r = page(agent, central_web, "/tillganglighet")
    r = agent.post(central_web.url + "/logout", data={"csrf": csrf_of(r.text)})
    assert r.status_code == 303 and r.headers["location"] == "/?signed_out=1"
    assert SESSION not in agent.cookies(central_web.url)
    # A copy of the old cookie is dead too: the server-side session is gone.
    copy = httpx.get(central_web.url + "/", cookies={SESSION: old}, timeout=10)
    assert copy.status_code == 200 and "Anna Svensson" not in copy.text
    copy = httpx.get(central_web.url + "/role", cookies={SESSION: old}, timeout=10)
    assert copy.status_code == 303 and copy.headers["location"] == "/"


def test_sign_out_needs_the_sessions_csrf_token(agent: Agent, central_web: CentralWeb) -> None:
    assert oidc_sign_in(agent, central_web, "guardian", "anna").status_code == 303
    assert agent.post(central_web.url + "/logout", data={"csrf": "forged"}).status_code == 400
    assert page(agent, central_web, "/").headers["location"] == "/g"


def test_e_id_sign_in_is_rate_limited(agent: Agent, central_web: CentralWeb) -> None:
    statuses = [agent.get(central_web.url + "/login/guardian").status_code for _ in range(11)]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429
    r = agent.get(central_web.url + "/login/staff")
    assert r.status_code == 429 and "Traceback" not in r.text


def test_local_password_sign_in(agent: Agent, central_web: CentralWeb) -> None:
    r = page(agent, central_web, "/login")
    assert r.status_code == 200
    r = agent.post(
        central_web.url + "/login",
        data={"username": STAFF_USERNAME, "password": STAFF_PASSWORD, "csrf": csrf_of(r.text)},
    )
    assert r.status_code == 303, r.text
    assert page(agent, central_web, "/").headers["location"] == "/s"


def test_password_sign_in_is_rate_limited(agent: Agent, central_web: CentralWeb) -> None:
    """Per client address: after ten misses (whichever names), even the right password is 429."""
    csrf = csrf_of(page(agent, central_web, "/login").text)
    statuses = [
        agent.post(
            central_web.url + "/login", data={"username": f"guess{i}", "password": "wrong", "csrf": csrf}
        ).status_code
        for i in range(10)
    ]
    assert statuses == [401] * 10
    right = {"username": STAFF_USERNAME, "password": STAFF_PASSWORD, "csrf": csrf}
    r = agent.post(central_web.url + "/login", data=right)
    assert r.status_code == 429 and "Traceback" not in r.text
    assert int(r.headers["retry-after"]) > 0
    assert SESSION not in agent.cookies(central_web.url)
    # Another address is not held up.
    other = new_agent()
    try:
        csrf = csrf_of(page(other, central_web, "/login").text)
        assert other.post(central_web.url + "/login", data=right | {"csrf": csrf}).status_code == 303
    finally:
        other.close()


def test_password_guessing_one_user_name_is_rate_limited(central_web: CentralWeb) -> None:
    """Per user name too: guesses spread over many addresses still stop at ten."""
    statuses = []
    for _ in range(11):
        a = new_agent()
        try:
            csrf = csrf_of(page(a, central_web, "/login").text)
            data = {"username": "guessed-name", "password": "wrong", "csrf": csrf}
            statuses.append(a.post(central_web.url + "/login", data=data).status_code)
        finally:
            a.close()
    assert statuses == [401] * 10 + [429]


# -- ID tokens that must be refused (tests/web/idp.py) ----------------------------------


@pytest.fixture
def idp(faulty_idp: Any) -> Any:
    """The module's faulty provider, reset: no fault, Anna's identity number in the token."""
    faulty_idp.fault = None
    faulty_idp.token_requests = 0
    faulty_idp.claims = {"personal_identity_number": GUARDIAN_PNR}
    return faulty_idp


def test_the_faulty_provider_signs_in_when_it_is_not_faulty(
    agent: Agent, faulty_web: CentralWeb, idp: Any
) -> None:
    """The control: the same provider with no fault signs Anna in, so the refusals below are
    about the ID token and nothing else."""
    r = oidc_sign_in(agent, faulty_web, "guardian")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert SESSION in agent.cookies(faulty_web.url)
    assert idp.token_requests == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_a_bad_id_token_is_refused(agent: Agent, faulty_web: CentralWeb, idp: Any, fault: str) -> None:
    idp.fault = fault
    r = oidc_sign_in(agent, faulty_web, "guardian")
    assert idp.token_requests == 1  # the code was exchanged; the ID token itself was refused
    assert r.status_code == 400
    assert '<html lang="sv">' in r.text and "Traceback" not in r.text
    assert SESSION not in agent.cookies(faulty_web.url)
    assert not any(h.startswith(SESSION + "=") for h in agent.set_cookie_headers)
    assert page(agent, faulty_web, "/").status_code == 200  # signed out: the front page


def test_a_callback_with_a_forged_state_is_refused(agent: Agent, faulty_web: CentralWeb) -> None:
    r = agent.get(faulty_web.url + "/auth/guardian?code=abc&state=forged")
    assert r.status_code == 400
    assert SESSION not in agent.cookies(faulty_web.url)


def test_sign_in_and_out_on_each_database(
    db_url: str, tmp_path: Path, oidc_mock: MockProvider, agent: Agent
) -> None:
    """Sessions and identity lookups on SQLite and PostgreSQL alike (the others run on SQLite)."""
    seed_web(db_url, tmp_path)
    web = start_central_web(db_url, tmp_path / "central", web_env(oidc_mock.issuer, oidc_mock.issuer))
    try:
        r = oidc_sign_in(agent, web, "guardian", "maria")
        assert r.status_code == 303 and r.headers["location"] == "/role"
        r = page(agent, web, "/role")
        assert (
            agent.post(web.url + "/role", data={"role": "guardian", "csrf": csrf_of(r.text)}).status_code
            == 303
        )
        assert page(agent, web, "/").headers["location"] == "/g"
        assert page(agent, web, "/g").status_code == 200
        r = agent.post(web.url + "/logout", data={"csrf": csrf_of(page(agent, web, "/g").text)})
        assert r.status_code == 303 and SESSION not in agent.cookies(web.url)
    finally:
        web.stop()
