"""Fixtures for the web: real OpenID providers, a real central web server process, a seeded
database with people who can sign in, an HTTP agent that keeps cookies like a browser, and
Playwright driving Debian's Chromium.

The people (ids from device/demo/demo.csv plus what :func:`seed_web` adds):

- Anna Svensson (``g-anna``, guardian of Alva and Noah) signs in with e-ID as ``anna``;
- Maria Lindqvist is guardian ``g-maria`` *and* staff ``s-maria``: one e-ID, two roles;
- Lena Pedagog (``s-lena``, staff of Solen) signs in with her work account as ``lena`` or with
  the local password ``lena`` / :data:`STAFF_PASSWORD`;
- ``stranger`` has an identity number that matches nobody.

Everything is served and browsed on ``http://localhost:PORT``: Chromium treats localhost as a
secure origin, so central's ``Secure`` cookies work as in production and the cookie host and
the providers' redirects agree.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.broker import MosquittoBroker, free_port
from tests.conftest import PASSWORDS, ROOT, seed_central

BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / ".cache" / "axe" / "axe.min.js"
API_SECRET = "web-test-secret-" + "x" * 32
CLIENT_ID, CLIENT_SECRET = "lamna-hamta-test", "client-secret-for-tests"

GUARDIAN_PNR = "19800101-1234"  # g-anna: Alva and Noah
BOTH_PNR = "19850303-3333"  # g-maria, who is also staff s-maria
UNKNOWN_PNR = "19990909-9999"  # nobody
STAFF_USERNAME, STAFF_PASSWORD = "lena", "solen-hallen-2026"
IDP_USERS: dict[str, dict[str, Any]] = {
    "anna": {"personal_identity_number": GUARDIAN_PNR, "name": "Anna Svensson"},
    "maria": {"personal_identity_number": BOTH_PNR, "name": "Maria Lindqvist"},
    "stranger": {"personal_identity_number": UNKNOWN_PNR, "name": "Okänd Person"},
    "lena": {"staff_id": "s-lena", "name": "Lena Pedagog"},
}


def seed_web(url: str, tmp_path: Path) -> bytes:
    """:func:`tests.conftest.seed_central` plus the identity numbers' digests and passwords."""
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from central.db.schema import Department, Guardian, Staff, StaffDepartment, Unit
    from central.identity import pnr_digest
    from central.store import CentralStore

    key = seed_central(url, tmp_path)
    store = CentralStore(url, run_migrations=False)
    try:
        with store.session() as s, s.begin():
            s.execute(
                update(Guardian)
                .where(Guardian.id == "g-anna")
                .values(pnr_digest=pnr_digest(key, GUARDIAN_PNR))
            )
            s.execute(
                update(Guardian).where(Guardian.id == "g-maria").values(pnr_digest=pnr_digest(key, BOTH_PNR))
            )
            s.add(Staff(id="s-maria", name="Maria Lindqvist", pnr_digest=pnr_digest(key, BOTH_PNR)))
            # Solen's unit takes absence by phone and has a number (the guardian's pages link it).
            s.add(Unit(id="u-sol", name="Solens förskola", kind="preschool", phone="08-123 456 78"))
            s.flush()
            s.execute(update(Department).where(Department.id == "solen").values(unit_id="u-sol"))
            s.add(StaffDepartment(staff_id="s-maria", department_id="manen"))
            s.execute(
                update(Staff)
                .where(Staff.id == "s-lena")
                .values(
                    username=STAFF_USERNAME,
                    # Cheap parameters: the tests sign in often; production uses the defaults.
                    password_hash=PasswordHasher(time_cost=1, memory_cost=8192).hash(STAFF_PASSWORD),
                )
            )
        _seed_plans(store)
    finally:
        store.close()
    return key


