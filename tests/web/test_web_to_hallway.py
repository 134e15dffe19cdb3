"""From the web to the hallway, end to end, in Chromium against ``lh-central serve --api-port``
with its broker:

- a guardian signs in with e-ID, registers a two-week schedule, a pickup-by-Mormor agreement
  and a leave day; the department's retained roster then carries the agreement's note within
  seconds, and the other guardian gets the e-mail (a real SMTP server, aiosmtpd);
- a pedagog posts a notice on the infotavla; a simulated Pi (``lh-device simulate``) gets it in
  its roster and shows it on the idle screen (its screenshot has the notice's amber panel).

The roster carries today's plan only, so the agreement that must reach the Pi is for today;
the Friday agreement the guardian also registers is checked in the database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from central.db.schema import AgreementRow, LeaveRow, NoticeRow, ScheduleRow
from central.rules.timeutil import local_date
from central.store import CentralStore
from tests.backbone.helpers import RawClient
from tests.broker import MosquittoBroker, free_port
from tests.conftest import PASSWORDS, ROOT, wait_for
from tests.web.conftest import (
    STAFF_PASSWORD,
    STAFF_USERNAME,
    CentralWeb,
    MockProvider,
    _seeded_db,
    start_central_web,
    web_env,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
BIN = Path(sys.executable).parent
SHOTS = ROOT / "docs" / "screens"
ROSTER = "lh/v1/dev/dev-a/roster"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture(scope="module")
def hallway(
    tmp_path_factory: pytest.TempPathFactory, oidc_mock: MockProvider, chromium: Any
) -> Iterator[tuple[CentralWeb, MosquittoBroker, Mailbox, Path]]:
    url, workdir = _seeded_db(tmp_path_factory)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    broker = MosquittoBroker(workdir / "broker", PASSWORDS)
    broker.start()
    env = web_env(oidc_mock.issuer, oidc_mock.issuer) | {
        "LH_SMTP_HOST": "127.0.0.1",
        "LH_SMTP_PORT": str(smtp.port),
        "LH_SMTP_STARTTLS": "0",
        "LH_SMTP_FROM": "lamna-hamta@example.se",
    }
    try:
        web = start_central_web(url, workdir, env, broker=broker)
        try:
            yield web, broker, mailbox, workdir
        finally:
            web.stop()
            assert "Traceback" not in web.log_text(), web.log_text()[-3000:]
    finally:
        broker.stop()
        smtp.stop()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE")
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


def _submit(page: Any, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _next_friday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)


def test_guardian_registers_plans_and_the_roster_and_the_other_guardian_hear(
    page: Any, hallway: tuple[CentralWeb, MosquittoBroker, Mailbox, Path]
) -> None:
    web, broker, mailbox, _ = hallway
    pi = RawClient(broker, "dev-a")  # the Pi's own credentials: only it may read its roster
    try:
        assert pi.connected.wait(10)
        pi.client.subscribe(ROSTER, qos=1)
        today = local_date(dt.datetime.now(dt.UTC))

        page.goto(web.url + "/")
        page.get_by_role("link", name="Logga in med BankID").click()
        page.fill('input[name="sub"]', "anna")
        page.click('button:has-text("Authorize")')
        page.wait_for_url(web.url + "/g")
        assert page.get_by_role("heading", name="Alva Svensson").is_visible()

        # A two-week schedule for Alva (the form comes filled with weekdays 07:30–16:30).
        page.goto(web.url + "/g/schema?child=c-alva&weeks=2")
        page.fill("#w1d4l", "14:00")  # Fridays of week 2 end early
        _submit(page, "Spara schemat")
        assert page.get_by_role("status").inner_text().startswith("Schemat är sparat")

        # Mormor picks Alva up: today (the Pi must show it) and on Friday.
        for day in (today, _next_friday(today)):
            page.goto(web.url + "/g/avtal")
            page.select_option("#child", "c-alva")
            page.get_by_label("Hämtas av någon annan").check()
            page.fill("#person_name", "Eva Svensson")
            page.fill("#person_relation", "Mormor")
            page.fill("#person_phone", "070-999 99 99")
            page.fill("#first", day.isoformat())
            _submit(page, "Spara avtalet")
            assert page.get_by_role("status").is_visible()

        # A leave day for Noah.
        page.goto(web.url + "/g/ledighet")
        page.select_option("#child", "c-noah")
        page.fill("#first", (today + dt.timedelta(days=3)).isoformat())
        _submit(page, "Spara ledigheten")
        assert page.get_by_role("status").is_visible()

        def roster_note() -> bool:
            for roster in pi.json_on(ROSTER):
                for entry in roster.get("plan", []):
                    if entry["child_id"] == "c-alva" and "Mormor" in json.dumps(entry, ensure_ascii=False):
                        return True
            return False

        started = time.monotonic()
        wait_for(roster_note, timeout=10)
        print(f"roster carried the agreement {time.monotonic() - started:.2f} s after the form")

        wait_for(lambda: len(mailbox.messages) >= 2, timeout=10)
        to, mail = mailbox.messages[0]
        assert to == ["erik@example.se"]  # Alva's other guardian, not Anna herself
        assert "Alva" in mail["Subject"]

        store = CentralStore(web.db_url, run_migrations=False)
        try:
            with store.session() as s:
                schedule = s.scalars(select(ScheduleRow).where(ScheduleRow.child_id == "c-alva")).one()
                assert len(schedule.weeks) == 2 and schedule.weeks[1][4] == ["07:30", "14:00"]
                mine = select(AgreementRow).where(AgreementRow.person_name == "Eva Svensson")
                days = sorted(r.first for r in s.scalars(mine))
                assert days == sorted({today, _next_friday(today)})
                assert s.scalars(select(LeaveRow)).one().child_id == "c-noah"
        finally:
            store.close()
    finally:
        pi.close()


def _amber_pixels(png: Path) -> int:
    """How many sampled pixels have the amber of the terminal's notice panel."""
    import pygame

    from device.display.theme import WARN_BG

    image = pygame.image.load(str(png))
    w, h = image.get_size()
    return sum(
        1 for y in range(0, h, 4) for x in range(0, w, 4) if tuple(image.get_at((x, y)))[:3] == WARN_BG
    )


