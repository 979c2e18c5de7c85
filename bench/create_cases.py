"""Benchmark: case creation (case + first event + one outbox row, one durable transaction).

Measures cases/second through the service layer and through HTTP (uvicorn, one
worker, in its own process), on SQLite and on PostgreSQL, and reports the
median of several runs. The HTTP figures come with latency percentiles and a
baseline: a bare FastAPI + sqlite3 endpoint with the same durable commit, driven
by the same load generator, so the figure can be judged on the machine at hand.

    python bench/create_cases.py                       # everything that can run here
    python bench/create_cases.py --mode service --db sqlite --cases 3000 --runs 5
    CASEHUB_BENCH_DATABASE_URL=postgresql://... python bench/create_cases.py --db postgresql

Results are printed as a table and written to bench/results/create_cases.json.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from casehub import hookimpl
from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.model import CaseDraft
from casehub.outbox import Delivery

TOKEN = "bench-token-0123456789abcdef"
BODY = {
    "subject": "Order 4711 arrived damaged",
    "description": "The parcel was crushed and the lamp inside is broken. " * 4,
    "priority": "high",
    "type": "problem",
    "contact": {"name": "Ada Lovelace", "email": "ada@example.com"},
}


class OneDeliveryPerEvent:
    """Every event plans one delivery, so each case writes case + event + outbox row."""

    @hookimpl
    def plan_deliveries(self, event: Any) -> list[Delivery]:
        return [Delivery(destination="crm", action="upsert", key="cases", payload={"event_id": event.id})]


def _hub(url: str, background: bool) -> Any:
    host = PluginHost()
    host.register(OneDeliveryPerEvent(), "bench")
    hub = build_hub({"casehub": {"database_url": url}, "api": {"tokens": [TOKEN]}}, plugins=host,
                    background_checkpoints=background)
    hub.start(checkpoints=background)
    return hub


def _fresh_url(db: str, workdir: Path, n: int) -> str:
    if db == "sqlite":
        return f"sqlite:///{workdir / f'bench{n}.db'}"
    from sqlalchemy import create_engine, text

    from casehub.testing import postgres_schema_url

    base = os.environ["CASEHUB_BENCH_DATABASE_URL"]
    schema = f"bench_{os.getpid()}_{n}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    if not _schemas:
        atexit.register(_drop_schemas, base)
    _schemas.append(schema)
    return postgres_schema_url(base, schema)


_schemas: list[str] = []  # made by this run, dropped when it ends: left behind, they slow the next runs down


def _drop_schemas(base: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for schema in _schemas:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def bench_service(url: str, cases: int) -> dict[str, float]:
    hub = _hub(url, background=True)
    draft = CaseDraft.model_validate(BODY)
    try:
        for _ in range(100):  # warm caches and the connection pool
            hub.service.create(draft, actor="bench")
        latencies = []
        start = time.perf_counter()
        for _ in range(cases):
            t0 = time.perf_counter()
            hub.service.create(draft, actor="bench")
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
    finally:
        hub.close()
    return {"cases_per_s": cases / elapsed, **_percentiles(latencies)}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": qs[49] * 1000, "p99_ms": qs[98] * 1000}


# -- HTTP ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_casehub(url: str, port: int) -> None:
    import uvicorn

    from casehub.api.app import create_app, settle

    hub = _hub(url, background=True)
    app = create_app(hub)
    settle()  # as casehub serve does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _serve_baseline(path: str, port: int) -> None:
    """The bar to compare with: FastAPI + sqlite3, same durability, no framework around it."""
    import sqlite3

    import uvicorn
    from fastapi import FastAPI

    local = threading.local()
    setup = sqlite3.connect(path, isolation_level=None)  # schema and WAL once, before threads race for it
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS cases (id INTEGER PRIMARY KEY, body TEXT)")
    setup.close()

    def conn() -> sqlite3.Connection:
        if not hasattr(local, "c"):
            c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            c.execute("PRAGMA busy_timeout=10000")
            c.execute("PRAGMA synchronous=FULL")
            local.c = c
        return local.c

    app = FastAPI()

    @app.post("/api/v1/cases", status_code=201)
    def create(body: dict[str, Any]) -> dict[str, Any]:
        c = conn()
        c.execute("BEGIN IMMEDIATE")
        cur = c.execute("INSERT INTO cases (body) VALUES (?)", (json.dumps(body),))
        c.execute("COMMIT")
        return {"id": cur.lastrowid, **body}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _wait_for(port: int, proc: mp.Process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not proc.is_alive():
            raise RuntimeError("the server process died at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start within 30 s")


Request = tuple[str, bytes, dict[str, str], int]  # path, body, headers, the status that means success


def _api_request(n: int) -> Request:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    return "/api/v1/cases", json.dumps(BODY).encode(), headers, 201


def _load(port: int, cases: int, concurrency: int, make: Callable[[int], Request] = _api_request) -> dict[str, float]:
    """``cases`` requests from ``concurrency`` keep-alive connections; ``make(n)`` builds request number n."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    per_thread = cases // concurrency

    def worker(k: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for i in range(per_thread):
            path, body, headers, ok = make(k * per_thread + i)
            t0 = time.perf_counter()
            c.request("POST", path, body=body, headers=headers)
            response = c.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != ok:
                errors.append(response.status)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return {"cases_per_s": len(latencies) / elapsed, **_percentiles(latencies)}


def bench_http(target: str, url: str, cases: int, concurrency: int) -> dict[str, float]:
    port = _free_port()
    serve = _serve_casehub if target == "casehub" else _serve_baseline
    arg = url if target == "casehub" else url.removeprefix("sqlite:///")
    proc = mp.get_context("spawn").Process(target=serve, args=(arg, port), daemon=True)
    proc.start()
    try:
        _wait_for(port, proc)
        _load(port, 200, concurrency)  # warm-up
        return _load(port, cases, concurrency)
    finally:
        proc.terminate()
        proc.join(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["service", "http", "both"], default="both")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=2000, help="cases per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; the median is reported")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP connections")
    args = parser.parse_args()

    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in dbs and not os.environ.get("CASEHUB_BENCH_DATABASE_URL"):
        print("skipping PostgreSQL: set CASEHUB_BENCH_DATABASE_URL", file=sys.stderr)
        dbs.remove("postgresql")
    plans: list[tuple[str, str, str]] = []
    for db in dbs:
        if args.mode in ("service", "both"):
            plans.append(("service", "casehub", db))
        if args.mode in ("http", "both"):
            plans.append(("http", "casehub", db))
            if db == "sqlite":
                plans.append(("http", "baseline", db))

    console = Console()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (mode, target, db) in enumerate(plans):
            runs = []
            for r in range(args.runs):
                url = _fresh_url(db, Path(tmp), n * 100 + r)
                runs.append(bench_service(url, args.cases) if mode == "service"
                            else bench_http(target, url, args.cases, args.concurrency))
                console.log(f"{mode} {target} {db} run {r + 1}: {runs[-1]['cases_per_s']:.0f} cases/s")
            median = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            results.append({"mode": mode, "target": target, "db": db, "runs": runs, **median})

    table = Table(title=f"case creation, median of {args.runs} runs x {args.cases} cases")
    for col in ("path", "target", "database", "cases/s", "p50 ms", "p99 ms"):
        table.add_column(col, justify="right" if col[0] in "cp" and col != "path" else "left")
    for r in results:
        table.add_row(r["mode"], r["target"], r["db"], f"{r['cases_per_s']:.0f}", f"{r['p50_ms']:.2f}",
                      f"{r['p99_ms']:.2f}")
    console.print(table)
    out = Path(__file__).parent / "results" / "create_cases.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
