"""The config as commands need it before, or without, loading every plugin.

``casehub db upgrade`` must work while a plugin is uninstalled or its section
half-written, and every command should report a broken core section or
database URL with the file and line, not as a bare pydantic or SQLAlchemy
error. So the core sections are validated here on their own; plugin sections
pass unchecked (``build_hub`` and ``casehub check`` check them).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from casehub.errors import ConfigError, ConfigIssue
from casehub.loader import PluginInfo
from casehub.config_file import ConfigFile, line_of, load_settings
from casehub.settings import CORE_SECTIONS, CoreSettings
from casehub.store.engine import normalise_url

__all__ = ["core_settings", "database_url_issue", "database_url_problem", "shown_url"]

URL_ENV = "CASEHUB_CASEHUB__DATABASE_URL"


def core_settings(file: ConfigFile, *, check_url: bool = True) -> CoreSettings:
    """The core sections, validated; raises :class:`ConfigError` naming file, line and key."""
    # Plugin sections pass the way a disabled plugin's do: accepted, unchecked.
    others = [PluginInfo(name=name, status="disabled") for name in file.data if name not in CORE_SECTIONS]
    settings = load_settings(file, {}, others)
    if check_url and (issue := database_url_issue(file, settings.casehub.database_url)):
        raise ConfigError([issue])
    return settings


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
    return ConfigIssue(file.name, "[casehub] database_url", problem, line_of(file.text, ("casehub", "database_url")))


def shown_url(url: str) -> str:
    """The URL with its password replaced by ``***``: safe to print."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(an unreadable URL)"
