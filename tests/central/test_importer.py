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
        parse(HEADER + f"{ok}\n{bad_row.replace('Ted T', chr(34) + 'Ted T')}\n{ok}\n", key)
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
    assert "children: 10 new" in ok.stdout
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


# -- issue 10: encodings, one problem per entry, identity numbers, plans, staff -----------

PNR_A, PNR_B = "19121212-1212", "20101010-1010"  # Skatteverket-style test numbers (valid check digit)
HEADER_PNR = ",".join((*COLUMNS, "guardian_pnr")) + "\n"


def test_read_detects_windows_1252_semicolons_and_utf8_with_bom() -> None:
    from central.importer import read

    text = HEADER.replace(",", ";") + "solen;Solen;c-1;Åsa;Sjö;g-1;Örjan Ö;;;\n"
    cp = read(text.encode("cp1252"))
    assert (cp.encoding, cp.delimiter) == ("Windows-1252", ";") and "Sjö" in cp.text
    assert cp.describe() == "Windows-1252, semicolon-separated"
    bom = read(b"\xef\xbb\xbf" + (HEADER + "solen,Solen,c-1,Åsa,Sjö,g-1,Ö,,,\n").encode())
    assert (bom.encoding, bom.delimiter) == ("UTF-8 with BOM", ",") and bom.text.startswith("department_id")
    assert read(HEADER.encode()).describe() == "UTF-8, comma-separated"
    parsed = parse(cp.text.replace(";", ","), b"k" * 32)  # the text itself parses as before
    assert parsed.children["c-1"][:2] == ("Åsa", "Sjö")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ((HEADER + "solen,Solen,c-1,Åsa,S,g-1,A,,,\n").encode() + "c-2 Sjö\n".encode("cp1252"), "line 3:"),
        (HEADER.replace(",", ";", 3).encode(), "both commas and semicolons"),
        (HEADER.replace(",", "\t").encode(), "tabs"),
        ((HEADER + "x\n").encode("utf-16"), "UTF-16"),
        (HEADER.encode() + b"solen,Solen,c-1,A\x81,S,g-1,A,,,\n", "neither UTF-8 nor Windows-1252"),
    ],
    ids=["mixed-encodings", "two-separators", "tabs", "utf16", "undefined-byte"],
)
def test_ambiguous_or_unreadable_files_are_refused_with_how_to_save(data: bytes, expected: str) -> None:
    from central.importer import SAVE_HINT, read

    with pytest.raises(ImportError_) as err:
        read(data)
    assert len(err.value.errors) == 1
    assert expected in err.value.errors[0] and SAVE_HINT in err.value.errors[0]


def test_problems_are_counted_not_lines() -> None:
    row = "solen,Solen,c-1,,S,g-1,Anna,,not-mail,ZZ"  # three problems on one line
    with pytest.raises(ImportError_) as err:
        parse(HEADER + row + "\n", b"k" * 32)
    assert len(err.value.errors) == 3 and all(e.startswith("line 2: ") for e in err.value.errors)
    assert str(err.value) == "3 problem(s); nothing was imported"


def test_a_tag_conflict_with_the_database_has_its_line(db_url: str) -> None:
    from central.importer import check, read

    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    with store.session() as s, s.begin():
        apply(s, parse(DEMO_CSV.read_text(), key))
    rows = "solen,Solen,c-new,Nils,N,g-new,Nils N,,,\nsolen,Solen,c-new2,Mia,M,g-new2,Mia M,,,04A1B2C3\n"
    with store.session() as s:
        plan = check(s, read(HEADER + rows), key)
    assert [str(p) for p in plan.problems] == [
        "line 3: tag of guardian g-new2 already belongs to guardian g-anna"
    ]
    with store.session() as s, pytest.raises(ImportError_):
        apply(s, parse(HEADER + rows, key))
    assert _count(store, Child) == 10
    store.close()


def test_identity_numbers_are_kept_as_digests_and_checked(db_url: str) -> None:
    from central.identity import pnr_digest
    from central.importer import check, read

    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    assert key is not None
    ok = HEADER_PNR + f"solen,Solen,c-1,Alva,S,g-1,Anna S,,,,{PNR_A}\nsolen,Solen,c-1,Alva,S,g-2,Bo S,,,,\n"
    with store.session() as s, s.begin():
        apply(s, parse(ok, key))
    with store.session() as s:
        assert s.get(Guardian, "g-1").pnr_digest == pnr_digest(key, PNR_A)
        assert s.get(Guardian, "g-2").pnr_digest is None
        dump = repr([(g.name, g.pnr_digest) for g in s.scalars(select(Guardian))])
    assert "19121212" not in dump and "1212" not in dump.replace(pnr_digest(key, PNR_A), "")
    bad = (
        HEADER_PNR + "solen,Solen,c-2,Ted,T,g-3,Ted T,,,,19121212-1213\n"  # line 2: check digit
        f"solen,Solen,c-3,Ida,I,g-4,Ida I,,,,{PNR_B}\n"
        f"solen,Solen,c-4,Eva,E,g-5,Eva E,,,,{PNR_B}\n"  # line 4: same number as g-4
        f"solen,Solen,c-5,Max,M,g-6,Max M,,,,{PNR_A}\n"  # line 5: g-1's number in the database
        "solen,Solen,c-6,Liv,L,g-7,Liv L,,,,1912121212\n"  # line 6: ten digits
    )
    with store.session() as s:
        plan = check(s, read(bad), key)
    text = [str(p) for p in plan.problems]
    assert [t.split(":")[0] for t in text] == ["line 2", "line 4", "line 5", "line 6"]
    assert "g-4" in text[1] and "g-1" in text[2]
    assert not any("1912" in t or "2010" in t for t in text), "a problem never repeats the number"
    store.close()


