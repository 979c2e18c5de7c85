"""``casehub check``: everything that could stop casehub at 3 a.m., found now.

It reads and validates, and never writes: no database is created or migrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer
from pydantic import BaseModel, SecretStr
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from casehub.cli.config import core_settings, database_url_issue, shown_url
from casehub.store.engine import missing_sqlite_file
from casehub.cli.errors import database_message
from casehub.cli.state import State, console, quiet_loader
from casehub.errors import ConfigError, PluginError
from casehub.host import PluginHost
from casehub.hub import plugin_selection
from casehub.loader import PluginSelection
from casehub.pollers import load_pollers
from casehub.rules.engine import RuleEngine
from casehub.rules.loading import plugin_actions
from casehub.rules.source import read_rules
from casehub.config_file import ConfigFile, load_settings, read_config_file
from casehub.csat.tokens import SurveyLinks
from casehub.settings import ENV_PREFIX, CoreSettings
from casehub.store import migrate
from casehub.store.engine import make_engine

__all__ = ["register"]


@dataclass
class Report:
    """One line per check; counts the failures that make the exit code 1."""

    failed: int = 0

    def ok(self, message: str) -> None:
        console.print(f"[green]✓[/] {escape(message)}", highlight=False)

    def warn(self, message: str) -> None:
        console.print(f"[yellow]![/] {escape(message)}", highlight=False)

    def fail(self, message: str, details: list[str] | None = None) -> None:
        self.failed += 1
        console.print(f"[red]✗[/] {escape(message)}", highlight=False)
        for line in details or ():
            console.print(f"    {line}", markup=False, highlight=False)


def _plugins(report: Report, file: ConfigFile) -> PluginHost:
    try:
        selection = plugin_selection(file)
    except Exception:  # the core sections are broken; that is reported with the settings
        selection = PluginSelection.from_config(None, [])
    with quiet_loader():
        host = PluginHost.from_entry_points(selection)
    for info in host.infos:
        if info.status == "enabled":
            report.ok(f"plugin {info.name} {info.version or ''}: enabled")
        elif info.status == "disabled":
            report.ok(f"plugin {info.name}: disabled ({info.reason})")
        elif info.status == "unavailable":
            report.warn(f"plugin {info.name}: unavailable, {info.reason}; {info.pip_command or 'install it'}")
        else:
            report.fail(f"plugin {info.name} {info.version or ''}: failed to load", [info.reason or ""])
    return host


def _is_secret(value: Any) -> bool:
    if isinstance(value, list):
        return any(_is_secret(v) for v in value)
    return isinstance(value, SecretStr) or isinstance(value, BaseModel) and any(
        isinstance(v, SecretStr) for v in value.__dict__.values()
    )


def _secrets_in_file(report: Report, file: ConfigFile, settings: CoreSettings) -> None:
    """Secrets work from the file, but belong in the environment (files get copied and committed)."""
    for name, keys in file.data.items():
        section = settings.section(name)
        if not isinstance(keys, dict) or not isinstance(section, BaseModel):
            continue
        for key in keys:
            if _is_secret(getattr(section, key, None)):
                env = f"{ENV_PREFIX}{name.upper()}__{key.upper()}"
                report.warn(f"[{name}] {key} is a secret written in {file.name}; for production set {env} instead")


def _database(report: Report, file: ConfigFile, settings: CoreSettings) -> None:
    url = settings.casehub.database_url
    if issue := database_url_issue(file, url):
        report.fail("database", [str(issue)])
        return
    shown = shown_url(url)
    if missing_sqlite_file(url) is not None:
        if settings.casehub.auto_migrate:
            report.ok(f"database {shown}: does not exist yet; it will be created at start (auto_migrate)")
        else:
            report.fail(f"database {shown}: does not exist; run `casehub db upgrade` (auto_migrate is false)")
        return
    engine = make_engine(url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    except SQLAlchemyError as exc:
        report.fail(f"database {shown}: cannot connect", [database_message(exc)])
        return
    finally:
        engine.dispose()
    if current == head:
        report.ok(f"database {shown}: reachable, schema up to date ({head})")
    elif settings.casehub.auto_migrate:
        report.ok(f"database {shown}: reachable, schema {current or 'empty'} will be upgraded to {head} at start")
    else:
        report.fail(f"database {shown}: schema is {current or 'empty'}, needs {head}: run `casehub db upgrade`")


def _rules(report: Report, settings: CoreSettings, host: PluginHost) -> None:
    if settings.rules.file is None:
        report.ok("rules: no rules file configured ([rules] file)")
        return
    path = settings.resolve(settings.rules.file)
    try:
        engine = RuleEngine.compile(read_rules(path), plugin_actions(host), SurveyLinks.from_settings(settings))
    except ConfigError as exc:
        report.fail("rules", [str(i) for i in exc.issues])
        return
    except PluginError as exc:  # a plugin's register_actions hook raised
        report.fail("rules", [str(exc)])
        return
    rules = engine.rules
    report.ok(
        f"rules: {path}: {len(rules.triggers)} triggers, {len(rules.assignment)} assignment rules, "
        f"{len(rules.queues)} queues, {len(rules.agents)} agents"
    )


def _pollers(report: Report, host: PluginHost, settings: CoreSettings | None) -> None:
    try:
        pollers = load_pollers(host, settings)
    except PluginError as exc:  # a plugin's register_pollers hook raised, or registered a bad poller
        report.fail("pollers", [str(exc)])
        return
    if pollers:
        listed = ", ".join(f"{p.name} every {p.interval_seconds:g} s" for p in pollers.values())
        report.ok(f"pollers: {listed}")


def _vendors(report: Report, host: PluginHost, settings: CoreSettings) -> None:
    for plugin, lines in host.vendor_checks(settings):
        if isinstance(lines, Exception):
            report.fail(f"plugin {plugin}: its vendor check failed: {type(lines).__name__}: {lines}")
            continue
        for ok, message in lines:
            (report.ok if ok else report.fail)(message)


def _settings(report: Report, file: ConfigFile, host: PluginHost) -> CoreSettings | None:
    try:
        settings = load_settings(file, host.settings_models(), host.infos)
    except ConfigError as exc:
        report.fail("settings", [str(i) for i in exc.issues])
        return None
    except Exception as exc:  # a plugin's settings_model hook raised
        report.fail("settings", [str(exc)])
        return None
    report.ok("settings valid")
    return settings


def _core_only(file: ConfigFile) -> CoreSettings | None:
    try:
        return core_settings(file, check_url=False)
    except ConfigError:  # already reported by _settings
        return None


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        ctx: typer.Context,
        offline: bool = typer.Option(False, "--offline", help="Do not reach the vendors (Salesforce, Jira, Slack)."),
    ) -> None:
        """Validate the config and rules, load the plugins, reach the database and the vendors. Writes nothing."""
        state: State = ctx.ensure_object(State)
        report = Report()
        try:
            file = read_config_file(state.config_path)
        except ConfigError as exc:
            report.fail("config file", [str(i) for i in exc.issues])
            raise typer.Exit(1) from None
        if file.path is None:
            report.warn("no config file (--config, CASEHUB_CONFIG or ./casehub.toml): using the defaults")
        else:
            report.ok(f"config file {file.name} read")
        host = _plugins(report, file)
        settings = _settings(report, file, host)
        if settings is not None:
            _secrets_in_file(report, file, settings)
        core = settings or _core_only(file)
        if core is not None:  # a broken plugin section must not hide a broken database or rules file
            _database(report, file, core)
            _rules(report, core, host)
        _pollers(report, host, settings)
        if settings is not None and not offline:
            _vendors(report, host, settings)
        if report.failed:
            console.print(f"\n[bold red]{report.failed} problem(s) found.[/]")
            raise typer.Exit(1)
        console.print("\n[bold green]All good.[/]")
