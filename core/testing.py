"""pytest fixtures for testing casehub and casehub plugins (registered as a ``pytest11`` plugin).

A plugin author's test needs nothing but this::

    def test_my_plugin_tags_new_cases(hub, register_plugin):
        register_plugin(my_plugin, "mine")
        case = hub.service.create(CaseDraft(subject="Hi"), actor="test")
        assert "vip" in case.tags

Fixtures:

``hub``
    A started hub on a fresh SQLite database in ``tmp_path``, with no plugins
    loaded from entry points (register the ones under test).
``make_hub``
    ``make_hub(config=None, *, entry_points=False, plugins=None, database_url=None, deliveries=False, clock=None)``
    builds more hubs (``plugins={"name": plugin}`` registers plugins before the
    config is validated, so their sections are known, and before their actions
    and pollers are collected, which ``register_plugin`` is too late for;
    ``deliveries=True`` runs a delivery worker in the hub; ``clock`` replaces
    the hub's idea of now, for SLA and poller tests); all are closed at the end
    of the test.
``register_plugin``
    ``register_plugin(obj, name=None)`` registers a plugin object on ``hub``
    for this test only (unregistered in ``finally``), and fails the test if
    casehub refused it (a misspelt hook, say).
``live_server``
    ``hub``'s web app served by uvicorn on 127.0.0.1 with a free port; its
    ``url`` and ``token`` attributes are what an HTTP client needs.
``api``
    An ``httpx.Client`` for ``live_server`` with the bearer token set.
``serve``
    ``with serve(hub) as client:`` serves any other hub the same way.
``Clock``
    Not a fixture: ``Clock(start)`` is a clock a test moves with
    ``clock.advance(hours=2)``; pass it as ``make_hub(clock=...)`` to test SLA
    clocks and automations without waiting.
``settle_outbox``
    Not a fixture: ``settle_outbox(hub, count=None, timeout=20.0)`` waits until
    every outbox row of ``hub`` (at least ``count`` of them) is done or dead,
    and returns the rows as dicts; for tests of a plugin's deliveries with
    ``make_hub(deliveries=True)``.
``SalesforceFake``, ``SlackFake``, ``JiraFake``
    Not fixtures: the vendor fakes of :mod:`casehub.fakes` (a Salesforce org
    over TLS, a Slack workspace, a Jira site, each a real HTTP server on
    127.0.0.1 with its own records and the vendor's errors and limits); see
    each plugin's docs. The Salesforce one needs ``casehub[salesforce]``.
``database_url``
    The URL ``hub`` uses. Tests that request ``any_database_url`` run once on
    SQLite and once on PostgreSQL (a fresh schema per test) when
    ``CASEHUB_TEST_DATABASE_URL`` is set, and skip the PostgreSQL run otherwise.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from ulid import ULID

from casehub.host import PluginHost
from casehub.store.tables import outbox
from casehub.hub import Hub, build_hub
from casehub.service import utcnow
from casehub.store.engine import normalise_url

__all__ = ["Clock", "LiveServer", "TEST_TOKEN", "client_for", "outbox_rows", "postgres_schema_url", "run_server", "settle_outbox"]

TEST_TOKEN = "casehub-test-token-0123456789"


class Clock:
    """A clock the test moves: ``make_hub(clock=Clock(start))``, then ``clock.advance(hours=2)``.

    The hub reads it whenever it needs "now" (timestamps, SLA clocks, automations).
    """

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
PG_ENV = "CASEHUB_TEST_DATABASE_URL"


def __getattr__(name: str) -> Any:
    # The fake org needs the salesforce extra (trustme); plugin authors without it still get the fixtures.
    if name == "SalesforceFake":
        from casehub.fakes.salesforce import SalesforceFake

        return SalesforceFake
    if name == "SlackFake":
        from casehub.fakes.slack import SlackFake

        return SlackFake
    if name == "JiraFake":
        from casehub.fakes.jira import JiraFake

        return JiraFake
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def outbox_rows(hub: Hub) -> list[dict[str, Any]]:
    """Every outbox row of ``hub``, oldest first."""
    with hub.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(outbox).order_by(outbox.c.id))]


def settle_outbox(hub: Hub, count: int | None = None, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The outbox once every delivery is done or dead (and at least ``count`` exist); fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        rows = outbox_rows(hub)
        if rows and (count is None or len(rows) >= count) and all(r["status"] in ("done", "dead") for r in rows):
            return rows
        if time.monotonic() > deadline:
            pending = [(r["id"], r["destination"], r["action"], r["status"], r["last_error"]) for r in rows]
            raise AssertionError(f"the outbox did not settle in {timeout} s: {pending}")
        time.sleep(0.03)


def postgres_schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with every connection's ``search_path`` set to ``schema``."""
    sep = "&" if "?" in base_url else "?"
    return f"{normalise_url(base_url)}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Parametrised over SQLite and PostgreSQL by :func:`pytest_generate_tests`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casehub.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL run: set {PG_ENV} to a database casehub may create schemas in")
    schema = f"t_{str(ULID()).lower()}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "any_database_url" in metafunc.fixturenames:
        metafunc.parametrize("any_database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'casehub.db'}"


@pytest.fixture
def make_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    if "any_database_url" in request.fixturenames:
        # Set up first, so it is torn down last: the hubs' worker threads must stop before the
        # PostgreSQL schema is dropped, or the DROP deadlocks with a delivery still writing.
        request.getfixturevalue("any_database_url")
    hubs: list[Hub] = []

    def make(
        config: dict[str, Any] | None = None,
        *,
        entry_points: bool = False,
        plugins: dict[str, object] | None = None,
        database_url: str | None = None,
        start: bool = True,
        deliveries: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> Hub:
        config = {section: dict(values) for section, values in (config or {}).items()}
        core = config.setdefault("casehub", {})
        core.setdefault("database_url", database_url or f"sqlite:///{tmp_path / f'hub{len(hubs)}.db'}")
        config.setdefault("api", {}).setdefault("tokens", [TEST_TOKEN])
        host = None if entry_points else PluginHost()
        for name, plugin in (plugins or {}).items():
            if host is None:
                raise ValueError("give either entry_points=True or plugins, not both")
            info = host.register(plugin, name)
            if info.status != "enabled":
                pytest.fail(f"casehub refused plugin {name!r}: {info.reason}")
        hub = build_hub(config, plugins=host, clock=clock or utcnow)
        hubs.append(hub)
        if start:
            hub.start(deliveries=deliveries)
        return hub

    yield make
    for hub in reversed(hubs):
        hub.close()


@pytest.fixture
def hub(make_hub: Callable[..., Hub], database_url: str) -> Hub:
    return make_hub(database_url=database_url)


@pytest.fixture
def register_plugin(hub: Hub) -> Iterator[Callable[..., object]]:
    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> object:
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        info = hub.plugins.register(plugin, name)
        if info.status != "enabled":
            pytest.fail(f"casehub refused plugin {name!r}: {info.reason}")
        names.append(name)
        return plugin

    try:
        yield register
    finally:
        for name in names:
            hub.plugins.unregister(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    token: str
    hub: Hub


@contextmanager
def run_server(hub: Hub) -> Iterator[LiveServer]:
    """Serve ``hub``'s web app with uvicorn on 127.0.0.1 (a free port) until the block ends."""
    import uvicorn

    from casehub.api.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="casehub-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start within 10 s")
        time.sleep(0.01)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", token=TEST_TOKEN, hub=hub)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def client_for(server: LiveServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def live_server(hub: Hub) -> Iterator[LiveServer]:
    with run_server(hub) as server:
        yield server


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(live_server) as client:
        yield client


@pytest.fixture
def serve() -> Callable[[Hub], AbstractContextManager[httpx.Client]]:
    """``with serve(hub) as client:`` — serve any hub (say, one on PostgreSQL) and get an authenticated client."""

    @contextmanager
    def serving(hub: Hub) -> Iterator[httpx.Client]:
        with run_server(hub) as server, client_for(server) as client:
            yield client

    return serving
