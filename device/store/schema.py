"""SQLAlchemy tables of the device's SQLite file.

The device's schema is small and owned by one process, so it is created with
``create_all`` and versioned by ``SCHEMA_VERSION`` in the meta table (see
docs/decisions.md); central, whose schema is shared and long-lived, uses Alembic.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass


class OutboxRow(Base):
    """An event waiting for central's ack; ``rejected`` rows stay for the technician."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    child_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_outbox_state_seq", "state", "seq"),)


class Meta(Base):
    """Key/value facts that must survive restarts: the next sequence number, schema version."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RosterCache(Base):
    """The last roster central sent, so the hallway works with the network down."""

    __tablename__ = "roster_cache"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column()


class PresenceRow(Base):
    """A child's status as this device knows it: roster status plus local taps since."""

    __tablename__ = "presence"

    child_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime | None] = mapped_column(default=None)
    local_seq: Mapped[int | None] = mapped_column(Integer, default=None)
