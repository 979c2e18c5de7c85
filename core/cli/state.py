"""What every command shares: the config path, the consoles, and opening a hub from the config."""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from casehub.cli.config import core_settings
from casehub.hub import Hub, build_hub, config_file_for, resolve_config_path

__all__ = ["State", "actor", "console", "err_console", "open_hub", "print_json", "quiet_loader", "quiet_logger"]

console = Console()
err_console = Console(stderr=True)


@dataclass
class State:
    """The root command's options, handed to every subcommand through ``ctx.obj``."""

    config_option: Path | None = None

    @property
    def config_path(self) -> Path | None:
        return resolve_config_path(self.config_option)


def actor() -> str:
    """Who the event log records for a change made from this shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in some containers
        return "cli"


def print_json(data: Any) -> None:
    # typer.echo, not rich: JSON goes to pipes and must not be wrapped or coloured.
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@contextmanager
def quiet_loader() -> Iterator[None]:
    """Silence the loader's log while a command that reports plugin outcomes itself loads them."""
    with quiet_logger("casehub.loader"):
        yield


@contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Silence one logger while a command reports the same outcome itself."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def open_hub(ctx: typer.Context, *, quiet: bool = True, **options: Any) -> Iterator[Hub]:
    """A hub built from the config, closed on the way out.

    ``quiet``: a plugin that fails to load is one warning line, not a logged
    traceback before every ``casehub cases`` command (``casehub plugins`` has
    the reason; ``serve`` keeps the full log).
    """
    state: State = ctx.ensure_object(State)
    # The core sections first, so a broken one is reported with its file and line.
    core_settings(config_file_for(state.config_path))
    if quiet:
        with quiet_loader():
            hub = build_hub(state.config_path, **options)
        for info in hub.plugins.infos:
            if info.status == "failed":
                err_console.print(f"[yellow]![/] plugin {escape(info.name)} failed to load (see `casehub plugins`)")
    else:
        hub = build_hub(state.config_path, **options)
    try:
        yield hub
    finally:
        hub.close()
