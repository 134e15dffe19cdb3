"""Central's SQL storage: the schema (:mod:`central.db.schema`), Alembic migrations
(:mod:`central.db.migrations`) and engine helpers (:mod:`central.db.engine`)."""
