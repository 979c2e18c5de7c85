"""What every command shares: the config path, building a hub from it, and how errors are shown.

User errors (a bad config, an unknown case, a stale version) are printed as
messages with exit code 1, never as tracebacks.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from casehub.errors import CasehubError, ConfigError
from casehub.hub import Hub, build_hub, resolve_config_path

__all__ = ["State", "actor", "console", "err_console", "friendly", "open_hub", "print_json"]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    config_option: Path | None = None

    @property
    def config_path(self) -> Path | None:
        return resolve_config_path(self.config_option)


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in some containers
        return "cli"


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _report(exc: Exception) -> None:
    if isinstance(exc, ConfigError):
        err_console.print("[bold red]The configuration has problems:[/]")
        for issue in exc.issues:
            err_console.print(f"  ✗ {issue}", markup=False, highlight=False)
    elif isinstance(exc, ValidationError):
        err_console.print("[bold red]Invalid input:[/]")
        for error in exc.errors(include_input=False, include_url=False):
            field = ".".join(str(p) for p in error["loc"]) or "input"
            err_console.print(f"  ✗ {field}: {error['msg']}", markup=False, highlight=False)
    else:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)


def friendly(function: F) -> F:
    """Turn casehub's own errors into a message and exit code 1."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (CasehubError, ValidationError) as exc:
            _report(exc)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def open_hub(ctx: typer.Context, **options: Any) -> Iterator[Hub]:
    state: State = ctx.ensure_object(State)
    hub = build_hub(state.config_path, **options)
    try:
        yield hub
    finally:
        hub.close()
