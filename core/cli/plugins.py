"""``casehub plugins``: what was found in the ``casehub`` entry-point group, and what became of it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from casehub.cli.state import State, console, print_json, quiet_loader
from casehub.host import PluginHost
from casehub.hub import config_file_for, plugin_selection
from casehub.loader import PluginSelection

__all__ = ["register"]

STYLE = {"enabled": "green", "disabled": "dim", "unavailable": "yellow", "failed": "red"}


def register(app: typer.Typer) -> None:
    @app.command("plugins")
    def plugins(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List plugins: version, status, hooks, and how to fix an unavailable one."""
        state: State = ctx.ensure_object(State)
        try:
            selection = plugin_selection(config_file_for(state.config_path))
        except Exception:  # a broken config must not hide the plugins; `casehub check` reports it
            selection = PluginSelection.from_config(None, [])
        with quiet_loader():  # each outcome is in the listing; no log lines on top of it
            infos = PluginHost.from_entry_points(selection).infos
        if as_json:
            print_json([i.as_dict() for i in infos])
            return
        table = Table("plugin", "version", "status", "hooks")
        for info in infos:
            table.add_row(
                Text(info.name + (" (built-in)" if info.builtin else "")),
                info.version or "",
                f"[{STYLE[info.status]}]{info.status}[/]",
                ", ".join(info.hooks),
            )
        console.print(table)
        # Reasons and fixes below the table, one line each, so a pip command is never split across cell lines.
        for info in infos:
            if info.status != "enabled":
                fix = f"; fix: {info.pip_command}" if info.pip_command else ""
                console.print(f"{info.name}: {info.reason or info.status}{fix}", markup=False, highlight=False)
