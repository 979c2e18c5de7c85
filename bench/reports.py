"""Benchmark: the full report for one quarter, and the dashboard's first load, on a million cases.

Fill the database first (``bench/report_data.py``), then:

    python bench/reports.py --url postgresql://USER@HOST/DB
    python bench/reports.py --url sqlite:///bench-report.db

The quarter is the last whole calendar quarter before the newest case. Each
measurement is taken cold (the first call after the process started, with
whatever the database has cached) and warm (the median of ``--repeat`` more);
the report is timed in total, split by queue, and per aggregation, so a slow
one shows. The dashboard is timed as a browser gets it: ``GET /dashboard``
(the page with every figure, both periods, the series and the lists) over
HTTP from a uvicorn server, and its JSON twin ``/api/v1/reports/dashboard``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.plugins import jira as jira_plugin
from casehub.plugins.jira import report as jira_report
from casehub.reports import Period, Scope, dashboard, figures, report
from casehub.reports.risk import at_risk, breached
from casehub.reports.series import daily
from casehub.store.tables import cases, events

TOKEN = "bench-report-token-0123456789"
console = Console()


def last_quarter(newest: datetime) -> Period:
    """The last whole calendar quarter that ended before ``newest``."""
    start_month = (newest.month - 1) // 3 * 3 + 1
    end = datetime(newest.year, start_month, 1, tzinfo=UTC)
    start = datetime(end.year - (end.month == 1), (end.month - 4) % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end)


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    started = time.perf_counter()
    call()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        warm.append(time.perf_counter() - started)
    return cold, statistics.median(warm)


def serve(hub: Any) -> tuple[str, Callable[[], None]]:
    import socket

    import uvicorn

    from casehub.api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("CASEHUB_BENCH_DATABASE_URL", "sqlite:///bench-report.db"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    # With the Jira plugin configured, so the report carries its "jira feedback" section (no Jira is called).
    host = PluginHost()
    host.register(jira_plugin, "jira")
    config = {"casehub": {"database_url": args.url, "auto_migrate": False}, "api": {"tokens": [TOKEN]},
              "jira": {"url": "http://127.0.0.1:9", "email": "bench@example.com", "api_token": "unused", "project": "FB"}}
    hub = build_hub(config, plugins=host)  # fmt: skip
    with hub.engine.connect() as conn:
        total_cases = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        total_events = conn.execute(select(func.max(events.c.id))).scalar_one()
        newest = conn.execute(select(func.max(cases.c.created_at))).scalar_one()
    quarter = last_quarter(newest)
    now = hub.clock()
    console.print(f"{hub.engine.dialect.name}: {total_cases:,} cases, ~{total_events:,} events; "
                  f"quarter {quarter.since.date()} to {quarter.until.date()}")  # fmt: skip

    rows: list[tuple[str, float, float]] = []
    rows.append(("full report, one quarter", *timed(lambda: report(hub, quarter, Scope()), args.repeat)))
    rows.append(("full report, one quarter, --by queue", *timed(lambda: report(hub, quarter, Scope(by="queue")), args.repeat)))
    recent = Period.of(None, newest, now)
    rows.append(("dashboard figures (last 30 days)", *timed(lambda: dashboard(hub, recent, Scope()), args.repeat)))
    rows.append(("dashboard figures (the quarter)", *timed(lambda: dashboard(hub, quarter, Scope()), args.repeat)))

    base, stop = serve(hub)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120) as client:
            query = {"until": newest.isoformat()}

            def page() -> None:
                answer = client.get("/dashboard", params=query)
                assert answer.status_code == 200, answer.text[:300]

            def api() -> None:
                answer = client.get("/api/v1/reports/dashboard", params=query)
                assert answer.status_code == 200, answer.text[:300]

            rows.append(("GET /dashboard (first load, over HTTP)", *timed(page, args.repeat)))
            rows.append(("GET /api/v1/reports/dashboard", *timed(api, args.repeat)))
    finally:
        stop()

    parts: list[tuple[str, float, float]] = []
    scope = Scope()
    with hub.engine.connect() as conn:
        for name, call in [
            ("created", lambda: figures.created(conn, quarter, scope)),
            ("closed", lambda: figures.closed(conn, quarter, scope)),
            ("cohort", lambda: figures.cohort(conn, quarter, scope)),
            ("durations (FRT, TTR; calendar and business)", lambda: [figures.duration(conn, quarter, scope, m) for m in figures.MEASURES]),
            ("backlog (past moment)", lambda: figures.backlog(conn, quarter, scope, now)),
            ("sla outcomes", lambda: figures.sla_outcomes(conn, quarter, scope)),
            ("sla in progress", lambda: figures.sla_in_progress(conn, scope)),
            ("csat", lambda: figures.csat(conn, quarter, scope)),
            ("daily series (30 days)", lambda: daily(conn, recent, scope, now)),
            ("at risk + breached", lambda: (at_risk(conn, scope, now), breached(conn, scope))),
            ("jira feedback section", lambda: jira_report.figures(conn, quarter, scope)),
        ]:
            parts.append((name, *timed(call, args.repeat)))

    table = Table("measurement", "cold s", "warm s (median)", title=f"reports on {hub.engine.dialect.name}")
    for name, cold, warm in rows:
        table.add_row(name, f"{cold:.2f}", f"{warm:.2f}")
    table.add_section()
    for name, cold, warm in parts:
        table.add_row(f"  {name}", f"{cold:.3f}", f"{warm:.3f}")
    console.print(table)
    hub.close()


if __name__ == "__main__":
    main()
