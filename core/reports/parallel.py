"""A report's queries at once, each on a connection of its own, all reading the same snapshot where the database can share one.

A report is a dozen or more aggregations that do not depend on one another.
Run one after another they keep one core of the database busy and leave the
rest idle; run side by side (as BI tools run a dashboard's cards) the report
takes about as long as its slowest few queries.

On PostgreSQL the queries still see one consistent state, as one transaction
would: the first connection opens a ``REPEATABLE READ`` transaction and
exports its snapshot, and every other one starts its transaction on that
snapshot (``SET TRANSACTION SNAPSHOT``, as ``pg_dump --jobs`` does). So
"created" and "backlog" agree even while cases are being written. SQLite
cannot share a snapshot; each reader sees the database as of its first query,
and readers started together differ at most by what was committed in the
milliseconds between them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import ExitStack
import re
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.pool import SingletonThreadPool, StaticPool

__all__ = ["WORKERS", "gather"]

SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
Query = Callable[[Connection], Any]

# Connections one report uses at most: enough to keep a few database cores busy, few enough that
# several people opening the dashboard at once stay well inside the engine's pool.
WORKERS = 4


def gather(engine: Engine, queries: Mapping[str, Query], workers: int = WORKERS) -> dict[str, Any]:
    """Run every query and return their results by name; the first failure is raised (and the rest cancelled)."""
    if workers <= 1 or len(queries) <= 1 or isinstance(engine.pool, (SingletonThreadPool, StaticPool)):
        # One connection (an in-memory SQLite database is private to its connection): in turn.
        with engine.connect() as conn:
            _no_jit(conn)
            return {name: query(conn) for name, query in queries.items()}
    workers = min(workers, len(queries))
    with ExitStack() as stack:
        conns = [stack.enter_context(_reader(engine)) for _ in range(workers)]
        _share_snapshot(conns)
        free = list(conns)

        def run(query: Query) -> Any:
            conn = free.pop()  # atomic; as many connections as threads, so one is always free
            try:
                return query(conn)
            finally:
                free.append(conn)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="casehub-report") as pool:
            futures = {name: pool.submit(run, query) for name, query in queries.items()}
            done, pending = wait(futures.values(), return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            # The failure that finished first is the cause; later ones may only echo it (an aborted transaction).
            failed = [f for f in done if f.exception() is not None]
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
            return {name: future.result() for name, future in futures.items()}


def _reader(engine: Engine) -> Connection:
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def _no_jit(conn: Connection) -> None:
    """PostgreSQL's JIT compiles each big aggregation anew, for longer than it then runs (hundreds of ms each)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")


def _share_snapshot(conns: list[Connection]) -> None:
    """PostgreSQL: every connection reads the first one's snapshot, with JIT off."""
    if conns[0].dialect.name != "postgresql":
        return
    lead, *rest = conns
    snapshot = lead.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    if not SNAPSHOT_ID.fullmatch(snapshot):  # SET takes no parameters; the id is inlined, so it is checked first
        raise RuntimeError(f"unexpected snapshot id from the database: {snapshot!r}")
    for conn in rest:
        conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    for conn in conns:
        _no_jit(conn)
