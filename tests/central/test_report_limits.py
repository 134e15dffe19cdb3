"""Issue 10, task 7: the expected-children report has one rule, at most 62 days, in the CLI and
the API alike, with the same sentence, and ``--help`` says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from central.auth import TokenAuthority, TokenConfig
from central.cli import app
from central.reports import EXPECTED_MAX_DAYS, check_expected_range
from tests.conftest import seed_central

runner = CliRunner()
# Starlette 1.x would rather use httpx2; httpx is what the project installs (as tests/api).
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
SECRET = "s" * 40


def test_cli_and_api_share_the_62_day_rule(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from central.api import create_app
    from central.store import CentralStore

    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    seed_central(url, tmp_path)
    ok = ("2026-03-01", "2026-05-01")  # 62 days counted inclusive
    too_long = ("2026-03-01", "2026-05-02")  # 63
    assert EXPECTED_MAX_DAYS == 62
    r = runner.invoke(app, ["report", "expected", "--first", ok[0], "--last", ok[1], "--db", url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", "expected", "--first", too_long[0], "--last", too_long[1], "--db", url])
    assert r.exit_code != 0
    sentence = "2026-03-01 to 2026-05-02 is 63 days; the expected-children report covers at most 62 days"
    assert sentence in " ".join(r.output.split())
    store = CentralStore(url)
    try:
        authority = TokenAuthority(TokenConfig(SECRET, 60))
        client = TestClient(create_app(store, authority))
        h = {"Authorization": f"Bearer {authority.mint('admin-1', 'admin')}"}
        good = client.get(f"/admin/reports/expected?first={ok[0]}&last={ok[1]}", headers=h)
        assert good.status_code == 200
        bad = client.get(f"/admin/reports/expected?first={too_long[0]}&last={too_long[1]}", headers=h)
        assert bad.status_code == 422 and sentence in bad.json()["detail"]
    finally:
        store.close()


def test_help_states_the_rule() -> None:
    text = " ".join(runner.invoke(app, ["report", "expected", "--help"]).output.split())
    assert "at most 62 days" in text


def test_backwards_is_refused() -> None:
    try:
        check_expected_range(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    except ValueError as exc:
        assert "before the first" in str(exc)
    else:
        raise AssertionError("not refused")
