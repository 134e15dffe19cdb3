"""Shared fixtures: a real Mosquitto, a real database (SQLite file, PostgreSQL where
the machine has one), a seeded central store, running central and device instances."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.broker import MosquittoBroker

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

ROOT = Path(__file__).resolve().parent.parent
DEMO_CSV = ROOT / "device" / "demo" / "demo.csv"
EXTRA_ROWS = "manen,Månen,c-saga,Saga,Ek,g-peter,Peter Ek,070-777 77 77,peter@example.se,04EEEEEE\n"
PASSWORDS = {"central": "central-pw", "monitor": "monitor-pw", "dev-a": "pw-a", "dev-b": "pw-b"}
POSTGRES_URL = os.environ.get("LH_TEST_POSTGRES_URL")


def wait_for(pred: Callable[[], object], timeout: float = 15.0, interval: float = 0.05) -> object:
    """Poll until ``pred()`` is truthy; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    b = MosquittoBroker(tmp_path / "broker", PASSWORDS)
    b.start()
    yield b
    b.stop()


def _postgres_database() -> Iterator[str]:
    assert POSTGRES_URL is not None
    name = f"lh_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.sqlite3'}"
        return
    if POSTGRES_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: set LH_TEST_POSTGRES_URL (.ci/run does)")
        pytest.skip("LH_TEST_POSTGRES_URL not set")
    yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'central.sqlite3'}"


def seed_central(url: str, tmp_path: Path) -> bytes:
    """Import the demo department plus 'manen', register dev-a (solen) and dev-b (manen)."""
    from central.importer import apply, parse
    from central.store import CentralStore

    store = CentralStore(url)
    key = store.tag_key(create=True)
    assert key is not None
    text_ = DEMO_CSV.read_text() + EXTRA_ROWS
    with store.session() as s, s.begin():
        apply(s, parse(text_, key))
    _add_staff(store)
    store.add_device("dev-a", "solen")
    store.add_device("dev-b", "manen")
    store.close()
    return key


def _add_staff(store: object) -> None:
    from central.db.schema import Staff, StaffDepartment
    from protocol.tags import hash_pin

    with store.session() as s, s.begin():  # type: ignore[attr-defined]
        s.add(Staff(id="s-lena", name="Lena Pedagog", pin_hash=hash_pin("2580", iterations=1000)))
        s.flush()
        s.add(StaffDepartment(staff_id="s-lena", department_id="solen"))


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> tuple[str, bytes]:
    return db_url, seed_central(db_url, tmp_path)


@pytest.fixture
def seeded_store(seeded: tuple[str, bytes]) -> Iterator[object]:
    """A CentralStore on the seeded database (see seed_central), closed afterwards."""
    from central.store import CentralStore

    s = CentralStore(seeded[0])
    yield s
    s.close()
