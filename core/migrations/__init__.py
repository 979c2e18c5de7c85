"""Alembic migrations for the casehub schema; run them with ``casehub db upgrade``."""
