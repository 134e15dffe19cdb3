"""``lh-central import``: departments, children, guardians and tags from a CSV file.

All or nothing: every problem of the file is reported with its line number and then
nothing of the file is applied.  Importing again updates; it never duplicates.  Raw tag
UIDs and personal identity numbers are turned into keyed digests here and never stored.

A file is read in three steps, each testable without a database: :func:`read` decodes
the bytes (UTF-8 with or without BOM, or Windows-1252 as Swedish Excel saves it) and
finds the separator (comma or semicolon); :func:`parse_people` (or :func:`parse_staff`
for a staff file) checks every row; :func:`plan_people` (:func:`plan_staff`) compares
the file with the database and lists what is new, changed, unchanged and, in
``replace`` mode, removed.  :func:`execute` then applies a
plan that has no problems.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.db.schema import Child, ChildGuardian, Department, Guardian, Staff, StaffDepartment, Tag
from central.identity import IdentityNumberError, normalize_pnr, pnr_digest
from protocol.tags import hash_pin, new_pin_problem, normalize_uid_hex, tag_digest, verify_pin

COLUMNS = (
    "department_id",
    "department_name",
    "child_id",
    "child_first_name",
    "child_last_name",
    "guardian_id",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
    "tag_uid",
)
OPTIONAL_COLUMNS = ("guardian_pnr",)
"""Columns a file may leave out; older files have only :data:`COLUMNS`."""
REQUIRED = (
    "department_id",
    "department_name",
    "child_id",
    "child_first_name",
    "child_last_name",
    "guardian_id",
    "guardian_name",
)
STAFF_COLUMNS = ("staff_id", "staff_name", "departments")
STAFF_OPTIONAL_COLUMNS = ("pin", "tag_uid", "username")

_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()-]{5,40}$")
# A complete UTF-8 multi-byte sequence: in a file that is not UTF-8 as a whole, one of
# these means two encodings were mixed (rows pasted from elsewhere), and no choice is right.
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

SAVE_HINT = (
    "save it again from Excel with Arkiv > Spara som > 'CSV UTF-8 (kommaavgränsad) (*.csv)', "
    "or from LibreOffice as 'Text CSV' with character set UTF-8"
)


class ImportError_(ValueError):
    """The file was not applied; ``errors`` lists every problem as 'line N: ...'."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing was imported")
        self.errors = errors


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ImportError_([str(p) for p in sorted(problems, key=lambda p: p.line)])


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """A decoded file and how it was read."""

    text: str
    encoding: str
    delimiter: str

    def describe(self) -> str:
        sep = {",": "comma", ";": "semicolon"}[self.delimiter]
        return f"{self.encoding}, {sep}-separated"


