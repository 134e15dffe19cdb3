"""End to end in Chromium (Playwright, Debian's /usr/bin/chromium) against a real
``lh-central serve --api-port`` with its broker, signing in through oidc-provider-mock's form.

Every page of ours that a test visits is checked the same way (:func:`check`): axe-core finds
no serious or critical violation, and at 320 px wide nothing scrolls sideways.  With
``LH_SCREENSHOTS=1`` each page is also photographed at phone (390×844) and desktop (1280×900)
width into docs/screens/web/.  Guardian and staff pages are found from the links on their
landing pages as well as from a fixed list, so new pages are checked as they appear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.broker import MosquittoBroker
from tests.conftest import PASSWORDS, ROOT
from tests.web.conftest import (
    AXE_JS,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    CentralWeb,
    MockProvider,
    _seeded_db,
    start_central_web,
    web_env,
)

SCREENS = ROOT / "docs" / "screens" / "web"
SHOOT = os.environ.get("LH_SCREENSHOTS") == "1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
GUARDIAN_PAGES = ["/g", "/g/schema", "/g/avtal", "/g/ledighet", "/g/franvaro", "/g/uppgifter"]
STAFF_PAGES = ["/s/d/solen", "/s/d/solen/notices", "/s/d/solen/utrymning", "/s/behalf"]
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""

WIDE = """(limit) => {
  const over = e => e.getBoundingClientRect().right > limit + 0.5 || e.scrollWidth > e.clientWidth + 1;
  return [...document.body.querySelectorAll("*")]
    .filter(e => over(e) && ![...e.children].some(over))
    .slice(0, 5)
    .map(e => `<${e.tagName.toLowerCase()} class="${e.className}"> box ${e.clientWidth}px, `
      + `content ${e.scrollWidth}px: "${e.textContent.trim().slice(0, 40)}"`);
}"""

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, oidc_mock: MockProvider, chromium: Any
) -> Iterator[CentralWeb]:
    """``lh-central serve`` with a broker and ``--api-port``: the way a site runs it.  One per
    module; Chromium always comes from 127.0.0.1, and the e-ID sign-in allows ten hits (five
    sign-ins) per address in five minutes, so this module stays under that."""
    url, workdir = _seeded_db(tmp_path_factory)
    broker = MosquittoBroker(workdir / "broker", PASSWORDS)
    broker.start()
    try:
        web = start_central_web(url, workdir, web_env(oidc_mock.issuer, oidc_mock.issuer), broker=broker)
        try:
            yield web
        finally:
            web.stop()
            assert "Traceback" not in web.log_text(), web.log_text()[-3000:]
    finally:
        broker.stop()


@pytest.fixture
def page(chromium: Any, served: CentralWeb) -> Iterator[Any]:
    # Injecting axe is an inline script, which central's Content-Security-Policy forbids (as
    # it should): the test browser bypasses CSP; a real one does not.
    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


def shot_name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "front"


def check(page: Any, name: str) -> None:
    """axe finds nothing serious or critical; nothing scrolls sideways at 320 px; screenshots
    (taken before the assertions, so a failing page is photographed too)."""
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(AXE_RUN)
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    size = page.viewport_size
    try:
        page.set_viewport_size({"width": 320, "height": 640})
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(WIDE, 320) if width > 320 else []
        if SHOOT:
            SCREENS.mkdir(parents=True, exist_ok=True)
            for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page.set_viewport_size(viewport)
                page.screenshot(path=str(SCREENS / f"{name}-{label}.png"), full_page=True)
    finally:
        page.set_viewport_size(size)
    assert not bad, f"{name} ({page.url}): accessibility violations: {bad}"
    assert width <= 320, f"{name} ({page.url}) scrolls sideways at 320 px: {width} px wide: {wide}"


def visit(page: Any, web: CentralWeb, path: str, name: str | None = None) -> int:
    """Open ``path``; check it unless it does not exist (404: a page still being written)."""
    response = page.goto(web.url + path)
    status = int(response.status) if response else 0
    if status != 404:
        assert status < 500, f"{path}: {status}"
        check(page, name or shot_name(urlsplit(page.url).path))
    return status


def links_under(page: Any, prefix: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        path = urlsplit(href).path
        if path.startswith(prefix) and path not in found and not urlsplit(href).netloc:
            found.append(path)
    return found


def sign_in_at_provider(page: Any, sub: str) -> None:
    """oidc-provider-mock's authorize page: type the subject, press Authorize."""
    page.wait_for_selector('input[name="sub"]')
    page.fill('input[name="sub"]', sub)
    page.click('button:has-text("Authorize")')


