"""The config as commands need it before, or without, loading every plugin.

``casehub db upgrade`` must work while a plugin is uninstalled or its section
half-written, and every command should report a broken core section or
database URL with the file and line, not as a bare pydantic or SQLAlchemy
error. So the core sections are validated here on their own; plugin sections
pass unchecked (``build_hub`` and ``casehub check`` check them).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pydantic_settings import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from casehub.errors import ConfigError, ConfigIssue
from casehub.loader import PluginInfo
from casehub.settings import CORE_SECTIONS, ENV_PREFIX, ConfigFile, CoreSettings, load_settings
from casehub.store.engine import normalise_url

__all__ = [
    "core_settings",
    "database_url_issue",
    "database_url_problem",
    "environment_error",
    "missing_sqlite_file",
    "shown_url",
]

URL_ENV = "CASEHUB_CASEHUB__DATABASE_URL"


def core_settings(file: ConfigFile, *, check_url: bool = True) -> CoreSettings:
    """The core sections, validated; raises :class:`ConfigError` naming file, line and key."""
    # Plugin sections pass the way a disabled plugin's do: accepted, unchecked.
    others = [PluginInfo(name=name, status="disabled") for name in file.data if name not in CORE_SECTIONS]
    try:
        settings = load_settings(file, {}, others)
    except SettingsError as exc:
        raise environment_error(exc) from None
    if check_url and (issue := database_url_issue(file, settings.casehub.database_url)):
        raise ConfigError([issue])
    return settings


def environment_error(exc: SettingsError) -> ConfigError:
    """pydantic-settings' "error parsing value for field 'api'", as the variable(s) to look at.

    It is raised when a list or table value in the environment is not JSON;
    which key it was is not said, so the suspects are the section's variables
    that are not JSON.
    """
    match = re.search(r'field "([^"]+)"', str(exc))
    section = match.group(1) if match else "?"
    prefix = f"{ENV_PREFIX}{section.upper()}__"
    suspects = sorted(n for n in os.environ if n.upper().startswith(prefix) and not _is_json(os.environ[n]))
    message = "not valid JSON; lists and tables must be JSON there, e.g. CASEHUB_API__TOKENS='[\"...\"]'"
    if len(suspects) == 1:
        key = suspects[0][len(prefix):].lower()
        return ConfigError([ConfigIssue(f"environment variable {suspects[0]}", f"[{section}] {key}", message)])
    return ConfigError(
        [ConfigIssue(f"environment variables {prefix}*", f"[{section}]", f"a list or table value is {message}; "
                     f"check {', '.join(suspects) or 'them'}")]
    )


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def database_url_problem(url: str) -> str | None:
    """What is wrong with a database URL before anything connects, or ``None``."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):  # the message would repeat the URL, password included
        return "not a database URL; expected sqlite:///casehub.db or postgresql://user@host/dbname"
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        folder = Path(database).parent if database and database != ":memory:" and "uri" not in parsed.query else None
        if folder is not None and not folder.is_dir():
            return f"the folder {folder} does not exist; create it first"
        return None
    if backend != "postgresql":
        return f"casehub runs on sqlite or postgresql, not {backend!r}"
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError:
        return f'the {parsed.get_driver_name()} driver is not installed: pip install "casehub[postgresql]"'
    return None


def database_url_issue(file: ConfigFile, url: str) -> ConfigIssue | None:
    if (problem := database_url_problem(url)) is None:
        return None
    if URL_ENV in os.environ:
        return ConfigIssue(f"environment variable {URL_ENV}", "[casehub] database_url", problem)
    return ConfigIssue(file.name, "[casehub] database_url", problem, _line(file.text))


def _line(text: str) -> int | None:
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if header := re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line):
            section = header.group(1).strip('"')
        elif section == "casehub" and re.match(r"^\s*\"?database_url\"?\s*=", line):
            return number
    return None


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL that does not exist yet (connecting would create it), else ``None``."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return None if "uri" in parsed.query or path.exists() else path


def shown_url(url: str) -> str:
    """The URL with its password replaced by ``***``: safe to print."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(an unreadable URL)"
