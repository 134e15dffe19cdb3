"""CSV import: all rows or none, every bad row named by line, re-import updates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from central.db.schema import Child, ChildGuardian, Guardian, Tag
from central.importer import COLUMNS, ImportError_, apply, parse
from central.store import CentralStore
from tests.conftest import DEMO_CSV

HEADER = ",".join(COLUMNS) + "\n"


def _count(store: CentralStore, model: type) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_import_twice_updates_not_duplicates(db_url: str) -> None:
    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    with store.session() as s, s.begin():
        apply(s, parse(DEMO_CSV.read_text(), key))
    counts = [_count(store, m) for m in (Child, Guardian, ChildGuardian, Tag)]
    assert counts == [10, 7, 12, 6]
    changed = DEMO_CSV.read_text().replace("Alva,Svensson", "Alva,Sv")
    with store.session() as s, s.begin():
        apply(s, parse(changed, key))
    assert [_count(store, m) for m in (Child, Guardian, ChildGuardian, Tag)] == counts
    with store.session() as s:
        assert s.get(Child, "c-alva").last_name == "Sv"
        tags = s.scalars(select(Tag.digest)).all()
    assert all(len(d) == 64 for d in tags), "only digests are stored"
    store.close()


def test_every_bad_row_is_reported_and_nothing_applied(sqlite_url: str) -> None:
    rows = [
        "solen,Solen,c-1,Alva,S,g-1,Anna S,070-1111111,anna@example.se,04A1B2C3",
        "solen,Solen,c-2,,S,g-2,Bo B,,,",  # line 3: empty first name
        "solen,Solen,c-3,Ted,T,g-3,Ted T,,not-an-email,",  # line 4
        "solen,Solen,c-4,Ida,I,g-4,Ida I,,,ZZZZ",  # line 5: bad hex
        "solen,Other name,c-5,Eva,E,g-5,Eva E,,,",  # line 6: department renamed
        "solen,Solen,c-6,Max,M,g-6,Max M,,,04A1B2C3",  # line 7: tag of g-1 again
    ]
    store = CentralStore(sqlite_url)
    key = store.tag_key(create=True)
    with pytest.raises(ImportError_) as err:
        parse(HEADER + "\n".join(rows) + "\n", key)
    text = "\n".join(err.value.errors)
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in text
    assert "line 2:" not in text
    assert _count(store, Child) == 0
    store.close()


def test_unreadable_csv_is_a_line_numbered_problem_not_a_traceback() -> None:
    ok = "solen,Solen,c-1,Alva,S,g-1,Anna S,,,"
    bad_row = "solen,Solen,c-3,Ted,T,g-3,Ted T,,,"
    huge = "solen," + "x" * 200_000 + ",c-2,Bo,B,g-2,Bo B,,,"
    key = b"k" * 32
    with pytest.raises(ImportError_) as err:
        parse(HEADER + f"{ok}\n{huge}\n{ok}\n", key)
    assert err.value.errors == [
        "line 3: not readable as CSV (field larger than field limit (131072)); the rest was not read"
    ]
    with pytest.raises(ImportError_) as err:  # an unterminated quote would swallow the rest
        parse(HEADER + f'{ok}\n{bad_row.replace("Ted T", chr(34) + "Ted T")}\n{ok}\n', key)
    assert err.value.errors == ["line 3: not readable as CSV (unexpected end of data); the rest was not read"]


def test_header_problems(sqlite_url: str) -> None:
    with pytest.raises(ImportError_, match="problem") as err:
        parse("department_id,child_id\nx,y\n", b"k" * 32)
    assert "lacks" in err.value.errors[0]


def test_cli_import_reports_lines_and_exit_code(tmp_path: Path, sqlite_url: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "solen,Solen,c-1,Alva,S,g-1,Anna S,,,nothex\n")
    res = subprocess.run(
        [sys.executable, "-m", "central.cli", "import", "--db", sqlite_url, str(bad)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1
    assert "line 2" in res.stderr and "nothing was imported" in res.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "central.cli", "import", "--db", sqlite_url, str(DEMO_CSV)],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "10 child(ren)" in ok.stdout
    dev = subprocess.run(
        [
            sys.executable,
            "-m",
            "central.cli",
            "device",
            "add",
            "dev-x",
            "--department",
            "nowhere",
            "--db",
            sqlite_url,
        ],
        capture_output=True,
        text=True,
    )
    assert dev.returncode == 1 and "no department" in dev.stderr
