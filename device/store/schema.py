"""SQLAlchemy Core tables of the device's SQLite file.

The device's schema is small and owned by one process, so it is created with
``create_all`` and versioned by ``SCHEMA_VERSION`` in the meta table (see
docs/decisions.md); central, whose schema is shared and long-lived, uses Alembic.
Core tables, not ORM classes: the device never imports ``sqlalchemy.orm``, which
alone costs a Pi about 6 MB of RAM (bench/device_footprint.py).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

SCHEMA_VERSION = 1

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("child_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("state", String(10), nullable=False, default="pending"),
    Column("reason", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Index("ix_outbox_state_seq", "state", "seq"),
)
"""An event waiting for central's ack; ``rejected`` rows stay for the technician."""

meta = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Key/value facts that must survive restarts: the next sequence number, schema version."""

roster_cache = Table(
    "roster_cache",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime, nullable=False),
)
"""The last roster central sent, so the hallway works with the network down."""

presence = Table(
    "presence",
    metadata,
    Column("child_id", String(64), primary_key=True),
    Column("status", String(10), nullable=False),
    Column("since", DateTime),
    Column("local_seq", Integer),
)
"""A child's status as this device knows it: roster status plus local taps since."""