def _line_at(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportError_([f"line 1: the file is UTF-16 (Excel's 'Unicode text'); {SAVE_HINT}"])
    if (nul := data.find(b"\x00")) >= 0:
        raise ImportError_(
            [f"line {_line_at(data, nul)}: a NUL byte: this is not a CSV text file; {SAVE_HINT}"]
        )
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as exc:
            line = _line_at(data, exc.start + 3)
            raise ImportError_(
                [
                    f"line {line}: the file says it is UTF-8 but byte 0x{data[exc.start + 3]:02x} is not; "
                    + SAVE_HINT
                ]
            ) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        bad_line = _line_at(data, exc.start)
        bad_byte = data[exc.start]
    if (m := _UTF8_SEQ.search(data)) is not None:
        raise ImportError_(
            [
                f"line {bad_line}: byte 0x{bad_byte:02x} is not UTF-8, yet line {_line_at(data, m.start())} "
                f"is UTF-8: the file mixes two encodings and no reading of it is right; {SAVE_HINT}"
            ]
        )
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise ImportError_(
            [
                f"line {_line_at(data, exc.start)}: byte 0x{data[exc.start]:02x} is neither UTF-8 nor "
                f"Windows-1252; {SAVE_HINT}"
            ]
        ) from None


def read(data: bytes | str) -> Source:
    """Decode ``data`` and find its separator from the header line; refuse what is ambiguous."""
    if isinstance(data, str):
        text, encoding = data.removeprefix("\ufeff"), "UTF-8"
    else:
        text, encoding = _decode(data)
    header = text.split("\n", 1)[0]
    commas, semicolons = header.count(","), header.count(";")
    if commas and semicolons:
        raise ImportError_(
            [
                "line 1: the header has both commas and semicolons, so the separator is ambiguous; "
                f"column names contain neither: {SAVE_HINT}"
            ]
        )
    if not commas and not semicolons:
        what = "tabs" if "\t" in header else "no comma or semicolon"
        raise ImportError_([f"line 1: the header has {what} between its columns; {SAVE_HINT}"])
    return Source(text, encoding, "," if commas else ";")


def _rows(reader: csv.DictReader[str], problems: list[Problem]) -> Iterator[tuple[int, dict[str | Any, Any]]]:
    """(first line, row) of each row; CSV the csv module cannot read (an unterminated quote,
    a huge field) ends the file with a line-numbered problem instead of a traceback."""
    while True:
        start = reader.line_num + 1  # a quoted field may span lines: report where the row starts
        try:
            yield start, next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(start, f"not readable as CSV ({exc}); the rest was not read"))
            return


def _header(source: Source, required: tuple[str, ...], optional: tuple[str, ...]) -> csv.DictReader[str]:
    # strict: an unterminated quote is an error, not a field swallowing the rest of the file
    reader = csv.DictReader(io.StringIO(source.text), delimiter=source.delimiter, strict=True)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required + optional]
    doubled = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or doubled:
        parts = []
        if missing:
            parts.append(f"lacks {', '.join(missing)}")
        if unknown:
            parts.append(f"has unknown column(s) {', '.join(unknown)}")
        if doubled:
            parts.append(f"has {', '.join(doubled)} twice")
        raise ImportError_(["line 1: header " + "; ".join(parts)])
    reader.fieldnames = header
    return reader


def _check_pnr(text: str) -> str | None:
    """Why ``text`` is not a personal identity number (never echoing it), or None."""
    try:
        digits = normalize_pnr(text)
    except IdentityNumberError:
        return "guardian_pnr is not 12 digits (YYYYMMDD-NNNN)"
    month, day = int(digits[4:6]), int(digits[6:8])
    if not (1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)):  # 61..91: samordningsnummer
        return "guardian_pnr has no valid date in it"
    total = 0
    for i, ch in enumerate(digits[2:]):  # Luhn over the last ten digits
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    if total % 10:
        return "guardian_pnr has a wrong check digit (a typing error?)"
    return None


# -- children and guardians ------------------------------------------------------------


