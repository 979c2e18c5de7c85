"""Schema migrations through Alembic, driven from code so users never touch alembic.ini."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from casehub.errors import DatabaseNotReady

__all__ = ["current_revision", "downgrade", "ensure_ready", "head_revision", "upgrade"]


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "casehub:migrations")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def ensure_ready(engine: Engine) -> None:
    """Refuse to work on a schema that is missing or behind, with the command that fixes it."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has no casehub schema" if current is None else f"is at revision {current}, this casehub needs {head}"
        raise DatabaseNotReady(f"the database {state}: run `casehub db upgrade`")