def _seed_plans(store: Any) -> None:
    """Schedules, an agreement and check-ins, so pages (and their screenshots) show a real day.

    Screenshots are taken on whatever day the tests run, so the schedules cover all seven
    days; a real preschool's would be Monday to Friday."""
    import datetime as dt

    from central.planning import changes
    from central.planning.presence import record_correction
    from central.rules import Person
    from central.rules.timeutil import local_date

    now = dt.datetime.now(dt.UTC)
    today = local_date(now)
    admin = changes.Actor("admin", "seed")
    week = [(dt.time(7, 30), dt.time(16, 30))] * 5 + [(dt.time(8, 0), dt.time(15, 0))] * 2
    with store.session() as s, s.begin():
        for child in (
            "c-noah",
            "c-elsa",
            "c-omar",
            "c-ines",
            "c-adam",
            "c-sara",
        ):  # not Alva: her guardian adds one
            changes.save_schedule(s, admin, child, today, None, [week], today=today, now=now)
        changes.add_agreement(
            s,
            admin,
            "c-noah",
            kind="pickup_by",
            first=today,
            last=today,
            weekdays=None,
            time=None,
            person=Person("Gunnar Svensson", "Morfar", "070-555 12 34"),
            text=None,
            today=today,
            now=now,
        )
        changes.add_agreement(
            s,
            admin,
            "c-alva",
            kind="early_pickup",
            first=today + dt.timedelta(days=1),
            last=today + dt.timedelta(days=1),
            weekdays=None,
            time=dt.time(14, 0),
            person=None,
            text="Tandläkaren",
            today=today,
            now=now,
        )
        for child in ("c-elsa", "c-omar", "c-adam"):
            record_correction(
                s,
                child_id=child,
                type_="check_in",
                staff_id="s-lena",
                reason="seed",
                occurred_at=now,
                now=now,
            )
        record_correction(
            s,
            child_id="c-adam",
            type_="check_out",
            staff_id="s-lena",
            reason="seed",
            occurred_at=now,
            now=now,
        )


# -- identity providers ---------------------------------------------------------------


@dataclass
class MockProvider:
    """oidc-provider-mock: a real provider whose authorize page is a form asking for a subject."""

    issuer: str

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        r = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert r.status_code == 204, r.text


@pytest.fixture(scope="session")
def oidc_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProvider]:
    """oidc-provider-mock in its own process (``python -m oidc_provider_mock``), not in a thread
    here: its Authlib warns of deprecations while it issues tokens, and pytest's
    ``filterwarnings = error`` would turn those into 500s inside a thread of this process."""
    port = free_port()
    log = tmp_path_factory.mktemp("oidc-mock") / "oidc-mock.log"
    cmd = [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)]
    with open(log, "ab") as fh:
        proc = subprocess.Popen([*cmd, "--require-nonce", "true"], stdout=fh, stderr=fh)
    idp = MockProvider(f"http://localhost:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"oidc-provider-mock exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(idp.issuer + "/.well-known/openid-configuration", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("oidc-provider-mock did not start")
            time.sleep(0.1)
        for sub, claims in IDP_USERS.items():
            idp.set_user(sub, claims)
        yield idp
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def faulty_idp() -> Iterator[Any]:
    from tests.web.idp import FaultyProvider

    with FaultyProvider() as idp:
        yield idp


# -- central's web --------------------------------------------------------------------


def web_env(guardian_issuer: str, staff_issuer: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("LH_OIDC_", "LH_WEB_")):
            del env[k]
    env.update(
        LH_API_SECRET=API_SECRET,
        LH_OIDC_GUARDIAN_ISSUER=guardian_issuer,
        LH_OIDC_GUARDIAN_CLIENT_ID=CLIENT_ID,
        LH_OIDC_GUARDIAN_CLIENT_SECRET=CLIENT_SECRET,
        LH_WEB_CONTACT="Ring förskolans expedition, 031-123 45 67",
    )
    if staff_issuer:
        env.update(
            LH_OIDC_STAFF_ISSUER=staff_issuer,
            LH_OIDC_STAFF_CLIENT_ID=CLIENT_ID,
            LH_OIDC_STAFF_CLIENT_SECRET=CLIENT_SECRET,
            LH_OIDC_STAFF_CLAIM="staff_id",
        )
    return env


@dataclass
class CentralWeb:
    """``lh-central serve --api-port`` (with a broker) or ``lh-central api``, as a process."""

    url: str
    db_url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_central_web(
    db_url: str, workdir: Path, env: dict[str, str], broker: MosquittoBroker | None = None
) -> CentralWeb:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"central-web-{port}.log"
    if broker is not None:
        pw = workdir / "central.password"
        pw.write_text(PASSWORDS["central"])
        cmd = [
            str(BIN / "lh-central"),
            "serve",
            "--db",
            db_url,
            "--broker",
            f"mqtt://central@127.0.0.1:{broker.port}",
            "--password-file",
            str(pw),
            "--client-id",
            f"central-web-{port}",
            "--api-port",
            str(port),
        ]
    else:
        cmd = [str(BIN / "lh-central"), "api", "--db", db_url, "--port", str(port)]
    with open(log, "ab") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=fh, env=env)
    web = CentralWeb(f"http://localhost:{port}", db_url, proc, log)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"central exited ({proc.returncode}):\n{web.log_text()[-3000:]}")
        try:
            if httpx.get(web.url + "/tillganglighet", timeout=2).status_code == 200:
                return web
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            web.stop()
            raise RuntimeError(f"central did not serve {web.url}:\n{web.log_text()[-3000:]}")
        time.sleep(0.1)


