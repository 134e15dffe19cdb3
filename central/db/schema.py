"""Central's tables as typed SQLAlchemy 2.x models.

Table names are constants so migrations and raw queries agree.  Tag UIDs are
never stored: only their keyed digests (see :mod:`protocol.tags`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from central.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Department(Base):
    """An avdelning: one group/room, one hallway Pi (or more)."""

    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    unit_id: Mapped[str | None] = mapped_column(ID, default=None)


class Child(Base):
    __tablename__ = "children"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)


class Guardian(Base):
    """A vårdnadshavare (or another adult with a tag)."""

    __tablename__ = "guardians"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    pnr_digest: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    """Keyed digest of the personal identity number (site key, as for tags); never the number.
    Web sign-in with BankID/Freja maps the ID token's number to a guardian through it."""


class ChildGuardian(Base):
    __tablename__ = "child_guardians"

    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Staff(Base):
    """A pedagog; the PIN is stored only as a salted hash."""

    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    pin_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    username: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    """A local web sign-in name, for a small site with no identity provider."""
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    """argon2id hash of the local web password (``username``); None: no local sign-in."""
    pnr_digest: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    """Keyed digest of the staff member's personal identity number, where known: a pedagog who is
    also a guardian is then offered both roles after one e-ID sign-in."""


class StaffDepartment(Base):
    __tablename__ = "staff_departments"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[str] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Tag(Base):
    """A tag, known only by its keyed digest, belonging to a guardian or a staff member."""

    __tablename__ = "tags"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    """When an administrator blocked it (a lost tag); None while it works.  A blocked tag leaves
    its owner's roster digests and goes into the roster's ``blocked_tags`` (central/tags.py)."""

    __table_args__ = (Index("ix_tags_owner", "owner_kind", "owner_id"),)


class Device(Base):
    """A hallway Pi and the department it serves; status is its last retained status."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_status: Mapped[str | None] = mapped_column(Text, default=None)


class EventRow(Base):
    """A check-in or check-out, stored once under its event id."""

    __tablename__ = "events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(10))
    child_id: Mapped[str] = mapped_column(ID)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str] = mapped_column(ID)
    method: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clock_synced: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(ID, default=None)
    """The staff member who confirmed a guardian's handover (``staff_confirmed`` units)."""

    __table_args__ = (
        Index("ix_events_child_occurred", "child_id", "occurred_at"),
        Index("ix_events_device_seq", "device_id", "seq"),
    )


class Presence(Base):
    """Each child's latest event, kept on ingest so rosters don't rescan the day's events."""

    __tablename__ = "presence"

    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(36))


class DeadLetter(Base):
    """A message or event central could not accept, kept with the reason; never dropped."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    topic: Mapped[str] = mapped_column(String(255))
    device_id: Mapped[str | None] = mapped_column(ID, default=None)
    event_id: Mapped[str | None] = mapped_column(String(64), default=None)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class RosterVersion(Base):
    __tablename__ = "roster_versions"

    department_id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SiteSecret(Base):
    """Site-wide secrets central owns, such as the tag digest key."""

    __tablename__ = "site_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# -- issue 4: units, plans, absences, audit -------------------------------------------


class Unit(Base):
    """An enhet (a preschool or a school's fritidshem) and the features its municipality switched on.

    ``departments.unit_id`` names the unit a department belongs to; a department without a
    unit gets the defaults below.
    """

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="preschool")
    """``preschool`` (förskola) or ``fritidshem``."""
    absence_reporting: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_editing: Mapped[bool] = mapped_column(Boolean, default=True)
    handover_mode: Mapped[str] = mapped_column(String(20), default="self_service")
    """``self_service`` (the guardian's tap is enough) or ``staff_confirmed``."""
    min_days_ahead: Mapped[int] = mapped_column(Integer, default=0)
    """Notice, in days, a new schedule needs before it takes effect."""
    closing_time: Mapped[time] = mapped_column(Time, default=time(18, 0))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    """The number guardians call (a sick child in the morning), as written: ``08-123 456 78``."""


class ScheduleRow(Base):
    """A schema or fleroveckorsschema; ``weeks`` is ``[[["07:30", "16:00"] | null] * 7, ...]``."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    cycle_start: Mapped[date | None] = mapped_column(Date, default=None)
    weeks: Mapped[list[Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(ID, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("child_id", "valid_from", name="uq_schedules_child_valid_from"),)


class AgreementRow(Base):
    """An avtal; ``weekdays`` (0 = Monday) narrows ``first``..``last`` to recurring days."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    time: Mapped[time | None] = mapped_column(Time, default=None)
    person_name: Mapped[str | None] = mapped_column(String(120), default=None)
    person_relation: Mapped[str | None] = mapped_column(String(60), default=None)
    person_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    text: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_agreements_child_last", "child_id", "last"),)


class LeaveRow(Base):
    """A ledighet: one day, a range, or recurring weekdays within a range."""

    __tablename__ = "leaves"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    text: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str | None] = mapped_column(ID, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_leaves_child_last", "child_id", "last"),)


class AbsenceRow(Base):
    """A frånvaro (sickness etc.) reported by a guardian, where the unit has it switched on."""

    __tablename__ = "absences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_absences_child_day", "child_id", "day"),)


class AuditRow(Base):
    """Who changed what, when and why; ``before``/``after`` are JSON snapshots (no personnummer)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_role: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSON, default=None)
    after: Mapped[Any | None] = mapped_column(JSON, default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    on_behalf_of: Mapped[str | None] = mapped_column(ID, default=None)
    """The guardian a staff member acted for (a guardian without Swedish e-ID)."""


# -- issue 9: the web --------------------------------------------------------------------


class NoticeRow(Base):
    """A notice for a department's hallway screen (infotavla), shown from ``first`` to ``last``."""

    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(200))
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notices_department_last", "department_id", "last"),)


class WebSession(Base):
    """A signed-in browser.  The cookie holds a random token; only its SHA-256 is stored here,
    so a copy of the database cannot be used to take over a session."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str | None] = mapped_column(ID, default=None)
    staff_id: Mapped[str | None] = mapped_column(ID, default=None)
    role: Mapped[str | None] = mapped_column(String(10), default=None)
    """The role chosen for this session (None until a person with two roles has chosen)."""
    csrf: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(5), default="sv")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
