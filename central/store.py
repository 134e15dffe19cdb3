"""Central's storage operations: the site key, devices, rosters and presence.

Thin functions over :mod:`central.db.schema` used by the CLI, the ingest service
and the API.  Each opens its own short transaction.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from central.db.engine import make_engine, migrate
from central.db.schema import (
    Child,
    ChildGuardian,
    Department,
    Device,
    Guardian,
    Presence,
    RosterVersion,
    SiteSecret,
    Staff,
    StaffDepartment,
    Tag,
)
from protocol.messages import (
    ChildStatus,
    Roster,
    RosterChild,
    RosterDepartment,
    RosterGuardian,
    RosterPlanEntry,
    RosterStaff,
)
from protocol.topics import is_valid_device_id

logger = logging.getLogger(__name__)

TZ = ZoneInfo("Europe/Stockholm")
TAG_KEY = "tag_key"


class StoreError(ValueError):
    """A request central refuses, with a message for the person who made it."""


def display_name(first: str, last: str) -> str:
    """First name and initial, as the hallway shows it: 'Alva S.'."""
    return f"{first} {last[:1]}." if last else first


def local_day_bounds(day: date, tz: ZoneInfo = TZ) -> tuple[datetime, datetime]:
    """UTC start and end of a local calendar day (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time.min, tz).astimezone(UTC)
    end = datetime.combine(day + (date.resolution), time.min, tz).astimezone(UTC)
    return start, end


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    department_id: str
    last_seen: datetime | None
    last_status: str | None


