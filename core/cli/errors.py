"""How the CLI shows what went wrong: a message and exit code 1, never a traceback for a user's mistake.

A user's mistakes reach the commands as casehub's own errors (a bad config,
an unknown case, a stale version), as pydantic's (bad input to a case
command), or as SQLAlchemy's (a database that is down or refuses the login).
Anything else is a bug in casehub or a plugin, and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.markup import escape
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from casehub.config_file import environment_error
from casehub.cli.state import err_console
from casehub.errors import CasehubError, ConfigError

__all__ = ["database_message", "friendly", "report"]

F = TypeVar("F", bound=Callable[..., Any])


def database_message(exc: SQLAlchemyError) -> str:
    """The driver's own first line ("connection refused", "password authentication failed").

    Only the first line: later ones of SQLAlchemy's message hold the SQL and
    its parameters, which may be a customer's data.
    """
    source: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(source).strip().splitlines()
    return lines[0] if lines else type(source).__name__


def report(exc: Exception) -> None:
    if isinstance(exc, SettingsError):
        exc = environment_error(exc)
    if isinstance(exc, ConfigError):
        err_console.print("[bold red]The configuration has problems:[/]")
        for issue in exc.issues:
            err_console.print(f"  ✗ {issue}", markup=False, highlight=False)
    elif isinstance(exc, ValidationError):
        err_console.print("[bold red]Invalid input:[/]")
        for error in exc.errors(include_input=False, include_url=False):
            field = ".".join(str(p) for p in error["loc"]) or "input"
            err_console.print(f"  ✗ {field}: {error['msg']}", markup=False, highlight=False)
    elif isinstance(exc, SQLAlchemyError):
        err_console.print(f"[bold red]Database error:[/] {escape(database_message(exc))}", highlight=False)
        err_console.print("  check [casehub] database_url, then run `casehub check`", markup=False, highlight=False)
    else:
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)


def friendly(function: F) -> F:
    """Turn the errors a user can fix into a message and exit code 1."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (CasehubError, ValidationError, SettingsError, SQLAlchemyError) as exc:
            report(exc)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
