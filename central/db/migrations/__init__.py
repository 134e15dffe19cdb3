"""Alembic migrations of central's schema, numbered, applied by ``lh-central migrate``."""