@dataclass
class _Parsed:
    departments: dict[str, str] = field(default_factory=dict)
    children: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    guardians: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    pnr: dict[str, str] = field(default_factory=dict)  # guardian id -> digest
    links: dict[str, set[str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # digest -> guardian id
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, key) -> first line
    rows: int = 0


def parse_people(source: Source, tag_key: bytes | None) -> tuple[_Parsed, list[Problem]]:
    """Every row checked; the problems of all rows, and the good rows gathered."""
    reader = _header(source, COLUMNS, OPTIONAL_COLUMNS)
    problems: list[Problem] = []
    out = _Parsed()
    for line, row in _rows(reader, problems):
        out.rows += 1
        if None in row:
            problems.append(Problem(line, "more fields than the header has"))
            continue
        v = {k: (row.get(k) or "").strip() for k in COLUMNS + OPTIONAL_COLUMNS}
        found = [f"{k} is empty" for k in REQUIRED if not v[k]]
        for k in ("department_id", "child_id", "guardian_id"):
            if v[k] and not _ID_RE.fullmatch(v[k]):
                found.append(f"{k} {v[k]!r} may hold only letters, digits and _.:-")
        if v["guardian_email"] and not _EMAIL_RE.fullmatch(v["guardian_email"]):
            found.append(f"guardian_email {v['guardian_email']!r} is not an e-mail address")
        if v["guardian_phone"] and not _PHONE_RE.fullmatch(v["guardian_phone"]):
            found.append(f"guardian_phone {v['guardian_phone']!r} is not a phone number")
        for k, limit in (
            ("department_name", 120),
            ("child_first_name", 80),
            ("child_last_name", 80),
            ("guardian_name", 120),
        ):
            if len(v[k]) > limit:
                found.append(f"{k} is longer than {limit} characters")
        digest = _tag(v["tag_uid"], tag_key, found)
        pnr = None
        if v["guardian_pnr"]:
            if (why := _check_pnr(v["guardian_pnr"])) is not None:
                found.append(why)
            elif tag_key is None:
                found.append("guardian_pnr given but central has no site key")
            else:
                pnr = pnr_digest(tag_key, v["guardian_pnr"])
        problems.extend(Problem(line, p) for p in found)
        if found:
            continue
        _gather(out, v, digest, pnr, line, problems)
    if out.rows == 0 and not problems:
        problems.append(Problem(2, "the file has no rows"))
    return out, problems


def _tag(uid: str, tag_key: bytes | None, found: list[str]) -> str | None:
    if not uid:
        return None
    try:
        normalize_uid_hex(uid)
    except ValueError:
        found.append(f"tag_uid {uid!r} is not 4, 7 or 10 bytes of hex")
        return None
    if tag_key is None:
        found.append("tag_uid given but central has no tag key")
        return None
    return tag_digest(tag_key, uid)


def _gather(
    out: _Parsed, v: dict[str, str], digest: str | None, pnr: str | None, line: int, problems: list[Problem]
) -> None:
    """Add one good row; the same id must mean the same thing on every row."""

    def first(kind: str, key: str) -> int:
        return out.lines.setdefault((kind, key), line)

    dept, cid, gid = v["department_id"], v["child_id"], v["guardian_id"]
    name = out.departments.setdefault(dept, v["department_name"])
    if name != v["department_name"]:
        problems.append(
            Problem(line, f"department {dept} is named {name!r} on line {first('department', dept)}")
        )
    first("department", dept)
    c = (v["child_first_name"], v["child_last_name"], dept)
    if out.children.setdefault(cid, c) != c:
        problems.append(Problem(line, f"child {cid} differs from line {first('child', cid)}"))
    first("child", cid)
    g = (v["guardian_name"], v["guardian_phone"] or None, v["guardian_email"] or None)
    same_g = out.guardians.setdefault(gid, g) == g
    if pnr is not None and out.pnr.setdefault(gid, pnr) != pnr:
        same_g = False
    if not same_g:
        problems.append(Problem(line, f"guardian {gid} differs from line {first('guardian', gid)}"))
    first("guardian", gid)
    if pnr is not None:
        other = first("pnr", pnr)
        owner = next((g_ for g_, d in out.pnr.items() if d == pnr and g_ != gid), None)
        if owner is not None:
            problems.append(
                Problem(
                    line,
                    f"guardian {gid} has the personal identity number of guardian {owner} (line {other})",
                )
            )
    out.links.setdefault(cid, set()).add(gid)
    if digest is not None:
        owner = out.tags.setdefault(digest, gid)
        if owner != gid:
            problems.append(
                Problem(line, f"tag already given to guardian {owner} on line {first('tag', digest)}")
            )
        first("tag", digest)


def parse(text: str, tag_key: bytes | None) -> _Parsed:
    """Validate a whole file given as text; raise :class:`ImportError_` listing every problem."""
    parsed, problems = parse_people(read(text), tag_key)
    _raise(problems)
    return parsed


# -- plans -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # department, child, guardian, link, tag, staff
    key: str
    action: str  # new, changed, unchanged, removed
    detail: str = ""


KINDS = ("department", "child", "guardian", "link", "tag", "staff")
ACTIONS = ("new", "changed", "unchanged", "removed")
PLURAL = {
    "department": "departments",
    "child": "children",
    "guardian": "guardians",
    "link": "guardian links",
    "tag": "tags",
    "staff": "staff",
}


@dataclass
class ImportPlan:
    """What importing a file would do; ``problems`` empty means it can be executed."""

    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    departments_touched: set[str] = field(default_factory=set)
    people: _Parsed | None = None
    staff: _ParsedStaff | None = None
    rows: int = 0

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    def of(self, *actions: str) -> list[Change]:
        return [c for c in self.changes if c.action in actions]

    @property
    def unchanged(self) -> bool:
        return not self.of("new", "changed", "removed")

    def removals(self) -> list[Change]:
        """What ``replace`` mode removes, to be asked about: children, guardians and staff (a
        removed child's links go with it; a listed child's links follow the file in any mode)."""
        return [
            c
            for c in self.changes
            if (c.action == "removed" and c.kind != "link")
            or (c.kind == "staff" and c.action == "changed" and c.detail.startswith("leaves "))
        ]

    def summary_lines(self) -> list[str]:
        out = []
        for kind in KINDS:
            counts = [(a, self.count(kind, a)) for a in ACTIONS]
            if any(n for _, n in counts):
                out.append(f"{PLURAL[kind]}: " + ", ".join(f"{n} {a}" for a, n in counts if n))
        return out


def _change(
    plan: ImportPlan, kind: str, key: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    if before is None:
        plan.changes.append(Change(kind, key, "new"))
        return
    diff = [k for k, v in after.items() if before.get(k) != v]
    plan.changes.append(Change(kind, key, "changed" if diff else "unchanged", ", ".join(diff)))


def plan_people(session: Session, parsed: _Parsed, *, replace: bool = False) -> ImportPlan:
    """Compare the file with the database; in ``replace`` mode also list what the file's
    departments hold that the file does not (children, and guardians left with no child)."""
    plan = ImportPlan(people=parsed)
    line = parsed.lines.get
    depts = {
        d.id: d
        for d in session.scalars(select(Department).where(Department.id.in_(list(parsed.departments))))
    }
    for dept_id, name in parsed.departments.items():
        d = depts.get(dept_id)
        _change(plan, "department", dept_id, None if d is None else {"name": d.name}, {"name": name})
    plan.departments_touched.update(parsed.departments)

    guardians = {
        g.id: g for g in session.scalars(select(Guardian).where(Guardian.id.in_(list(parsed.guardians))))
    }
    for gid, (name, phone, email) in parsed.guardians.items():
        g = guardians.get(gid)
        after: dict[str, Any] = {"name": name, "phone": phone, "email": email}
        before: dict[str, Any] | None = None
        if g is not None:
            before = {"name": g.name, "phone": g.phone, "email": g.email}
        if gid in parsed.pnr:  # an empty cell keeps the number central has
            after["personal identity number"] = parsed.pnr[gid]
            if before is not None:
                before["personal identity number"] = g.pnr_digest if g is not None else None
        _change(plan, "guardian", gid, before, after)
    holders = {d: g for g, d in parsed.pnr.items()}
    for digest, owner in session.execute(
        select(Guardian.pnr_digest, Guardian.id).where(Guardian.pnr_digest.in_(list(holders)))
    ).all():
        holder = holders[str(digest)]
        # Taken, unless the file moves it: the owner is in the file with another number.
        if holder != owner and parsed.pnr.get(owner) is None:
            plan.problems.append(
                Problem(
                    line(("guardian", holder), 1),
                    f"guardian {holder}'s personal identity number already belongs to guardian {owner}",
                )
            )

    children = {c.id: c for c in session.scalars(select(Child).where(Child.id.in_(list(parsed.children))))}
    for cid, (first, last, dept_id) in parsed.children.items():
        c = children.get(cid)
        before = (
            None
            if c is None
            else {"first_name": c.first_name, "last_name": c.last_name, "department": c.department_id}
        )
        _change(plan, "child", cid, before, {"first_name": first, "last_name": last, "department": dept_id})
        if c is not None:
            plan.departments_touched.add(c.department_id)

    db_links: dict[str, set[str]] = {}
    for cid, gid in session.execute(
        select(ChildGuardian.child_id, ChildGuardian.guardian_id).where(
            ChildGuardian.child_id.in_(list(parsed.children))
        )
    ):
        db_links.setdefault(cid, set()).add(gid)
    for cid, gids in parsed.links.items():
        have = db_links.get(cid, set())
        for gid in sorted(gids | have):
            action = "unchanged" if gid in have and gid in gids else "new" if gid in gids else "removed"
            plan.changes.append(Change("link", f"{cid}/{gid}", action))

    taken = {t.digest: t for t in session.scalars(select(Tag).where(Tag.digest.in_(list(parsed.tags))))}
    for digest, gid in parsed.tags.items():
        t = taken.get(digest)
        if t is None:
            plan.changes.append(Change("tag", f"{gid}/{digest[:8]}", "new"))
        elif (t.owner_kind, t.owner_id) == ("guardian", gid):
            plan.changes.append(Change("tag", f"{gid}/{digest[:8]}", "unchanged"))
        else:
            plan.problems.append(
                Problem(
                    line(("tag", digest), 1),
                    f"tag of guardian {gid} already belongs to {t.owner_kind} {t.owner_id}",
                )
            )
    if replace:
        _plan_removals(session, parsed, plan, db_links)
    return plan


def _plan_removals(
    session: Session, parsed: _Parsed, plan: ImportPlan, db_links: dict[str, set[str]]
) -> None:
    leaving = session.scalars(
        select(Child)
        .where(Child.department_id.in_(list(parsed.departments)), Child.id.not_in(list(parsed.children)))
        .order_by(Child.id)
    ).all()
    for c in leaving:
        plan.changes.append(Change("child", c.id, "removed", f"department {c.department_id}"))
    # Guardians who lose a child here and keep none: their links, in and outside the file.
    lost = {gid for cid, gids in db_links.items() for gid in gids - parsed.links.get(cid, set())}
    leaving_ids = [c.id for c in leaving]
    for cid, gid in session.execute(
        select(ChildGuardian.child_id, ChildGuardian.guardian_id).where(
            ChildGuardian.child_id.in_(leaving_ids)
        )
    ):
        lost.add(gid)
        plan.changes.append(Change("link", f"{cid}/{gid}", "removed", "replace"))
    kept_in_file = {g for gids in parsed.links.values() for g in gids}
    candidates = sorted(lost - kept_in_file)
    still = set(
        session.scalars(
            select(ChildGuardian.guardian_id).where(
                ChildGuardian.guardian_id.in_(candidates),
                ChildGuardian.child_id.not_in(leaving_ids + list(parsed.children)),
            )
        )
    )
    for gid in candidates:
        if gid not in still:
            plan.changes.append(Change("guardian", gid, "removed", "no child left"))


def execute(session: Session, plan: ImportPlan, *, now: datetime | None = None) -> None:
    """Apply a plan without problems in the caller's transaction."""
    from central import retention

    _raise(plan.problems)
    now = now or datetime.now(UTC)
    if plan.staff is not None:
        _execute_staff(session, plan, now)
        return
    parsed = plan.people
    assert parsed is not None
    for c in plan.of("removed"):
        if c.kind == "child":
            retention.end_enrolment(session, c.key)
    session.flush()
    for c in plan.of("removed"):
        if c.kind == "guardian":
            retention.remove_guardian(session, c.key)
    for dept_id, name in parsed.departments.items():
        session.merge(Department(id=dept_id, name=name))
    session.flush()
    moving = [
        gid
        for gid in parsed.pnr
        if (g := session.get(Guardian, gid)) is not None and g.pnr_digest != parsed.pnr[gid]
    ]
    for gid in moving:  # free changed numbers first, so two guardians can swap without a unique clash
        session.get(Guardian, gid).pnr_digest = None  # type: ignore[union-attr]
    session.flush()
    for gid, (name, phone, email) in parsed.guardians.items():
        g = session.get(Guardian, gid)
        if g is None:
            g = Guardian(id=gid)
            session.add(g)
        g.name, g.phone, g.email = name, phone, email
        if gid in parsed.pnr:
            g.pnr_digest = parsed.pnr[gid]
    for cid, (first, last, dept_id) in parsed.children.items():
        session.merge(Child(id=cid, first_name=first, last_name=last, department_id=dept_id))
    session.flush()
    for cid, gids in parsed.links.items():
        # The file is the truth about a listed child's guardians.
        session.execute(delete(ChildGuardian).where(ChildGuardian.child_id == cid))
        session.add_all(ChildGuardian(child_id=cid, guardian_id=gid) for gid in sorted(gids))
    taken = set(session.scalars(select(Tag.digest).where(Tag.digest.in_(list(parsed.tags)))))
    session.add_all(
        Tag(digest=d, owner_kind="guardian", owner_id=gid, created_at=now)
        for d, gid in parsed.tags.items()
        if d not in taken
    )
    session.flush()


@dataclass
class ImportSummary:
    departments: int = 0
    children: int = 0
    guardians: int = 0
    links: int = 0
    tags_added: int = 0
    departments_touched: set[str] = field(default_factory=set)


def apply(session: Session, parsed: _Parsed, *, replace: bool = False) -> ImportSummary:
    """Upsert the parsed file in the caller's transaction; raises ImportError_ on conflicts with
    the database (a tag or personal identity number someone else has)."""
    plan = plan_people(session, parsed, replace=replace)
    execute(session, plan)
    return ImportSummary(
        departments=len(parsed.departments),
        children=len(parsed.children),
        guardians=len(parsed.guardians),
        links=sum(len(g) for g in parsed.links.values()),
        tags_added=plan.count("tag", "new"),
        departments_touched=plan.departments_touched,
    )


def check(
    session: Session, source: Source, tag_key: bytes | None, *, staff: bool = False, replace: bool = False
) -> ImportPlan:
    """Parse and plan in one: every problem of the file, its rows and against the database."""
    plan: ImportPlan
    if staff:
        parsed_staff, problems = parse_staff(source, tag_key)
        plan = plan_staff(session, parsed_staff, replace=replace)
        plan.rows = parsed_staff.rows
    else:
        parsed, problems = parse_people(source, tag_key)
        plan = plan_people(session, parsed, replace=replace)
        plan.rows = parsed.rows
    plan.problems = sorted(problems + plan.problems, key=lambda p: p.line)
    return plan


# -- staff -----------------------------------------------------------------------------


@dataclass
class _ParsedStaff:
    staff: dict[str, tuple[str, frozenset[str], str | None, str | None]] = field(default_factory=dict)
    """id -> (name, departments, PIN or None, username or None)"""
    tags: dict[str, str] = field(default_factory=dict)  # digest -> staff id
    lines: dict[str, int] = field(default_factory=dict)  # staff id or tag digest -> line
    departments: set[str] = field(default_factory=set)
    rows: int = 0


def parse_staff(source: Source, tag_key: bytes | None) -> tuple[_ParsedStaff, list[Problem]]:
    """A staff file: one row per staff member (see docs/import.md)."""
    reader = _header(source, STAFF_COLUMNS, STAFF_OPTIONAL_COLUMNS)
    problems: list[Problem] = []
    out = _ParsedStaff()
    usernames: dict[str, str] = {}
    for line, row in _rows(reader, problems):
        out.rows += 1
        if None in row:
            problems.append(Problem(line, "more fields than the header has"))
            continue
        v = {k: (row.get(k) or "").strip() for k in STAFF_COLUMNS + STAFF_OPTIONAL_COLUMNS}
        found = [f"{k} is empty" for k in STAFF_COLUMNS if not v[k]]
        sid = v["staff_id"]
        if sid and not _ID_RE.fullmatch(sid):
            found.append(f"staff_id {sid!r} may hold only letters, digits and _.:-")
        if len(v["staff_name"]) > 120:
            found.append("staff_name is longer than 120 characters")
        depts = frozenset(v["departments"].split())
        found += [
            f"department id {d!r} may hold only letters, digits and _.:-"
            for d in sorted(depts)
            if not _ID_RE.fullmatch(d)
        ]
        if v["pin"] and not (v["pin"].isdigit() and 4 <= len(v["pin"]) <= 8):
            found.append("pin must be 4 to 8 digits")
        if v["username"] and not _USERNAME_RE.fullmatch(v["username"]):
            found.append(f"username {v['username']!r} may hold only letters, digits and _.@-")
        digest = _tag(v["tag_uid"], tag_key, found)
        if sid in out.staff:
            found.append(f"staff {sid} is on line {out.lines[sid]} too")
        if v["username"] and (other := usernames.get(v["username"].lower())) is not None:
            found.append(f"username {v['username']!r} is staff {other}'s on line {out.lines[other]}")
        if digest is not None and (owner := out.tags.get(digest)) is not None:
            found.append(f"tag already given to staff {owner} on line {out.lines[digest]}")
        problems.extend(Problem(line, p) for p in found)
        if found:
            continue
        out.staff[sid] = (v["staff_name"], depts, v["pin"] or None, v["username"] or None)
        out.lines[sid] = line
        out.departments |= depts
        if v["username"]:
            usernames[v["username"].lower()] = sid
        if digest is not None:
            out.tags[digest] = sid
            out.lines[digest] = line
    if out.rows == 0 and not problems:
        problems.append(Problem(2, "the file has no rows"))
    return out, problems


def plan_staff(session: Session, parsed: _ParsedStaff, *, replace: bool = False) -> ImportPlan:
    """Compare a staff file with the database; ``replace`` removes staff of the file's departments
    it does not list (or, if they also work elsewhere, only their place in those departments)."""
    plan = ImportPlan(staff=parsed)
    plan.departments_touched |= parsed.departments
    known = set(session.scalars(select(Department.id).where(Department.id.in_(list(parsed.departments)))))
    for sid, (_, depts, _, _) in parsed.staff.items():
        for d in sorted(depts - known):
            plan.problems.append(Problem(parsed.lines[sid], f"no department {d}; import it first"))
    rows = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(list(parsed.staff))))}
    places: dict[str, set[str]] = {}
    for sid, dept in session.execute(select(StaffDepartment.staff_id, StaffDepartment.department_id)):
        places.setdefault(sid, set()).add(dept)
    has_tag = set(session.scalars(select(Tag.owner_id).where(Tag.owner_kind == "staff")))
    for sid, (name, depts, pin, username) in parsed.staff.items():
        row = rows.get(sid)
        if (
            pin is None
            and sid not in parsed.tags.values()
            and (row is None or row.pin_hash is None)
            and sid not in has_tag
        ):
            plan.problems.append(
                Problem(parsed.lines[sid], f"staff {sid} needs a pin or a tag_uid to unlock staff mode")
            )
        after: dict[str, Any] = {"name": name, "departments": sorted(depts)}
        before: dict[str, Any] | None = None
        if row is not None:
            before = {"name": row.name, "departments": sorted(places.get(sid, set()))}
            for d in places.get(sid, set()) - depts:
                plan.departments_touched.add(d)
        if username is not None:
            after["username"] = username
            if before is not None:
                before["username"] = row.username if row is not None else None
        if pin is not None:
            # The file's PIN is kept if it is the one they have (4 digits may still be);
            # a new one meets the same rule as ``lh-central staff add`` (docs/security.md).
            same = row is not None and row.pin_hash is not None and verify_pin(pin, row.pin_hash)
            if not same and (problem := new_pin_problem(pin)) is not None:
                plan.problems.append(Problem(parsed.lines[sid], f"staff {sid}: {problem}"))
            if before is not None:
                after["pin"] = True
                before["pin"] = same
        _change(plan, "staff", sid, before, after)
    wanted = {u.lower(): sid for sid, (_, _, _, u) in parsed.staff.items() if u}
    for sid, username in session.execute(select(Staff.id, Staff.username).where(Staff.username.is_not(None))):
        other = wanted.get(str(username).lower())
        # Taken, unless the file gives its owner another username.
        if (
            other is not None
            and other != sid
            and parsed.staff.get(sid, ("", frozenset(), None, None))[3] is None
        ):
            plan.problems.append(
                Problem(parsed.lines[other], f"username {username!r} belongs to staff {sid}")
            )
    taken = {t.digest: t for t in session.scalars(select(Tag).where(Tag.digest.in_(list(parsed.tags))))}
    for digest, sid in parsed.tags.items():
        t = taken.get(digest)
        key = f"{sid}/{digest[:8]}"
        if t is None:
            plan.changes.append(Change("tag", key, "new"))
        elif (t.owner_kind, t.owner_id) == ("staff", sid):
            plan.changes.append(Change("tag", key, "unchanged"))
        else:
            plan.problems.append(
                Problem(
                    parsed.lines[digest], f"tag of staff {sid} already belongs to {t.owner_kind} {t.owner_id}"
                )
            )
    if replace:
        for sid in sorted(set(places) - set(parsed.staff)):
            inside = places[sid] & parsed.departments
            if not inside:
                continue
            if places[sid] <= parsed.departments:
                plan.changes.append(
                    Change("staff", sid, "removed", "departments " + " ".join(sorted(inside)))
                )
            else:
                plan.changes.append(Change("staff", sid, "changed", "leaves " + " ".join(sorted(inside))))
    return plan


