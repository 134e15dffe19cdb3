"""The built-in demo department, so a newcomer sees the real thing at once.

The demo tag key is public and for demos only: a real site's key is made by
``lh-provision init-site`` and never leaves the site.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from protocol.messages import Roster, RosterChild, RosterDepartment, RosterGuardian, RosterStaff
from protocol.tags import hash_pin, tag_digest

HERE = Path(__file__).parent
DEMO_CSV = HERE / "demo.csv"
DEMO_TAG_KEY = bytes.fromhex("6c616d6e612d68616d74612d64656d6f2d6b65792d6e6f742d736563726574")
DEMO_STAFF = {"id": "s-lena", "name": "Lena Pedagog", "tag": "04CAFE01", "pin": "2580"}


def demo_tags() -> list[tuple[str, str]]:
    """(tag UID, whose) for --help and the README."""
    seen: dict[str, str] = {}
    with DEMO_CSV.open() as fh:
        for row in csv.DictReader(fh):
            if row["tag_uid"]:
                seen.setdefault(row["tag_uid"], f"guardian {row['guardian_name']}")
    seen[DEMO_STAFF["tag"]] = f"staff {DEMO_STAFF['name']} (PIN {DEMO_STAFF['pin']})"
    return sorted(seen.items(), key=lambda kv: kv[1])


def demo_roster(now: datetime | None = None) -> Roster:
    """The roster central would send for the demo department (version 1)."""
    now = now or datetime.now(UTC)
    children: dict[str, dict[str, object]] = {}
    guardians: dict[str, dict[str, object]] = {}
    with DEMO_CSV.open() as fh:
        for row in csv.DictReader(fh):
            c = children.setdefault(
                row["child_id"],
                {"name": f"{row['child_first_name']} {row['child_last_name'][:1]}.", "guardians": []},
            )
            c["guardians"].append(row["guardian_id"])  # type: ignore[attr-defined]
            first, *_, last = row["guardian_name"].split()
            g = guardians.setdefault(row["guardian_id"], {"name": f"{first} {last[:1]}.", "tags": set()})
            if row["tag_uid"]:
                g["tags"].add(tag_digest(DEMO_TAG_KEY, row["tag_uid"]))  # type: ignore[attr-defined]
    return Roster(
        version=1,
        generated_at=now,
        date=now.astimezone(ZoneInfo("Europe/Stockholm")).date(),
        department=RosterDepartment(id="solen", name="Solen"),
        children=[
            RosterChild(
                id=cid,
                display_name=str(c["name"]),
                guardian_ids=sorted(c["guardians"]),  # type: ignore[call-overload]
                status="absent",
            )
            for cid, c in children.items()
        ],
        guardians=[
            RosterGuardian(id=gid, display_name=str(g["name"]), tag_digests=sorted(g["tags"]))  # type: ignore[call-overload]
            for gid, g in guardians.items()
        ],
        staff=[
            RosterStaff(
                id=DEMO_STAFF["id"],
                display_name="Lena P.",
                tag_digests=[tag_digest(DEMO_TAG_KEY, DEMO_STAFF["tag"])],
                pin_hash=hash_pin(DEMO_STAFF["pin"], iterations=20_000, salt="demo"),
            )
        ],
        plan=[],
    )
