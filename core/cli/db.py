"""``casehub db``: the database schema (Alembic migrations, driven from code)."""

from __future__ import annotations

import typer
from rich.markup import escape

from casehub.cli.config import core_settings, shown_url
from casehub.store.engine import missing_sqlite_file
from casehub.cli.errors import friendly
from casehub.cli.state import State, console
from casehub.hub import config_file_for
from casehub.store import migrate
from casehub.store.engine import make_engine

__all__ = ["build"]


def _url(ctx: typer.Context) -> str:
    """The database URL from the core sections alone: migrating must not need every plugin installed."""
    state: State = ctx.ensure_object(State)
    return core_settings(config_file_for(state.config_path)).casehub.database_url


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


@friendly
def upgrade(ctx: typer.Context) -> None:
    """Create the schema or bring it up to date (a deploy step when auto_migrate is false)."""
    url = _url(ctx)
    engine = make_engine(url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"[green]✓[/] {escape(shown_url(url))} is up to date ({after})", highlight=False)
    else:
        console.print(f"[green]✓[/] {escape(shown_url(url))} upgraded from {before or 'empty'} to {after}", highlight=False)


@friendly
def current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this casehub needs. Writes nothing."""
    url = _url(ctx)
    revision = None if missing_sqlite_file(url) else _revision(url)
    head = migrate.head_revision()
    state = "up to date" if revision == head else "run `casehub db upgrade`"
    console.print(f"{escape(shown_url(url))}: at {revision or 'empty'}, needs {head} ({state})", highlight=False)


def build() -> typer.Typer:
    """The ``db`` group; a new one per CLI."""
    app = typer.Typer(help="The database schema.", no_args_is_help=True)
    app.command()(upgrade)
    app.command()(current)
    return app
