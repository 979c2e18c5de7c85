"""The hub: settings, plugins, database and case service of one casehub, built by a factory.

Nothing here runs at import time, so tests build as many independent hubs as
they like (each with its own database and plugins) without reloads or flags.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from casehub.config_file import ConfigFile, load_settings, read_config_file
from casehub.delivery.worker import Worker
from casehub.errors import DatabaseNotReady
from casehub.host import PluginHost
from casehub.loader import PluginSelection
from casehub.pollers import Poller, load_pollers
from casehub.rules.engine import RuleEngine
from casehub.rules.loading import load_rules
from casehub.rules.scheduler import Scheduler
from casehub.service import CaseService, utcnow
from casehub.settings import CORE_SECTIONS, DEFAULT_CONFIG, CoreSettings, build_settings_model
from casehub.store import migrate
from casehub.store.engine import Checkpointer, make_engine, missing_sqlite_file
from casehub.store.group_commit import GroupCommit

__all__ = ["Hub", "build_hub", "config_file_for", "resolve_config_path"]

log = logging.getLogger(__name__)


def resolve_config_path(option: Path | None) -> Path | None:
    """``--config``, else ``CASEHUB_CONFIG``, else ``./casehub.toml`` if present, else defaults only."""
    if option is not None:
        return option
    if env := os.environ.get("CASEHUB_CONFIG"):
        return Path(env)
    default = Path(DEFAULT_CONFIG)
    return default if default.exists() else None


def config_file_for(source: Path | dict[str, Any] | None) -> ConfigFile:
    if isinstance(source, dict):
        return ConfigFile(None, source)
    return read_config_file(source)


def plugin_selection(file: ConfigFile) -> PluginSelection:
    """Which plugins to load, from the core sections alone (plugins are not loaded yet).

    A broken core section falls back to the environment's selection: the full
    validation that follows reports it with file, line and key.
    """
    tolerated = set(file.data) - CORE_SECTIONS
    core = {k: v for k, v in file.data.items() if k in CORE_SECTIONS}
    try:
        early = build_settings_model({}, tolerated)(**core)
    except Exception:  # pydantic's ValidationError or pydantic-settings' SettingsError
        return PluginSelection.from_config(None, [])
    return PluginSelection.from_config(early.casehub.load_plugins, early.casehub.disable_plugins)


@dataclass
class Hub:
    """One casehub: what a process serves requests and runs workers with."""

    settings: CoreSettings
    plugins: PluginHost
    engine: Engine
    clock: Callable[[], datetime] = utcnow
    rules: RuleEngine | None = None
    pollers: dict[str, Poller] = field(default_factory=dict)
    service: CaseService = field(init=False)
    # Hot-path writes (web form intake) committed in batches by one thread; see casehub.store.group_commit.
    writer: GroupCommit = field(init=False)
    # Per-hub objects of plugins (a logged-in vendor client, caches), by plugin name: a process
    # may run several hubs (tests do), so module globals would leak between them. See ``extra``.
    _extras: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _extras_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _checkpointer: Checkpointer | None = field(default=None, init=False, repr=False)
    _worker: Worker | None = field(default=None, init=False, repr=False)
    _scheduler: Scheduler | None = field(default=None, init=False, repr=False)
    _started: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self.service = CaseService(self.engine, self, self.clock)
        self.writer = GroupCommit(self.engine)

    def extra(self, name: str, make: Callable[[], Any]) -> Any:
        """A plugin's object for this hub (a logged-in client), made by ``make()`` the first time it is asked for.

        Made once even when several delivery threads ask at the same moment.
        """
        with self._extras_lock:
            if name not in self._extras:
                self._extras[name] = make()
            return self._extras[name]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def has_timed_rules(self) -> bool:
        """Whether the rules have SLA policies or automations, the scheduler's timed work."""
        return self.rules is not None and bool(self.rules.sla or self.rules.automations)

    def start(self, *, checkpoints: bool = False, deliveries: bool = False, timers: bool = False) -> None:
        """Run plugins' start-up hooks.

        :param checkpoints: run SQLite WAL checkpoints in the background.
        :param deliveries: run a delivery worker in this process (``casehub serve``).
        :param timers: run the scheduler in this process (``casehub serve``): SLA timers and automations if
            the rules have any, pollers if plugins registered any.
        """
        if checkpoints and self.is_sqlite:
            self._checkpointer = Checkpointer(self.engine)
            self._checkpointer.start()
        self.plugins.startup(self)
        self._started = True
        if deliveries:
            self.start_deliveries()
        if timers and (self.has_timed_rules or self.pollers):
            self._scheduler = Scheduler(self)
            self._scheduler.start()

    def start_deliveries(self) -> None:
        """Run a delivery worker in this process, woken by this process's commits."""
        if self._worker is None:
            self._worker = Worker(self)
            self._worker.start()

    def deliveries_enqueued(self) -> None:
        """Called after a commit that added deliveries: wake this process's worker at once."""
        if self._worker is not None:
            self._worker.wake()

    def close(self) -> None:
        self.writer.close()
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._started:
            self.plugins.shutdown(self)
            self._started = False
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()


def build_hub(
    config: Path | dict[str, Any] | None = None,
    *,
    plugins: PluginHost | None = None,
    clock: Callable[[], datetime] = utcnow,
    background_checkpoints: bool = False,
) -> Hub:
    """Validate config, load plugins and their rules and pollers, open the database (migrating it if ``auto_migrate``).

    :param config: a TOML path, a dict of sections (tests), or ``None`` for defaults.
    :param plugins: an already built host (tests); by default entry points are loaded.
    :param background_checkpoints: for long-running processes on SQLite (see :mod:`casehub.store.engine`).
    :raises casehub.errors.ConfigError: listing every problem in the config.
    :raises casehub.errors.PluginError: naming the plugin whose ``register_actions`` or ``register_pollers`` failed.
    """
    file = config_file_for(config)
    host = plugins or PluginHost.from_entry_points(plugin_selection(file))
    settings = load_settings(file, host.settings_models(), host.infos)
    url = settings.casehub.database_url
    if not settings.casehub.auto_migrate and (missing := missing_sqlite_file(url)) is not None:
        # Connecting would create an empty file; refuse before that happens.
        raise DatabaseNotReady(f"the database file {missing} does not exist: run `casehub db upgrade`")
    rules = load_rules(settings, host)  # a broken rules file fails before the database is touched
    pollers = load_pollers(host, settings)
    engine = make_engine(url, autocheckpoint=not background_checkpoints)
    if settings.casehub.auto_migrate:
        migrate.upgrade(engine)
    else:
        migrate.ensure_ready(engine)
    return Hub(settings=settings, plugins=host, engine=engine, clock=clock, rules=rules, pollers=pollers)
