"""The root command: global options, and the command groups mounted on it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from casehub import __version__
from casehub.cli import cases, check, db, demo, fakes, init, new_plugin, outbox, plugins, pollers, report, rules, serve, worker
from casehub.cli.state import State, err_console, quiet_loader
from casehub.host import PluginHost
from casehub.loader import PluginSelection

__all__ = ["build_cli", "main"]

HELP = """casehub: cases, their history, and the tools they must reach (Salesforce, Jira, Slack, web forms).

New here: `casehub demo` plays the whole journey. Your own: `casehub init`, then `casehub check` and `casehub serve`.
"""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"casehub {__version__}")
        raise typer.Exit


def build_cli(plugin_host: PluginHost | None = None) -> typer.Typer:
    """The CLI with the built-in commands and those plugins add through ``cli_commands``."""
    app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode="rich", pretty_exceptions_enable=False)

    @app.callback()
    def root(
        ctx: typer.Context,
        config: Annotated[
            Path | None,
            typer.Option("--config", "-c", envvar="CASEHUB_CONFIG", help="Config file (default: ./casehub.toml)."),
        ] = None,
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
        ] = False,
    ) -> None:
        ctx.obj = State(config_option=config)

    init.register(app)
    check.register(app)
    serve.register(app)
    worker.register(app)
    plugins.register(app)
    demo.register(app)
    fakes.register(app)
    new_plugin.register(app)
    report.register(app)
    app.add_typer(db.build(), name="db")
    app.add_typer(cases.build(), name="cases")
    app.add_typer(outbox.build(), name="outbox")
    app.add_typer(pollers.build(), name="pollers")
    app.add_typer(rules.build(), name="rules")
    if plugin_host is None:
        # The environment's selection only: the config file may be the broken thing the user runs `check` on.
        # Load failures are reported by the command that needs the plugin, not before every command.
        with quiet_loader():
            plugin_host = PluginHost.from_entry_points(PluginSelection.from_config(None, []))
    plugin_host.cli_commands(app)
    return app


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" on every health check
    try:
        build_cli()()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise SystemExit(130) from None
