"""``casehub init``: a commented starter config and rules file, with a fresh API token."""

from __future__ import annotations

import secrets
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Annotated

import typer
from rich.markup import escape

from casehub.cli.state import console, err_console

__all__ = ["register"]

FILES = ("casehub.toml", "rules.yaml")


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        directory: Annotated[Path, typer.Argument(help="Where to write the files.", file_okay=False)] = Path("."),
        force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    ) -> None:
        """Write a commented starter casehub.toml and rules.yaml."""
        existing = [directory / name for name in FILES if (directory / name).exists()]
        if existing and not force:
            for path in existing:
                err_console.print(f"[red]✗[/] {escape(str(path))} exists; not overwriting it (use --force to replace it)")
            raise typer.Exit(1)
        token = secrets.token_urlsafe(32)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                text = files("casehub").joinpath("templates", name).read_text(encoding="utf-8")
                if name.endswith(".toml"):
                    text = Template(text).substitute(token=token)
                (directory / name).write_text(text, encoding="utf-8")
                console.print(f"[green]✓[/] wrote {escape(str(directory / name))}")
        except OSError as exc:
            err_console.print(f"[red]✗[/] cannot write {escape(str(exc.filename or directory))}: {exc.strerror}")
            raise typer.Exit(1) from None
        console.print(
            "\nAn API token was generated into \\[api] tokens. For production, move it to the environment:\n"
            "  export CASEHUB_API__TOKENS='[\"<token>\"]'\n"
            "Next: [bold]casehub check[/], then [bold]casehub serve[/]."
        )
