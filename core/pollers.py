"""Pollers: bringing vendor-side changes back into casehub, on a schedule, once across every process.

A plugin registers ``register(name, interval_seconds, poll)`` in its
``register_pollers`` hook; ``poll(hub, watermark)`` fetches what changed at the
vendor since ``watermark`` (``None`` the first time), applies it through
``hub.service`` and returns the new watermark.

Each poller has a row in the ``pollers`` table: its watermark and how its runs
went. A run goes in three steps so the vendor call never holds a transaction
open:

1. *claim* — one short transaction: insert the row if it is missing, then
   ``UPDATE ... WHERE`` the poller is due and nobody holds a live lease. The
   update takes the lease and sets ``last_run_at``; of several processes that
   try at once, exactly one gets the row back.
2. *poll* — outside any transaction, with the watermark the claim returned.
3. *finish* — store the new watermark (or the error, keeping the old
   watermark) and clear the lease, but only if the lease is still this run's:
   a run that outlived its lease and was taken over stores nothing.

The next run is due ``interval_seconds`` after ``last_run_at``, whether the run
succeeded or not, so a failing vendor is not hammered. A watermark is stored
only after ``poll`` returned, so a crash in between means the same changes are
fetched again: ``poll`` must apply them idempotently.
"""

from __future__ import annotations

import logging
import math
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casehub.store.engine import write_connection
from casehub.store.tables import pollers as pollers_table

if TYPE_CHECKING:
    from casehub.host import PluginHost
    from casehub.hub import Hub

__all__ = [
    "LEASE_SECONDS",
    "Poller",
    "PollerRun",
    "PollerState",
    "is_due",
    "load_pollers",
    "run_due",
    "run_poller",
    "states",
]

log = logging.getLogger(__name__)

# How long a run may take before another process may start the same poller; ``lease_seconds=`` changes it.
LEASE_SECONDS = 600.0
ERROR_CHARS = 1000
_p = pollers_table.c


@dataclass(frozen=True)
class Poller:
    """One registered poller: ``poll(hub, watermark)`` every ``interval_seconds``."""

    name: str
    plugin: str
    interval_seconds: float
    poll: Callable[[Hub, str | None], str | None]
    lease_seconds: float = LEASE_SECONDS


@dataclass(frozen=True)
class PollerState:
    """A poller's row: where it stands and how its last run went."""

    name: str
    watermark: str | None
    runs: int  # runs that finished, failed ones included
    last_run_at: datetime | None  # when the last run started: the next is due an interval later
    last_success_at: datetime | None
    last_error: str | None  # "ExceptionType: message" of the last run if it failed
    lease_until: datetime | None  # set while a run holds the poller
    owner: str | None  # host:pid:token of that run


@dataclass(frozen=True)
class PollerRun:
    """What one run did: the poller's watermark after it (the old one, kept, if it failed) and why it failed."""

    name: str
    plugin: str
    watermark: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# What ``build`` keeps of a registration: (interval_seconds, poll, lease_seconds); the registry adds the plugin.
_Built = tuple[float, Callable[..., Any], float]