def _execute_staff(session: Session, plan: ImportPlan, now: datetime) -> None:
    from central import retention

    parsed = plan.staff
    assert parsed is not None
    for c in plan.changes:
        if c.kind == "staff" and c.action == "removed":
            retention.remove_staff(session, c.key)
        elif c.kind == "staff" and c.action == "changed" and c.detail.startswith("leaves "):
            session.execute(
                delete(StaffDepartment).where(
                    StaffDepartment.staff_id == c.key, StaffDepartment.department_id.in_(c.detail.split()[1:])
                )
            )
    for sid, (_, _, _, username) in parsed.staff.items():
        row = session.get(Staff, sid)
        if row is not None and username is not None and row.username != username:
            row.username = None  # freed first, so two staff can swap usernames
    session.flush()
    for sid, (name, depts, pin, username) in parsed.staff.items():
        row = session.get(Staff, sid)
        if row is None:
            row = Staff(id=sid, name=name)
            session.add(row)
        row.name = name
        if username is not None:
            row.username = username
        if pin is not None and not (row.pin_hash and verify_pin(pin, row.pin_hash)):
            row.pin_hash = hash_pin(pin)
        session.flush()
        session.execute(delete(StaffDepartment).where(StaffDepartment.staff_id == sid))
        session.add_all(StaffDepartment(staff_id=sid, department_id=d) for d in sorted(depts))
    taken = set(session.scalars(select(Tag.digest).where(Tag.digest.in_(list(parsed.tags)))))
    session.add_all(
        Tag(digest=d, owner_kind="staff", owner_id=sid, created_at=now)
        for d, sid in parsed.tags.items()
        if d not in taken
    )
    session.flush()
