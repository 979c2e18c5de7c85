"""Alembic migrations: they build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from casehub.errors import DatabaseNotReady
from casehub.hub import Hub
from casehub.store import migrate
from casehub.store.engine import make_engine
from casehub.store.tables import metadata


def test_migrations_are_in_step_with_the_models(any_database_url: str) -> None:
    engine = make_engine(any_database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == [], f"models and migrations differ; write a migration for: {diff}"
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless_and_downgrade_removes_everything(any_database_url: str) -> None:
    engine = make_engine(any_database_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert {"cases", "events", "outbox"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_database_without_schema_is_refused_with_the_fix(make_hub: Callable[..., Hub], tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(DatabaseNotReady, match="run `casehub db upgrade`"):
        make_hub({"casehub": {"auto_migrate": False}}, database_url=url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    assert make_hub({"casehub": {"auto_migrate": False}}, database_url=url).service.list  # now it opens


def test_sqlite_runs_in_wal_mode_with_durable_commits(hub: Hub) -> None:
    with hub.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
