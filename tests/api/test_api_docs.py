"""Issue 10, task 9: ``/docs`` (Swagger UI, whose files come from a public CDN) is off unless
``LH_API_DOCS=1``; the schema at ``/openapi.json`` is served either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from central.api import create_app
from central.auth import TokenAuthority, TokenConfig
from central.store import CentralStore
from tests.api.conftest import SECRET


@pytest.mark.parametrize(("env", "docs"), [(None, 404), ("0", 404), ("1", 200)])
def test_docs_only_when_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, docs: int
) -> None:
    if env is None:
        monkeypatch.delenv("LH_API_DOCS", raising=False)
    else:
        monkeypatch.setenv("LH_API_DOCS", env)
    store = CentralStore(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    try:
        client = TestClient(create_app(store, TokenAuthority(TokenConfig(SECRET, 60))))
        assert client.get("/docs").status_code == docs
        assert client.get("/redoc").status_code == docs
        assert client.get("/openapi.json").status_code == 200
    finally:
        store.close()
