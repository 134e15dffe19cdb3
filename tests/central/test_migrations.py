"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from central.db.schema import Base
from central.store import CentralStore


def test_migrated_database_matches_the_models(db_url: str) -> None:
    store = CentralStore(db_url)  # migrates to the newest revision
    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        store.close()
    assert diff == [], "a model change without its migration (or the reverse)"
