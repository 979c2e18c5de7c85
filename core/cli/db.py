"""``casehub db``: the database schema (Alembic migrations)."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from casehub.cli.state import State, console, friendly
from casehub.hub import config_file_for
from casehub.settings import CORE_SECTIONS, build_settings_model
from casehub.store import migrate
from casehub.store.engine import make_engine, normalise_url

__all__ = ["app"]

app = typer.Typer(help="The database schema.", no_args_is_help=True)


def _url(ctx: typer.Context) -> str:
    """The database URL from the core sections alone: migrating must not need every plugin installed."""
    state: State = ctx.ensure_object(State)
    file = config_file_for(state.config_path)
    core = {k: v for k, v in file.data.items() if k in CORE_SECTIONS}
    settings = build_settings_model({}, set(file.data) - CORE_SECTIONS)(**core, config_path=file.path)
    return settings.casehub.database_url


def _shown(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


@app.command()
@friendly
def upgrade(ctx: typer.Context) -> None:
    """Create the schema or bring it up to date."""
    url = _url(ctx)
    engine = make_engine(url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"[green]✓[/] {_shown(url)} is up to date ({after})")
    else:
        console.print(f"[green]✓[/] {_shown(url)} upgraded from {before or 'empty'} to {after}")


@app.command()
@friendly
def current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this casehub needs."""
    url = _url(ctx)
    engine = make_engine(url)
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if revision == head else "run `casehub db upgrade`"
    console.print(f"{_shown(url)}: at {revision or 'empty'}, needs {head} ({state})")
