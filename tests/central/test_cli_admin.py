"""lh-central's administration commands: import modes, leavers, staff, units, missing databases."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner

from central.cli import app
from central.db.schema import Child, Guardian, Staff, Tag, Unit
from central.importer import COLUMNS
from central.store import CentralStore
from tests.conftest import DEMO_CSV, seed_central

runner = CliRunner()


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    r = runner.invoke(app, list(args), input=input)
    return r.exit_code, r.output


def test_a_mistyped_db_is_refused_and_named(tmp_path: Path) -> None:
    deep = tmp_path / ("a-long-directory-name-" * 4)
    deep.mkdir()
    typo = f"sqlite:///{deep / 'centrl.sqlite3'}"
    for args in (
        ["device", "list"],
        ["staff", "list"],
        ["unit", "list"],
        ["tag-key", "export", str(deep / "k")],
    ):
        code, out = run(*args, "--db", typo)
        assert code == 1 and "no database at" in out
        assert str(deep / "centrl.sqlite3") in out, "the path is never broken across lines"
        assert "lh-central migrate --db" in out
    assert not (deep / "centrl.sqlite3").exists()
    code, out = run("import", "--dry-run", "--db", typo, str(DEMO_CSV))
    assert code == 0 and "would create it" in out and not (deep / "centrl.sqlite3").exists()
    assert run("migrate", "--db", typo)[0] == 0 and (deep / "centrl.sqlite3").exists()


def test_import_windows_1252_dry_run_unchanged_and_replace(tmp_path: Path, db_url: str) -> None:
    rows = DEMO_CSV.read_text(encoding="utf-8").replace(",", ";").replace("Alva;Svensson", "Alva;Sjöberg")
    cp = tmp_path / "excel.csv"
    cp.write_bytes(rows.replace("\n", "\r\n").encode("cp1252"))
    code, out = run("import", "--dry-run", "--db", db_url, str(cp))
    assert code == 0, out
    assert "as Windows-1252, semicolon-separated" in out and "children: 10 new" in out
    assert "dry run: nothing was changed" in out
    store = CentralStore(db_url)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Child)) == 0
    code, out = run("import", "--db", db_url, str(cp))
    assert code == 0 and "children: 10 new" in out
    code, out = run("import", "--db", db_url, str(cp))
    assert code == 0 and "nothing to change" in out
    leaver = "c-noah"
    smaller = tmp_path / "smaller.csv"
    smaller.write_bytes(
        "".join(r + "\r\n" for r in rows.splitlines() if f";{leaver};" not in r).encode("cp1252")
    )
    code, out = run("import", "--dry-run", "--replace", "--db", db_url, str(smaller))
    assert code == 0 and f"remove child {leaver}" in out
    code, out = run("import", "--replace", "--db", db_url, str(smaller), input="n\n")
    assert code == 1 and "nothing was imported" in out
    with store.session() as s:
        assert s.get(Child, leaver) is not None
    code, out = run("import", "--replace", "--db", db_url, str(smaller), input="y\n")
    assert code == 0, out
    with store.session() as s:
        assert s.get(Child, leaver) is None
    store.close()


def test_every_problem_is_listed_and_markup_is_shown_verbatim(tmp_path: Path, sqlite_url: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(COLUMNS)
        + "\nsolen,Solen,c-1,,S,g-1,Anna [red]x[/red],,no-mail,\nsolen,Solen,c-2,B,S,g-2,B,,,ZZ\n"
    )
    code, out = run("import", "--db", sqlite_url, str(bad))
    assert code == 1
    assert "3 problem(s)" in out and "line 2: child_first_name is empty" in out and "line 3:" in out
    code, out = run("import", "--db", sqlite_url, str(tmp_path / "no-such.csv"))
    assert code == 1 and "no-such.csv" in out


def test_leavers_staff_and_passwords(tmp_path: Path, db_url: str) -> None:
    seed_central(db_url, tmp_path)
    store = CentralStore(db_url)
    code, out = run("child", "remove", "c-alva", "--yes", "--db", db_url)
    assert code == 0, out
    code, out = run("guardian", "unlink", "g-peter", "--child", "c-saga", "--db", db_url)
    assert code == 0 and "guardian remove g-peter" in out
    code, out = run("guardian", "remove", "g-peter", "--db", db_url, input="y\n")
    assert code == 0, out
    with store.session() as s:
        assert s.get(Child, "c-alva") is None and s.get(Guardian, "g-peter") is None
        assert s.scalar(select(func.count()).select_from(Tag).where(Tag.owner_id == "g-peter")) == 0
    assert run("child", "remove", "c-nobody", "--yes", "--db", db_url)[0] == 1

    code, out = run(
        "staff", "add", "s-omar", "--name", "Omar K", "--department", "solen", "--pin", "1234", "--db", db_url
    )
    assert code == 1 and "at least 6 digits" in out, "a new PIN of four digits is refused"
    code, out = run(
        "staff",
        "add",
        "s-omar",
        "--name",
        "Omar K",
        "--department",
        "solen",
        "--pin",
        "123456",
        "--db",
        db_url,
    )
    assert code == 1 and "run of digits" in out
    code, out = run(
        "staff",
        "add",
        "s-omar",
        "--name",
        "Omar K",
        "--department",
        "solen",
        "--pin",
        "480917",
        "--db",
        db_url,
    )
    assert code == 0, out
    code, out = run(
        "staff", "set-password", "s-omar", "--username", "omar", "--stdin", "--db", db_url, input="short\n"
    )
    assert code == 1 and "12 to 256" in out
    pw = "correct horse battery"
    code, out = run(
        "staff", "set-password", "s-omar", "--username", "omar", "--stdin", "--db", db_url, input=pw + "\n"
    )
    assert code == 0, out
    with store.session() as s:
        row = s.get(Staff, "s-omar")
        assert row.username == "omar" and row.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(row.password_hash, pw)
    code, out = run(
        "staff", "set-password", "s-lena", "--username", "omar", "--stdin", "--db", db_url, input=pw + "\n"
    )
    assert code == 1 and "belongs to staff s-omar" in out
    code, out = run("staff", "list", "--db", db_url)
    assert code == 0 and "s-omar" in out and "omar" in out
    lena = next(line for line in out.splitlines() if "s-lena" in line)
    assert "old: set a new one" in lena, "seeded with a cheap pbkdf2 hash: the list says so"
    assert run("staff", "remove", "s-omar", "--yes", "--db", db_url)[0] == 0
    with store.session() as s:
        assert s.get(Staff, "s-omar") is None
    staff = tmp_path / "staff.csv"
    staff.write_text("staff_id;staff_name;departments;pin\ns-ulla;Ulla B;solen manen;493817\n")
    code, out = run("staff", "import", "--db", db_url, str(staff))
    assert code == 0 and "staff: 1 new" in out
    assert "nothing to change" in run("staff", "import", "--db", db_url, str(staff))[1]
    store.close()


def test_units(tmp_path: Path, db_url: str) -> None:
    seed_central(db_url, tmp_path)
    code, out = run(
        "unit", "add", "u-sol", "--name", "Solens förskola", "--department", "solen", "--db", db_url
    )
    assert code == 0, out
    assert run("unit", "set", "u-sol", "absence_reporting", "on", "--db", db_url)[0] == 0
    assert run("unit", "set", "u-sol", "closing_time", "17:30", "--db", db_url)[0] == 0
    assert run("unit", "set", "u-sol", "handover_mode", "staff_confirmed", "--db", db_url)[0] == 0
    code, out = run("unit", "set", "u-sol", "min_days_ahead", "many", "--db", db_url)
    assert code == 1 and "0 to 90" in out
    code, out = run("unit", "set", "u-none", "contact_editing", "off", "--db", db_url)
    assert code == 1 and "unit add u-none" in out
    assert run("unit", "set", "u-sol", "phone", "08-123 456 78", "--db", db_url)[0] == 0
    code, out = run("unit", "set", "u-sol", "phone", "ring oss", "--db", db_url)
    assert code == 1 and "08-123 456 78" in out, "says what a number looks like"
    code, out = run("unit", "show", "u-sol", "--db", db_url)
    assert "absence_reporting: on" in out and "closing_time: 17:30" in out and "departments: solen" in out
    assert "phone: 08-123 456 78" in out, "the refused number changed nothing"
    assert "u-sol" in run("unit", "list", "--db", db_url)[1]
    store = CentralStore(db_url)
    with store.session() as s:
        u = s.get(Unit, "u-sol")
        assert u.absence_reporting and u.handover_mode == "staff_confirmed" and u.closing_time.hour == 17
    store.close()
    assert run("unit", "set", "u-sol", "phone", "-", "--db", db_url)[0] == 0
    assert "phone: -" in run("unit", "show", "u-sol", "--db", db_url)[1]