# -- signed out -------------------------------------------------------------------------


def test_pages_before_signing_in(page: Any, served: CentralWeb) -> None:
    assert visit(page, served, "/", "front") == 200
    assert page.locator("html").get_attribute("lang") == "sv"
    assert visit(page, served, "/login", "login") == 200
    assert visit(page, served, "/tillganglighet", "tillganglighet") == 200
    # In English too.
    page.goto(served.url + "/")
    page.click('button[name="lang"][value="en"]')
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    check(page, "front-en")


def test_keyboard_reaches_e_id_sign_in_and_enter_starts_it(
    page: Any, served: CentralWeb, oidc_mock: Any
) -> None:
    page.goto(served.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"  # skip link first
    for _ in range(15):
        if page.evaluate("document.activeElement.getAttribute('href')") == "/login/guardian":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the e-ID sign-in button")
    page.keyboard.press("Enter")
    page.wait_for_url(oidc_mock.issuer + "/**")
    # Keyboard at the provider too: type the subject, Enter submits.
    page.wait_for_selector('input[name="sub"]')
    page.focus('input[name="sub"]')
    page.keyboard.type("anna")
    page.keyboard.press("Enter")
    page.wait_for_url(served.url + "/g**")
    assert "Anna Svensson" in page.content()


def test_keyboard_signs_staff_in_with_a_password(page: Any, served: CentralWeb) -> None:
    page.goto(served.url + "/login")
    check(page, "login")
    page.keyboard.press("Tab")  # the skip link
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "username":
            break
    else:
        pytest.fail("Tab never reached the user name field")
    page.keyboard.type(STAFF_USERNAME)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(served.url) + r"/s(/.*)?$"))
    assert "Lena Pedagog" in page.content()


# -- guardians --------------------------------------------------------------------------


def test_guardian_signs_in_and_every_guardian_page_passes(page: Any, served: CentralWeb) -> None:
    page.goto(served.url + "/")
    page.click('a[href="/login/guardian"]')
    sign_in_at_provider(page, "anna")
    page.wait_for_url(served.url + "/g")
    assert "Anna Svensson" in page.content()
    check(page, "g")
    for child in ("Alva", "Noah"):
        assert child in page.content()
    pages = GUARDIAN_PAGES + [p for p in links_under(page, "/g") if p not in GUARDIAN_PAGES]
    seen = [p for p in pages if visit(page, served, p) != 404]
    assert "/g" in seen
    # A guardian cannot open staff pages.
    response = page.goto(served.url + "/s/d/solen")
    assert response is not None and response.status in (403, 404)


def test_unknown_person_page(page: Any, served: CentralWeb) -> None:
    page.goto(served.url + "/login/guardian")
    sign_in_at_provider(page, "stranger")
    page.wait_for_url(served.url + "/auth/guardian**")
    assert page.locator("h1").inner_text() == "Vi hittade dig inte"
    check(page, "unknown")


# -- staff, and both -------------------------------------------------------------------


def test_person_with_two_roles_chooses_and_staff_pages_pass(page: Any, served: CentralWeb) -> None:
    page.goto(served.url + "/login/guardian")
    sign_in_at_provider(page, "maria")
    page.wait_for_url(served.url + "/role")
    check(page, "role")
    page.click('button[name="role"][value="staff"]')
    page.wait_for_url(re.compile(re.escape(served.url) + r"/s(/.*)?$"))
    assert "Maria Lindqvist" in page.content()


def test_staff_signs_in_with_work_account_and_every_staff_page_passes(page: Any, served: CentralWeb) -> None:
    page.goto(served.url + "/")
    page.click('a[href="/login/staff"]')
    sign_in_at_provider(page, "lena")
    page.wait_for_url(re.compile(re.escape(served.url) + r"/s(/.*)?$"))
    landing = urlsplit(page.url).path
    pages = [landing] + [p for p in STAFF_PAGES + links_under(page, "/s") if p != landing]
    seen = [p for p in dict.fromkeys(pages) if visit(page, served, p) != 404]
    assert landing in seen
    # A staff member sees no guardian's pages: /g asks whom to act for (or is refused).
    response = page.goto(served.url + "/g")
    assert response is not None
    assert response.status in (403, 404) or urlsplit(page.url).path == "/s/behalf"
