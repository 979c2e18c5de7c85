"""``casehub plugins``, and plugins adding their own commands to ``casehub``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Run

BUILTINS = ("email", "jira", "salesforce", "slack", "webforms")


def implemented_hooks(module: str) -> list[str]:
    """The hooks a plugin module marks with ``@hookimpl``, read from the module itself."""
    plugin = importlib.import_module(module)
    return sorted(name for name in dir(plugin) if hasattr(getattr(plugin, name), "casehub_impl"))


def test_plugins_lists_the_builtins_enabled_with_their_hooks(run: Run) -> None:
    listed = run("plugins", "--json").json()

    plugins = {p["name"]: p for p in listed}
    assert [p["name"] for p in listed] == sorted(plugins)
    for name in BUILTINS:
        assert plugins[name]["status"] == "enabled" and plugins[name]["builtin"] is True
        assert plugins[name]["version"] and plugins[name]["module"] == f"casehub.plugins.{name}"
        assert plugins[name]["hooks"] == implemented_hooks(f"casehub.plugins.{name}")
        assert "settings_model" in plugins[name]["hooks"]

    table = run("plugins")
    assert table.code == 0 and "jira (built-in)" in table.text and "enabled" in table.text


def test_disabling_by_environment_or_config(run: Run, workdir: Path) -> None:
    by_env = {p["name"]: p for p in run("plugins", "--json", env={"CASEHUB_DISABLE_PLUGINS": "slack"}).json()}
    assert by_env["slack"]["status"] == "disabled" and by_env["slack"]["hooks"] == []
    assert "CASEHUB_DISABLE_PLUGINS" in by_env["slack"]["reason"]
    assert {by_env[n]["status"] for n in BUILTINS if n != "slack"} == {"enabled"}

    (workdir / "casehub.toml").write_text('[casehub]\nload_plugins = ["webforms"]\n')
    only = {p["name"]: p["status"] for p in run("plugins", "--json").json()}
    assert only == {"email": "disabled", "jira": "disabled", "salesforce": "disabled", "slack": "disabled", "webforms": "enabled"}


def test_plugins_still_lists_when_plugin_sections_are_broken(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text('[casehub]\ndisable_plugins = ["jira"]\n[slack]\ntokn = 1\n[jira]\nx = [\n')

    listed = run("plugins", "--json")

    assert listed.code == 0  # the TOML itself is broken here; `casehub check` is where that is reported
    assert {p["name"] for p in listed.json()} >= set(BUILTINS)
    (workdir / "casehub.toml").write_text('[casehub]\ndisable_plugins = ["jira"]\n[slack]\ntokn = 1\n')
    statuses = {p["name"]: p["status"] for p in run("plugins", "--json").json()}
    assert statuses["jira"] == "disabled" and statuses["slack"] == "enabled"


COMMAND_PLUGIN = """
import typer
from casehub import hookimpl

@hookimpl
def cli_commands(app):
    @app.command("hello")
    def hello(name: str = "world") -> None:
        \"\"\"Say hello (from a plugin).\"\"\"
        typer.echo(f"hello {name}, from a plugin")
"""


def test_a_plugin_adds_a_command_and_failed_ones_show_their_reason(
    run: Run, install_plugins: Callable[[dict[str, str]], None]
) -> None:
    install_plugins({"greeter": COMMAND_PLUGIN, "crashes": "raise RuntimeError('boom at import')\n",
                     "needs_sdk": "import casehub_no_such_sdk\n"})

    assert run("hello", "--name", "Ada").text == "hello Ada, from a plugin"
    assert "Say hello (from a plugin)" in run("--help").text
    plugins = {p["name"]: p for p in run("plugins", "--json").json()}
    assert (plugins["greeter"]["status"], plugins["greeter"]["hooks"], plugins["greeter"]["version"]) == (
        "enabled", ["cli_commands"], "2.5.0")
    assert plugins["greeter"]["builtin"] is False
    assert plugins["crashes"]["status"] == "failed" and "RuntimeError: boom at import" in plugins["crashes"]["reason"]
    assert plugins["needs_sdk"]["status"] == "unavailable"
    assert plugins["needs_sdk"]["pip_command"] == "pip install casehub_no_such_sdk"

    table = run("plugins")
    assert "failed" in table.text and "pip install casehub_no_such_sdk" in table.text
    assert "Traceback" not in table.text

    hidden = run("--help", env={"CASEHUB_DISABLE_PLUGINS": "greeter"})
    assert "hello" not in hidden.text.split("Commands", 1)[1]


def test_case_commands_run_past_a_broken_plugin_with_one_warning(
    run: Run, install_plugins: Callable[[dict[str, str]], None]
) -> None:
    install_plugins({"crashes": "raise RuntimeError('boom at import')\n"})

    created = run("cases", "create", "--subject", "Still works", "--json")

    assert created.json()["subject"] == "Still works"  # stdout is JSON alone
    assert created.result.stderr.strip() == "! plugin crashes failed to load (see `casehub plugins`)"
