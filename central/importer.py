"""``lh-central import``: departments, children, guardians and tags from a CSV file.

All or nothing: every bad row is reported with its line number and then nothing
of the file is applied.  Importing again updates; it never duplicates.  Raw tag
UIDs are turned into keyed digests here and never stored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.db.schema import Child, ChildGuardian, Department, Guardian, Tag
from protocol.tags import normalize_uid_hex, tag_digest

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
_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()-]{5,40}$")
REQUIRED = (
    "department_id",
    "department_name",
    "child_id",
    "child_first_name",
    "child_last_name",
    "guardian_id",
    "guardian_name",
)


class ImportError_(ValueError):
    """The file was not applied; ``errors`` lists every problem as 'line N: ...'."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing was imported")
        self.errors = errors


@dataclass
class ImportSummary:
    departments: int = 0
    children: int = 0
    guardians: int = 0
    links: int = 0
    tags_added: int = 0
    departments_touched: set[str] = field(default_factory=set)


@dataclass
class _Parsed:
    departments: dict[str, str] = field(default_factory=dict)
    children: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    guardians: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    links: dict[str, set[str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # digest -> guardian id


def _rows(reader: csv.DictReader[str], errors: list[str]) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's rows; CSV the csv module cannot read (an unterminated quote, a huge field)
    ends the file with a line-numbered error instead of a traceback."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # line_num counts the lines of the rows read so far: the bad row starts on the next
            errors.append(f"line {reader.line_num + 1}: not readable as CSV ({exc}); the rest was not read")
            return


def parse(text: str, tag_key: bytes | None) -> _Parsed:
    """Validate the whole file; raise :class:`ImportError_` listing every bad row."""
    errors: list[str] = []
    out = _Parsed()
    # strict: an unterminated quote is an error, not a field swallowing the rest of the file
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        msg = "line 1: header"
        if missing:
            msg += f" lacks {', '.join(missing)}"
        if unknown:
            msg += f"{';' if missing else ''} has unknown column(s) {', '.join(unknown)}"
        raise ImportError_([msg])
    reader.fieldnames = header
    tag_owner_line: dict[str, int] = {}
    rows = 0
    for row in _rows(reader, errors):
        line = reader.line_num
        rows += 1
        if None in row:
            errors.append(f"line {line}: more fields than the header has")
            continue
        v = {k: (row.get(k) or "").strip() for k in COLUMNS}
        problems = [f"{k} is empty" for k in REQUIRED if not v[k]]
        for k in ("department_id", "child_id", "guardian_id"):
            if v[k] and not _ID_RE.fullmatch(v[k]):
                problems.append(f"{k} {v[k]!r} may hold only letters, digits and _.:-")
        if v["guardian_email"] and not _EMAIL_RE.fullmatch(v["guardian_email"]):
            problems.append(f"guardian_email {v['guardian_email']!r} is not an e-mail address")
        if v["guardian_phone"] and not _PHONE_RE.fullmatch(v["guardian_phone"]):
            problems.append(f"guardian_phone {v['guardian_phone']!r} is not a phone number")
        for k, limit in (
            ("department_name", 120),
            ("child_first_name", 80),
            ("child_last_name", 80),
            ("guardian_name", 120),
        ):
            if len(v[k]) > limit:
                problems.append(f"{k} is longer than {limit} characters")
        digest = None
        if v["tag_uid"]:
            try:
                normalize_uid_hex(v["tag_uid"])
            except ValueError:
                problems.append(f"tag_uid {v['tag_uid']!r} is not 4, 7 or 10 bytes of hex")
            else:
                if tag_key is None:
                    problems.append("tag_uid given but central has no tag key")
                else:
                    digest = tag_digest(tag_key, v["tag_uid"])
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        # Consistency across rows: the same id must mean the same thing everywhere.
        d = out.departments.setdefault(v["department_id"], v["department_name"])
        if d != v["department_name"]:
            errors.append(f"line {line}: department {v['department_id']} named {d!r} earlier")
        c = (v["child_first_name"], v["child_last_name"], v["department_id"])
        prev_c = out.children.setdefault(v["child_id"], c)
        if prev_c != c:
            errors.append(f"line {line}: child {v['child_id']} differs from an earlier row")
        g = (v["guardian_name"], v["guardian_phone"] or None, v["guardian_email"] or None)
        prev_g = out.guardians.setdefault(v["guardian_id"], g)
        if prev_g != g:
            errors.append(f"line {line}: guardian {v['guardian_id']} differs from an earlier row")
        out.links.setdefault(v["child_id"], set()).add(v["guardian_id"])
        if digest is not None:
            owner = out.tags.setdefault(digest, v["guardian_id"])
            if owner != v["guardian_id"]:
                errors.append(
                    f"line {line}: tag already given to guardian {owner} on line {tag_owner_line[digest]}"
                )
            tag_owner_line.setdefault(digest, line)
    if rows == 0 and not errors:
        errors.append("line 2: the file has no rows")
    if errors:
        raise ImportError_(errors)
    return out


def apply(session: Session, parsed: _Parsed) -> ImportSummary:
    """Upsert the parsed file in the caller's transaction; raises ImportError_ on tag conflicts."""
    summary = ImportSummary()
    now = datetime.now(UTC)
    taken = {t.digest: t for t in session.scalars(select(Tag).where(Tag.digest.in_(list(parsed.tags))))}
    conflicts = [
        f"tag of guardian {gid} already belongs to {t.owner_kind} {t.owner_id}"
        for digest, gid in parsed.tags.items()
        if (t := taken.get(digest)) is not None and (t.owner_kind, t.owner_id) != ("guardian", gid)
    ]
    if conflicts:
        raise ImportError_(conflicts)
    for dept_id, name in parsed.departments.items():
        session.merge(Department(id=dept_id, name=name))
        summary.departments += 1
        summary.departments_touched.add(dept_id)
    session.flush()
    for gid, (name, phone, email) in parsed.guardians.items():
        session.merge(Guardian(id=gid, name=name, phone=phone, email=email))
        summary.guardians += 1
    for cid, (first, last, dept_id) in parsed.children.items():
        old = session.get(Child, cid)
        if old is not None and old.department_id != dept_id:
            summary.departments_touched.add(old.department_id)
        session.merge(Child(id=cid, first_name=first, last_name=last, department_id=dept_id))
        summary.children += 1
    session.flush()
    for cid, gids in parsed.links.items():
        # The file is the truth about a listed child's guardians.
        session.execute(delete(ChildGuardian).where(ChildGuardian.child_id == cid))
        for gid in sorted(gids):
            session.add(ChildGuardian(child_id=cid, guardian_id=gid))
            summary.links += 1
    for digest, gid in parsed.tags.items():
        if digest not in taken:
            session.add(Tag(digest=digest, owner_kind="guardian", owner_id=gid, created_at=now))
            summary.tags_added += 1
    session.flush()
    return summary
