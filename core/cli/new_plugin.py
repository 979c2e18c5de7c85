"""``casehub new-plugin NAME``: a plugin package that installs, loads and passes its own tests as it is.

A working plugin to change beats an empty one to fill in: the generated one
announces new cases to a URL through the outbox (a settings model, a
delivery planned in the case's transaction, an executor a worker calls), and
its test runs it against a real HTTP endpoint with casehub's fixtures.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from jinja2 import Environment, StrictUndefined

from casehub.cli.state import console, err_console

__all__ = ["register"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
# template → where it goes in the new package
_FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "__init__.py.tmpl": "src/casehub_{name}/__init__.py",
    "hooks.py.tmpl": "src/casehub_{name}/hooks.py",
    "settings.py.tmpl": "src/casehub_{name}/settings.py",
    "test_plugin.py.tmpl": "tests/test_{name}.py",
}


def write_plugin(name: str, folder: Path) -> Path:
    """The package ``casehub-<name>`` in ``folder``; raises ``ValueError`` for a bad name or an existing folder."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a plugin name: lower case letters, digits and _, starting with a letter")
    root = folder / f"casehub-{name}"
    if root.exists():
        raise ValueError(f"{root} exists already; choose another name or folder")
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    templates = resources.files("casehub") / "templates" / "plugin"
    for template, target in _FILES.items():
        path = root / target.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.from_string(templates.joinpath(template).read_text()).render(name=name))
    return root


def register(app: typer.Typer) -> None:
    @app.command("new-plugin")
    def new_plugin(
        name: Annotated[str, typer.Argument(help="The plugin's name (and its config section), e.g. zendesk.")],
        folder: Annotated[Path, typer.Option("--dir", help="Where to create casehub-NAME/.")] = Path("."),
    ) -> None:
        """Create a plugin package (entry point, hooks, settings, a test, a README) that works as it is."""
        try:
            root = write_plugin(name, folder)
        except ValueError as exc:
            err_console.print(f"[red]✗[/] {exc}")
            raise typer.Exit(2) from None
        console.print(f"[green]✓[/] {root} created. Next:", highlight=False, soft_wrap=True)
        steps = f"  cd {root}\n  pip install -e '.[test]'\n  pytest\n  casehub plugins"
        console.print(steps, markup=False, highlight=False, soft_wrap=True)
