"""Scope, end to end in Chromium: Maria works in Månen and is Elsa's guardian in Solen.

As staff she gets 403 on Solen's pages and Elsa's staff actions, and on the JSON API for the
same (even with a token that claims Solen: departments come from the staff table).  As a
guardian she sees only her own family.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from central.auth import TokenAuthority, TokenConfig
from tests.broker import MosquittoBroker
from tests.conftest import PASSWORDS
from tests.web.conftest import API_SECRET, CentralWeb, MockProvider, _seeded_db, start_central_web, web_env

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, oidc_mock: MockProvider, chromium: Any
) -> Iterator[CentralWeb]:
    url, workdir = _seeded_db(tmp_path_factory)
    broker = MosquittoBroker(workdir / "broker", PASSWORDS)
    broker.start()
    try:
        web = start_central_web(url, workdir, web_env(oidc_mock.issuer, oidc_mock.issuer), broker=broker)
        try:
            yield web
        finally:
            web.stop()
    finally:
        broker.stop()


def _sign_in_as(chromium: Any, web: CentralWeb, role: str) -> Any:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(web.url + "/")
    page.get_by_role("link", name="Logga in med BankID").click()
    page.fill('input[name="sub"]', "maria")
    page.click('button:has-text("Authorize")')
    page.wait_for_url(web.url + "/role")
    page.click(f'button[name="role"][value="{role}"]')
    page.wait_for_load_state()
    return page


def test_staff_of_another_department_is_refused_on_pages_and_api(chromium: Any, served: CentralWeb) -> None:
    page = _sign_in_as(chromium, served, "staff")
    try:
        assert re.search(r"/s/d/manen$", page.url)
        for path in ("/s/d/solen", "/s/d/solen/utrymning", "/s/d/solen/notices"):
            response = page.goto(served.url + path)
            assert response is not None and response.status == 403, path
            assert "Elsa" not in page.content()
        # A hand check-in of Elsa (Solen) from Maria's session: the form's own CSRF token, 403.
        page.goto(served.url + "/s/d/manen")
        token = page.get_attribute('input[name="csrf"]', "value")
        response = page.request.post(
            served.url + "/s/children/c-elsa/check-in", form={"csrf": token or "", "reason": "test"}
        )
        assert response.status == 403
        # Guardian pages are not hers in this role.
        response = page.goto(served.url + "/g/schema?child=c-elsa")
        assert page.url.endswith("/s/behalf") or (response is not None and response.status == 403)
    finally:
        page.context.close()
    forged = TokenAuthority(TokenConfig(API_SECRET)).mint("s-maria", "staff", departments=["solen", "manen"])
    headers = {"Authorization": f"Bearer {forged}"}
    for path in ("/staff/departments/solen/presence", "/staff/departments/solen/plan"):
        assert httpx.get(served.url + path, headers=headers).status_code == 403, path
    r = httpx.post(served.url + "/staff/children/c-elsa/check-in", headers=headers, json={"reason": "test"})
    assert r.status_code == 403
    assert httpx.get(served.url + "/staff/departments", headers=headers).json() == ["manen"]


def test_the_same_person_as_guardian_sees_only_her_family(chromium: Any, served: CentralWeb) -> None:
    page = _sign_in_as(chromium, served, "guardian")
    try:
        assert page.url.endswith("/g")
        content = page.content()
        assert "Elsa Lindqvist" in content
        assert "Alva" not in content and "Saga" not in content
        response = page.goto(served.url + "/g/schema?child=c-alva")
        assert response is not None and response.status == 403
        response = page.goto(served.url + "/s/d/manen")
        assert response is not None and response.status == 403  # the staff role was not chosen
    finally:
        page.context.close()
