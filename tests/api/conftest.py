"""Fixtures for API tests: the app over a seeded database, a fixed clock, tokens per role."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from central.api import create_app
from central.auth import Role, TokenAuthority, TokenConfig
from central.db import schema
from central.notify import AgreementNotice
from central.store import CentralStore

with warnings.catch_warnings():
    # Starlette 1.x would rather use httpx2; httpx is what the project installs.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SECRET = "test-secret-that-is-long-enough-0123456789"
# Wednesday 25 March 2026, 09:00 in Stockholm (CET); DST starts on Sunday the 29th.
NOW = dt.datetime(2026, 3, 25, 8, 0, tzinfo=dt.UTC)


class RecordingNotifier:
    """Keeps the notices instead of sending them."""

    def __init__(self) -> None:
        self.notices: list[AgreementNotice] = []

    def agreement_created(self, notice: AgreementNotice) -> None:
        self.notices.append(notice)


@dataclass
class Api:
    client: TestClient
    store: CentralStore
    authority: TokenAuthority
    notifier: RecordingNotifier
    changed: list[str | None] = field(default_factory=list)
    now: dt.datetime = NOW

    def token(self, role: Role, subject: str, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.authority.mint(subject, role, **kw)}"}

    def guardian(self, gid: str = "g-anna") -> dict[str, str]:
        return self.token("guardian", f"sub-{gid}", guardian_id=gid)

    def staff(self, sid: str = "s-lena", departments: tuple[str, ...] = ("solen",)) -> dict[str, str]:
        return self.token("staff", sid, departments=departments)

    def admin(self) -> dict[str, str]:
        return self.token("admin", "admin-1")


TABLES = (
    schema.ScheduleRow,
    schema.AgreementRow,
    schema.LeaveRow,
    schema.AbsenceRow,
    schema.AuditRow,
    schema.EventRow,
    schema.Presence,
    schema.Guardian,
    schema.Unit,
    schema.Department,
    schema.Device,
    schema.Child,
)


def snapshot(store: CentralStore) -> dict[str, list[str]]:
    """Every row of the tables the API writes, as text, to compare before and after a request."""
    out = {}
    with store.session() as s:
        for model in TABLES:
            cols = [c.key for c in model.__table__.columns]  # type: ignore[attr-defined]
            rows = s.scalars(select(model)).all()
            out[model.__tablename__] = sorted(repr([getattr(r, c) for c in cols]) for r in rows)
    return out


@pytest.fixture
def api(seeded: tuple[str, bytes]) -> Iterator[Api]:
    url, _key = seeded
    store = CentralStore(url)
    authority = TokenAuthority(TokenConfig(SECRET, 900))
    notifier = RecordingNotifier()
    holder: dict[str, Api] = {}
    app = create_app(
        store,
        authority,
        notifier=notifier,
        on_change=lambda dept: holder["api"].changed.append(dept),
        clock=lambda: holder["api"].now,
    )
    with TestClient(app) as client:
        holder["api"] = Api(client, store, authority, notifier)
        yield holder["api"]
    store.close()