class CentralStore:
    """The database of one site."""

    def __init__(self, url: str, *, run_migrations: bool = True) -> None:
        self.engine: Engine = make_engine(url)
        if run_migrations:
            migrate(self.engine)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # -- site key ---------------------------------------------------------------------

    def tag_key(self, *, create: bool = False) -> bytes | None:
        """The key tag digests are made with; created on first need if ``create``."""
        with self.session() as s, s.begin():
            row = s.get(SiteSecret, TAG_KEY)
            if row is None:
                if not create:
                    return None
                row = SiteSecret(name=TAG_KEY, value=secrets.token_hex(32))
                s.add(row)
                logger.info("created a new site tag key")
            return bytes.fromhex(row.value)

    def set_tag_key(self, key: bytes) -> None:
        """Adopt a key made elsewhere (lh-provision init-site); refused once tags exist."""
        if len(key) < 16:
            raise StoreError("tag key must be at least 16 bytes")
        with self.session() as s, s.begin():
            row = s.get(SiteSecret, TAG_KEY)
            if row is not None and row.value == key.hex():
                return
            if s.scalar(select(Tag.digest).limit(1)) is not None:
                raise StoreError("tags are already enrolled with the current key; refusing to change it")
            s.merge(SiteSecret(name=TAG_KEY, value=key.hex()))

    # -- devices ----------------------------------------------------------------------

    def add_device(self, device_id: str, department_id: str) -> None:
        if not is_valid_device_id(device_id):
            raise StoreError(f"device id {device_id!r}: lowercase letters, digits, '-' and '_' only")
        with self.session() as s, s.begin():
            if s.get(Department, department_id) is None:
                raise StoreError(f"no department {department_id!r}; import it first")
            existing = s.get(Device, device_id)
            if existing is not None:
                if existing.department_id == department_id:
                    return
                raise StoreError(
                    f"device {device_id} already serves department {existing.department_id}; remove it first"
                )
            s.add(Device(id=device_id, department_id=department_id, created_at=datetime.now(UTC)))

    def remove_device(self, device_id: str) -> bool:
        with self.session() as s, s.begin():
            dev = s.get(Device, device_id)
            if dev is None:
                return False
            s.delete(dev)
            return True

    def devices(self) -> list[DeviceInfo]:
        with self.session() as s:
            return [
                DeviceInfo(d.id, d.department_id, d.last_seen, d.last_status)
                for d in s.scalars(select(Device).order_by(Device.id))
            ]

    def device_departments(self) -> dict[str, str]:
        with self.session() as s:
            return dict(s.execute(select(Device.id, Device.department_id)).all())

    def record_device_status(self, device_id: str, payload: str) -> None:
        """Keep a device's status as central.fleet.merge_status decides (last known counts
        kept through an offline will; a late will of an earlier boot and repeats ignored)."""
        from central.fleet import merge_status

        with self.session() as s, s.begin():
            previous = s.scalar(select(Device.last_status).where(Device.id == device_id))
            kept = merge_status(previous, payload)
            if kept is None:
                return
            s.execute(
                update(Device)
                .where(Device.id == device_id)
                .values(last_seen=datetime.now(UTC), last_status=kept)
            )

    # -- rosters ----------------------------------------------------------------------

    def next_roster_version(self, s: Session, department_id: str) -> int:
        """Count the department's roster version up by one in ``s``'s transaction.

        One upsert statement, so two central instances numbering a new department's first
        roster at once both succeed (1 and 2) instead of one failing on the primary key."""
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        ins = dialect.insert(RosterVersion).values(department_id=department_id, version=1)
        stmt = ins.on_conflict_do_update(
            index_elements=[RosterVersion.department_id], set_={"version": RosterVersion.version + 1}
        ).returning(RosterVersion.version)
        return int(s.execute(stmt).scalar_one())

    def bump_roster_version(self, department_id: str) -> int:
        """The next version of a department's roster (atomic, shared by all central instances)."""
        with self.session() as s, s.begin():
            return self.next_roster_version(s, department_id)

    def build_roster(
        self,
        department_id: str,
        *,
        now: datetime | None = None,
        plan: list[RosterPlanEntry] | None = None,
        version: int = 1,
    ) -> Roster:
        """The department's roster as of ``now``; the caller numbers it (see bump_roster_version)."""
        now = now or datetime.now(UTC)
        today = now.astimezone(TZ).date()
        day_start, _ = local_day_bounds(today)
        with self.session() as s:
            dept = s.get(Department, department_id)
            if dept is None:
                raise StoreError(f"no department {department_id!r}")
            children = s.scalars(
                select(Child).where(Child.department_id == department_id).order_by(Child.first_name, Child.id)
            ).all()
            child_ids = [c.id for c in children]
            links: dict[str, list[str]] = defaultdict(list)
            for cid, gid in s.execute(
                select(ChildGuardian.child_id, ChildGuardian.guardian_id)
                .where(ChildGuardian.child_id.in_(child_ids))
                .order_by(ChildGuardian.guardian_id)
            ):
                links[cid].append(gid)
            guardian_ids = sorted({g for gs in links.values() for g in gs})
            guardians = s.scalars(select(Guardian).where(Guardian.id.in_(guardian_ids)).order_by(Guardian.id))
            staff = s.scalars(
                select(Staff)
                .join(StaffDepartment, StaffDepartment.staff_id == Staff.id)
                .where(StaffDepartment.department_id == department_id)
                .order_by(Staff.id)
            ).all()
            tags: dict[tuple[str, str], list[str]] = defaultdict(list)
            owners = [("guardian", g) for g in guardian_ids] + [("staff", st.id) for st in staff]
            owner_ids = {o[1] for o in owners}
            # A blocked (lost) tag maps to nobody: it goes into blocked_tags instead (central/tags.py).
            for t in s.scalars(
                select(Tag).where(Tag.owner_id.in_(owner_ids), Tag.blocked_at.is_(None)).order_by(Tag.digest)
            ):
                tags[(t.owner_kind, t.owner_id)].append(t.digest)
            presence = {
                p.child_id: p for p in s.scalars(select(Presence).where(Presence.child_id.in_(child_ids)))
            }

            def status(cid: str) -> tuple[ChildStatus, datetime | None]:
                p = presence.get(cid)
                if p is None or p.since < day_start:
                    return ChildStatus.ABSENT, None
                return (ChildStatus.PRESENT if p.status == "present" else ChildStatus.GONE), p.since

            roster_children = []
            for c in children:
                st, since = status(c.id)
                roster_children.append(
                    RosterChild(
                        id=c.id,
                        display_name=display_name(c.first_name, c.last_name),
                        guardian_ids=links.get(c.id, []),
                        status=st,
                        status_since=since,
                    )
                )
            return Roster(
                version=version,
                generated_at=now,
                date=today,
                department=RosterDepartment(id=dept.id, name=dept.name),
                children=roster_children,
                guardians=[
                    RosterGuardian(
                        id=g.id,
                        display_name=person_display(g.name),
                        tag_digests=tags.get(("guardian", g.id), []),
                    )
                    for g in guardians
                ],
                staff=[
                    RosterStaff(
                        id=st.id,
                        display_name=person_display(st.name),
                        tag_digests=tags.get(("staff", st.id), []),
                        pin_hash=st.pin_hash,
                    )
                    for st in staff
                ],
                plan=plan or [],
            )


def person_display(full_name: str) -> str:
    """'Anna Svensson' -> 'Anna S.': adults too are shown by first name and initial, never more."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name[:80]
    return display_name(parts[0], parts[-1])[:80]