def test_staff_notice_reaches_the_hallway_screen(
    page: Any, hallway: tuple[CentralWeb, MosquittoBroker, Mailbox, Path], tmp_path: Path
) -> None:
    web, broker, _, _ = hallway
    text = "Fotografering fredag · Kom gärna i tid"
    page.goto(web.url + "/login")
    page.fill("#username", STAFF_USERNAME)
    page.fill("#password", STAFF_PASSWORD)
    _submit(page, "Logga in")
    page.goto(web.url + "/s/d/solen/notices")
    page.fill("#text", text)
    today = local_date(dt.datetime.now(dt.UTC))
    page.fill("#first", today.isoformat())
    page.fill("#last", (today + dt.timedelta(days=5)).isoformat())
    _submit(page, "Sätt upp meddelandet")
    store = CentralStore(web.db_url, run_migrations=False)
    try:
        key = store.tag_key()
        with store.session() as s:
            assert s.scalars(select(NoticeRow)).one().text == text
    finally:
        store.close()
    assert key is not None

    # A simulated Pi for Solen, as a technician would configure it.
    (tmp_path / "tag.key").write_text(key.hex())
    (tmp_path / "dev-a.password").write_text(PASSWORDS["dev-a"])
    cfg = tmp_path / "device.toml"
    cfg.write_text(
        f'device_id = "dev-a"\ntag_key_file = "tag.key"\n\n[mqtt]\nurl = "{broker.url}"\n'
        f'password_file = "dev-a.password"\n\n[store]\npath = "device.sqlite3"\n'
    )
    shot = tmp_path / "idle.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    # Central sends notices once the Pi has said (in its status) that it understands them, at its
    # next roster refresh (15 s): within the minute the issue asks for.
    script = f"wait 20\nscreenshot {shot}\nquit\n"
    res = subprocess.run(
        [str(BIN / "lh-device"), "simulate", "--config", str(cfg)],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=90,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    with sqlite3.connect(tmp_path / "device.sqlite3") as db:
        payload = db.execute("SELECT payload FROM roster_cache").fetchone()[0]
    notices = json.loads(payload).get("notices") or []
    assert [n["text"] for n in notices] == [text]
    assert _amber_pixels(shot) > 200, "the idle screen shows no notice panel"
    if os.environ.get("LH_SCREENSHOTS") == "1":
        (SHOTS / "idle-notice-from-web.png").write_bytes(shot.read_bytes())