def test_reimport_is_unchanged_and_replace_removes_leavers(db_url: str) -> None:
    from central.importer import check, execute, read

    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    text = DEMO_CSV.read_text() + "manen,Månen,c-saga,Saga,Ek,g-peter,Peter Ek,,,04EEEEEE\n"
    with store.session() as s, s.begin():
        apply(s, parse(text, key))
    with store.session() as s:
        assert check(s, read(text), key).unchanged
    solen = [r for r in DEMO_CSV.read_text().splitlines()[1:] if r.startswith("solen")]
    leaver = solen[-1].split(",")[2]
    kept = [r for r in solen if f",{leaver}," not in r]
    smaller = HEADER + "\n".join(kept) + "\n"
    with store.session() as s:
        normal = check(s, read(smaller), key)
        plan = check(s, read(smaller), key, replace=True)
    assert normal.removals() == [] and normal.unchanged
    removed = {(c.kind, c.key) for c in plan.removals()}
    assert ("child", leaver) in removed and ("child", "c-saga") not in removed
    with store.session() as s, s.begin():
        execute(s, plan)
    with store.session() as s:
        assert s.get(Child, leaver) is None and s.get(Child, "c-saga") is not None
        for kind, gid in removed:
            if kind == "guardian":
                assert s.get(Guardian, gid) is None
                assert s.scalar(select(func.count()).select_from(Tag).where(Tag.owner_id == gid)) == 0
    store.close()


STAFF_HEADER = "staff_id,staff_name,departments,pin,tag_uid,username\n"


def test_staff_file_import_plan_and_replace(db_url: str) -> None:
    from central.db.schema import Staff, StaffDepartment
    from central.importer import check, execute, read
    from protocol.tags import hash_pin, verify_pin

    store = CentralStore(db_url)
    key = store.tag_key(create=True)
    text = DEMO_CSV.read_text() + "manen,Månen,c-saga,Saga,Ek,g-peter,Peter Ek,,,\n"
    with store.session() as s, s.begin():
        apply(s, parse(text, key))
    staff = (
        STAFF_HEADER
        + "s-lena,Lena P,solen,258013,,lena\n"
        + "s-omar,Omar K,solen manen,,04CAFE01,\n"
        + "s-ulla,Ulla,manen,731904,,\n"
    )
    with store.session() as s, s.begin():
        plan = check(s, read(staff), key, staff=True)
        assert plan.count("staff", "new") == 3 and not plan.problems
        execute(s, plan)
    with store.session() as s:
        lena = s.get(Staff, "s-lena")
        assert lena.username == "lena" and verify_pin("258013", lena.pin_hash)
        assert s.get(Tag, next(iter(plan.staff.tags))).owner_id == "s-omar"  # type: ignore[union-attr]
        assert check(s, read(staff), key, staff=True).unchanged, "same PIN again is unchanged"
    bad = STAFF_HEADER + (
        "s-x,X,nowhere,731904,,\n"  # line 2: no department
        "s-y,Y,solen,,,\n"  # line 3: neither PIN nor tag
        "s-z,Z,solen,12,,lena\n"  # line 4: short PIN, and lena is s-lena's username
        "s-w,W,solen,731904,04CAFE01,\n"  # line 5: s-omar's tag
        "s-v,V,solen,2580,,\n"  # line 6: a new PIN of 4 digits
        "s-u,U,solen,123456,,\n"  # line 7: a run of digits
    )
    with store.session() as s:
        problems = [str(p) for p in check(s, read(bad), key, staff=True).problems]
    assert sorted(p.split(":")[0] for p in problems) == sorted(
        ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    )
    assert any("line 6" in p and "at least 6 digits" in p for p in problems)
    only_solen = STAFF_HEADER + "s-lena,Lena P,solen,,,\n"
    with store.session() as s, s.begin():
        plan = check(s, read(only_solen), key, staff=True, replace=True)
        assert {(c.key, c.action) for c in plan.removals()} == {("s-omar", "changed")}
        execute(s, plan)
    with store.session() as s:
        assert set(
            s.scalars(select(StaffDepartment.department_id).where(StaffDepartment.staff_id == "s-omar"))
        ) == {"manen"}
        assert verify_pin("258013", s.get(Staff, "s-lena").pin_hash), "an empty pin keeps the PIN"
    with store.session() as s, s.begin():  # chosen before the 6-digit rule: still theirs
        s.get(Staff, "s-lena").pin_hash = hash_pin("2580", iterations=1000)
    again = STAFF_HEADER + "s-lena,Lena P,solen,2580,,\n"
    with store.session() as s:
        plan = check(s, read(again), key, staff=True)
        assert not plan.problems and plan.unchanged, "the PIN she has is no new PIN"
    store.close()
