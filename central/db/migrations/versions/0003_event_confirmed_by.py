"""events.confirmed_by: the staff member who confirmed a staff_confirmed handover

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: SQLite adds it with a plain ALTER TABLE, no table rebuild.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("confirmed_by")
