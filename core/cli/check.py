"""``casehub check``: everything that could stop casehub at 3 a.m., found now.

It reads and validates, and never writes: no database is created or migrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url

from casehub.cli.state import State, console
from casehub.errors import ConfigError
from casehub.host import PluginHost
from casehub.hub import plugin_selection
from casehub.loader import PluginSelection
from casehub.settings import ConfigFile, CoreSettings, load_settings, read_config_file
from casehub.store import migrate
from casehub.store.engine import make_engine

__all__ = ["register"]


@dataclass
class Report:
    failed: int = 0
    lines: list[str] = field(default_factory=list)

    def ok(self, message: str) -> None:
        console.print(f"[green]✓[/] {message}", highlight=False)

    def warn(self, message: str) -> None:
        console.print(f"[yellow]![/] {message}", highlight=False)

    def fail(self, message: str, details: list[str] = ()) -> None:  # type: ignore[assignment]
        self.failed += 1
        console.print(f"[red]✗[/] {message}", highlight=False)
        for line in details:
            console.print(f"    {line}", markup=False, highlight=False)


def _plugins(report: Report, file: ConfigFile) -> PluginHost:
    try:
        selection = plugin_selection(file)
    except Exception:  # the core sections are broken; that is reported with the settings
        selection = PluginSelection.from_config(None, [])
    host = PluginHost.from_entry_points(selection)
    for info in host.infos:
        if info.status == "enabled":
            report.ok(f"plugin {info.name} {info.version or ''}: enabled")
        elif info.status == "disabled":
            report.ok(f"plugin {info.name}: disabled ({info.reason})")
        elif info.status == "unavailable":
            report.warn(f"plugin {info.name}: unavailable, {info.reason} — {info.pip_command or 'install it'}")
        else:
            report.fail(f"plugin {info.name}: failed to load", [info.reason or ""])
    return host


def _database(report: Report, settings: CoreSettings) -> None:
    url = settings.casehub.database_url
    shown = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1)).render_as_string(hide_password=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        how = "at start (auto_migrate)" if settings.casehub.auto_migrate else "by `casehub db upgrade`"
        report.ok(f"database {shown}: does not exist yet; it will be created {how}")
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = migrate.current_revision(engine), migrate.head_revision()
    except Exception as exc:
        report.fail(f"database {shown}: cannot connect", [str(exc).splitlines()[0]])
        return
    finally:
        engine.dispose()
    if current == head:
        report.ok(f"database {shown}: reachable, schema up to date ({head})")
    elif settings.casehub.auto_migrate:
        report.ok(f"database {shown}: reachable, schema {current or 'empty'} will be upgraded to {head} at start")
    else:
        report.fail(f"database {shown}: schema is {current or 'empty'}, needs {head}: run `casehub db upgrade`")


def _rules(report: Report, settings: CoreSettings) -> None:
    if settings.rules.file is None:
        report.ok("rules: no rules file configured")
        return
    path = settings.resolve(settings.rules.file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.fail(f"rules: {path} not found ([rules] file)")
        return
    except UnicodeDecodeError:
        report.fail(f"rules: {path} is not valid UTF-8")
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        report.fail(f"rules: {where}: not valid YAML", [str(getattr(exc, "problem", exc))])
        return
    if data is not None and not isinstance(data, dict):
        report.fail(f"rules: {path}: the top level must be a mapping (triggers:, assignment:, ...)")
        return
    report.ok(f"rules: {path} parses")


def register(app: typer.Typer) -> None:
    @app.command()
    def check(ctx: typer.Context) -> None:
        """Validate the config and rules, load the plugins, and reach the database. Writes nothing."""
        state: State = ctx.ensure_object(State)
        report = Report()
        try:
            file = read_config_file(state.config_path)
        except ConfigError as exc:
            report.fail("config file", [str(i) for i in exc.issues])
            raise typer.Exit(1) from None
        report.ok(f"config file {file.name} read")
        host = _plugins(report, file)
        try:
            settings = load_settings(file, host.settings_models(), host.infos)
        except ConfigError as exc:
            report.fail("settings", [str(i) for i in exc.issues])
        except Exception as exc:  # a plugin's settings_model hook raised
            report.fail("settings", [str(exc)])
        else:
            report.ok("settings valid")
            _database(report, settings)
            _rules(report, settings)
        if report.failed:
            console.print(f"\n[bold red]{report.failed} problem(s) found.[/]")
            raise typer.Exit(1)
        console.print("\n[bold green]All good.[/]")
