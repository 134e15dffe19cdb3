"""Pages under concurrent signed-in sessions against a real ``lh-central api`` process: each
request uses one database connection (a page that opened a second one exhausted the pool at
20 sessions and answered 500 after a timeout; found by bench/web.py)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import httpx

from central.store import CentralStore
from central.web import sessions
from tests.web.conftest import CentralWeb


def test_twenty_signed_in_guardians_at_once(central_web: CentralWeb) -> None:
    store = CentralStore(central_web.db_url, run_migrations=False)
    try:
        with store.session() as s, s.begin():
            tokens = [
                sessions.create(
                    s, sessions.Identity(guardian_id="g-anna"), lang="sv", now=dt.datetime.now(dt.UTC)
                )
                for _ in range(20)
            ]
    finally:
        store.close()

    def views(token: str) -> list[int]:
        with httpx.Client(base_url=central_web.url, timeout=20) as c:
            return [
                c.get(path, headers={"Cookie": f"lh_session={token}"}).status_code
                for path in ("/g", "/g/avtal", "/g", "/g", "/g/ledighet", "/g")
            ]

    with ThreadPoolExecutor(len(tokens)) as pool:
        statuses = [code for codes in pool.map(views, tokens) for code in codes]
    assert statuses == [200] * 120
