"""Alembic environment: casehub hands in an open connection, so no alembic.ini is needed."""

from __future__ import annotations

from alembic import context

from casehub.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