def _seeded_db(factory: pytest.TempPathFactory) -> tuple[str, Path]:
    workdir = factory.mktemp("web")
    url = f"sqlite:///{workdir / 'central.sqlite3'}"
    seed_web(url, workdir)
    return url, workdir


@pytest.fixture(scope="module")
def central_web(tmp_path_factory: pytest.TempPathFactory, oidc_mock: MockProvider) -> Iterator[CentralWeb]:
    """``lh-central api`` on a seeded SQLite database, signing guardians and staff in through
    oidc-provider-mock; one per test module (a start costs seconds).  Its sign-in rate limit
    counts per client address, so each :class:`Agent` connects from an address of its own."""
    url, workdir = _seeded_db(tmp_path_factory)
    web = start_central_web(url, workdir, web_env(oidc_mock.issuer, oidc_mock.issuer))
    yield web
    web.stop()


@pytest.fixture(scope="module")
def faulty_web(tmp_path_factory: pytest.TempPathFactory, faulty_idp: Any) -> Iterator[CentralWeb]:
    """``lh-central api`` whose guardians sign in through :class:`tests.web.idp.FaultyProvider`."""
    url, workdir = _seeded_db(tmp_path_factory)
    web = start_central_web(url, workdir, web_env(faulty_idp.issuer))
    yield web
    web.stop()


# -- an HTTP agent that behaves like a browser about cookies --------------------------


@dataclass
class Agent:
    """httpx without its cookie jar (which never sends ``Secure`` cookies over http://, while
    browsers do on localhost): cookies are kept per host here, redirects followed by hand."""

    source: str = "127.0.0.1"
    """The local address to connect from (any of 127.0.0.0/8): the client address central
    rate-limits sign-ins by."""
    client: httpx.Client = field(init=False)
    jar: dict[str, dict[str, str]] = field(default_factory=dict)
    set_cookie_headers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        transport = httpx.HTTPTransport(local_address=self.source)
        self.client = httpx.Client(timeout=15, follow_redirects=False, transport=transport)

    def cookies(self, url: str) -> dict[str, str]:
        return self.jar.setdefault(urlsplit(url).netloc, {})

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        jar = self.cookies(url)
        headers = dict(kw.pop("headers", {}) or {})
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        r = self.client.request(method, url, headers=headers, **kw)
        for raw in r.headers.get_list("set-cookie"):
            self.set_cookie_headers.append(raw)
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(raw)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value
        return r

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def follow(self, r: httpx.Response, *, stop: Callable[[str], bool] = lambda _u: False) -> httpx.Response:
        """Follow redirects with GET until a page, or until ``stop(next_url)`` is true."""
        for _ in range(10):
            if r.status_code not in (301, 302, 303, 307, 308):
                return r
            nxt = urljoin(str(r.url), r.headers["location"])
            if stop(nxt):
                return r
            r = self.get(nxt)
        raise AssertionError("too many redirects")

    def close(self) -> None:
        self.client.close()


_sources = itertools.count(2)


def new_agent() -> Agent:
    """An agent connecting from an address no other agent in this run uses."""
    n = next(_sources)
    return Agent(source=f"127.0.{n // 250 % 250}.{n % 250 + 2}")


@pytest.fixture
def agent() -> Iterator[Agent]:
    a = new_agent()
    yield a
    a.close()


# -- a browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (scripts/setup installs it)")
    if not AXE_JS.exists():
        pytest.skip(f"axe-core is missing at {AXE_JS.relative_to(ROOT)} (scripts/setup fetches it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