def _seconds(value: Any, what: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(f"poller {name!r}: {what} must be a positive number of seconds, got {value!r}")
    return float(value)


def load_pollers(host: PluginHost, settings: Any = None) -> dict[str, Poller]:
    """Pollers registered through ``register_pollers``: ``register(name, interval_seconds, poll, lease_seconds=...)``.

    A bad registration (no name, a zero interval, a poll that is not callable)
    raises inside the plugin's hook, so start-up stops naming the plugin.
    """

    def build(name: str, interval_seconds: float, poll: Any, *, lease_seconds: float = LEASE_SECONDS) -> _Built:
        if not isinstance(name, str) or not 0 < len(name) <= 255:
            raise ValueError(f"a poller's name must be a string of 1 to 255 characters, got {name!r}")
        if not callable(poll):
            raise ValueError(f"poller {name!r}: poll must be callable as poll(hub, watermark), got {poll!r}")
        interval = _seconds(interval_seconds, "interval_seconds", name)
        return interval, poll, _seconds(lease_seconds, "lease_seconds", name)

    return {r.name: Poller(r.name, r.plugin, *r.value) for r in host.pollers(build, settings)}


def states(engine: Engine) -> dict[str, PollerState]:
    """Every poller's row; a poller that never ran has none."""
    with engine.connect() as conn:
        return {r.name: PollerState(**r._mapping) for r in conn.execute(select(pollers_table))}


def is_due(poller: Poller, state: PollerState | None, now: datetime) -> bool:
    """Due when it never ran or ran ``interval_seconds`` ago, and no live lease is held on it.

    A cheap look at a row read earlier, to skip what is not due; the claim
    decides, in the database, with the same conditions.
    """
    if state is None:
        return True
    if state.lease_until is not None and state.lease_until >= now:
        return False
    return state.last_run_at is None or state.last_run_at <= now - timedelta(seconds=poller.interval_seconds)


def run_due(hub: Hub) -> list[PollerRun]:
    """Run every poller of ``hub`` that is due, one after the other; returns the runs made.

    A failing ``poll`` is recorded on its row and the others still run; so
    they do when claiming or recording one fails (logged, tried again on the
    next call). Only a database that cannot be read at all raises.
    """
    if not hub.pollers:
        return []
    known = states(hub.engine)
    now = hub.clock()
    runs = []
    for poller in hub.pollers.values():
        if not is_due(poller, known.get(poller.name), now):
            continue
        try:
            run = run_poller(hub, poller)
        except Exception:
            log.exception("poller %s of plugin %s: could not claim or record the run", poller.name, poller.plugin)
            continue
        if run is not None:
            runs.append(run)
    return runs


def run_poller(hub: Hub, poller: Poller, *, force: bool = False) -> PollerRun | None:
    """Claim ``poller``, run it and record the outcome; ``None`` if it was not due or another run holds the lease.

    :param force: run even if not due (``casehub pollers run``); a live lease is still respected.

    A failing ``poll`` does not raise: its error is in the returned run and on
    the poller's row. Database errors do raise.
    """
    owner = f"{socket.gethostname()}:{os.getpid()}:{token_hex(4)}"
    with write_connection(hub.engine) as conn:
        claimed = _claim(conn, poller, owner=owner, now=hub.clock(), force=force)
    if claimed is None:
        return None
    (watermark,) = claimed
    try:
        new = poller.poll(hub, watermark)
        if new is not None and not isinstance(new, str):
            raise TypeError(f"poll must return a str watermark (or None to keep the old one), not {type(new).__name__}")
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        # The exception's text only: a traceback adds the SDK's chained errors, which may quote a request.
        log.error("poller %s of plugin %s failed: %s", poller.name, poller.plugin, error)
        _finish(hub, poller, owner, {"last_error": error})
        return PollerRun(poller.name, poller.plugin, watermark, error)
    stored = new if new is not None else watermark
    if _finish(hub, poller, owner, {"watermark": stored, "last_success_at": hub.clock(), "last_error": None}):
        return PollerRun(poller.name, poller.plugin, stored)
    lost = (
        f"ran longer than its lease ({poller.lease_seconds:g} s) and another run took over, "
        f"so its watermark {stored!r} was not stored; register it with a longer lease_seconds"
    )
    log.warning("poller %s of plugin %s %s", poller.name, poller.plugin, lost)
    return PollerRun(poller.name, poller.plugin, watermark, f"lease lost: {lost}")


def _claim(conn: Connection, poller: Poller, *, owner: str, now: datetime, force: bool) -> tuple[str | None] | None:
    """Take the lease on ``poller`` if nobody holds a live one (and it is due, unless ``force``); its watermark."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(pollers_table).values(name=poller.name, runs=0).on_conflict_do_nothing())
    conditions = [_p.name == poller.name, or_(_p.lease_until.is_(None), _p.lease_until < now)]
    if not force:
        due = now - timedelta(seconds=poller.interval_seconds)
        conditions.append(or_(_p.last_run_at.is_(None), _p.last_run_at <= due))
    lease = {"lease_until": now + timedelta(seconds=poller.lease_seconds), "owner": owner, "last_run_at": now}
    row = conn.execute(update(pollers_table).where(*conditions).values(lease).returning(_p.watermark)).first()
    return None if row is None else (row.watermark,)


def _finish(hub: Hub, poller: Poller, owner: str, values: dict[str, Any]) -> bool:
    """Record a run and release its lease, if the lease is still this run's; whether it was."""
    done = {**values, "runs": _p.runs + 1, "lease_until": None, "owner": None}
    with write_connection(hub.engine) as conn:
        row = conn.execute(
            update(pollers_table).where(_p.name == poller.name, _p.owner == owner).values(done).returning(_p.name)
        ).first()
    return row is not None
