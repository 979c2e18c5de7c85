"""The docs keep up: every command and option in docs/cli.md, every core key in docs/configuration.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel

from casehub.cli import build_cli
from casehub.host import PluginHost
from casehub.delivery.settings import DestinationSettings
from casehub.settings import ApiToken, CoreSettings

DOCS = Path(__file__).parents[3] / "docs"
SKIP = {"--help", "--install-completion", "--show-completion"}


def commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, command) of every leaf command; typer ships its own click, so groups are known by ``commands``."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from commands(command, f"{path} ")
        else:
            yield path, command


def builtin_commands() -> list[tuple[str, Any]]:
    # No plugins: their commands are theirs to document.
    return list(commands(typer.main.get_command(build_cli(PluginHost()))))


@pytest.mark.parametrize(("path", "command"), builtin_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_and_option_is_in_the_cli_reference(path: str, command: Any) -> None:
    text = (DOCS / "cli.md").read_text()
    # A group's commands are headed by the group and command name under the group's section.
    assert f"`casehub {path}" in text or f"### `{path}" in text, f"no section for `casehub {path}`"
    for param in command.params:
        for option in param.opts:
            if option.startswith("-") and option not in SKIP:
                assert option in text, f"`casehub {path} {option}` is not documented in docs/cli.md"


def sections() -> Iterator[tuple[str, type[BaseModel]]]:
    for name, field in CoreSettings.model_fields.items():
        if name != "config_path":
            assert field.default_factory is not None
            yield name, type(field.default_factory())
    yield "api.tokens[]", ApiToken
    yield "outbox.destinations.*", DestinationSettings


@pytest.mark.parametrize(("section", "model"), list(sections()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_core_key_is_in_the_configuration_reference(section: str, model: type[BaseModel]) -> None:
    text = (DOCS / "configuration.md").read_text()
    if "." not in section:
        assert f"### `[{section}]`" in text
    for key, field in model.model_fields.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{key}` |")), None)
        assert row, f"[{section}] {key} has no row in docs/configuration.md"
        if field.description:
            assert field.description in row, f"[{section}] {key}: the row does not carry the Field description"
