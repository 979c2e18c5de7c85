"""Benchmark: web form posts (urlencoded, as a browser sends them) with the example rules and spam checks on.

Each post is a different person (email, subject) so the duplicate check looks
and finds nothing, the rate limits take a token, the example rules assign the
case, start its SLA clocks and queue an acknowledgement; one uvicorn worker in
its own process, 8 keep-alive connections.

    python bench/form_posts.py
    CASEHUB_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/casehub_bench python bench/form_posts.py
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from create_cases import Request, _free_port, _fresh_url, _load, _wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def _serve(url: str, port: int) -> None:
    import logging

    import uvicorn

    import casehub.plugins.webforms as webforms
    from casehub.api.app import create_app, settle
    from casehub.host import PluginHost
    from casehub.hub import build_hub

    logging.getLogger("casehub").setLevel(logging.WARNING)
    host = PluginHost()
    host.register(webforms, "webforms")
    form = {"per_ip_per_hour": 10_000_000, "required": ["email", "subject"], "success_url": "https://www.example.com/thanks"}
    config = {
        "casehub": {"database_url": url},
        "rules": {"file": str(ROOT / "config" / "rules.yaml")},
        "webforms": {"forms": {"support": form}},
    }
    hub = build_hub(config, plugins=host, background_checkpoints=url.startswith("sqlite"))
    hub.start(checkpoints=url.startswith("sqlite"))
    app = create_app(hub)
    settle()  # as casehub serve does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _post(n: int) -> Request:
    body = urlencode({
        "name": f"Person {n}", "email": f"person{n}@example.com", "subject": f"Lamp {n} flickers",
        "description": "It started on Monday and gets worse in the evening.", "website_url": "",
    }).encode()  # fmt: skip
    return "/forms/support", body, HEADERS, 303


def bench(url: str, posts: int, concurrency: int) -> dict[str, float]:
    port = _free_port()
    proc = mp.get_context("spawn").Process(target=_serve, args=(url, port), daemon=True)
    proc.start()
    try:
        _wait_for(port, proc)
        _load(port, 200, concurrency, lambda n: _post(10_000_000 + n))  # warm-up
        return _load(port, posts, concurrency, _post)
    finally:
        proc.terminate()
        proc.join(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], help="only this one (default: both, PostgreSQL if configured)")
    args = parser.parse_args()
    dbs = ["sqlite"] + (["postgresql"] if os.environ.get("CASEHUB_BENCH_DATABASE_URL") else [])
    if args.database:
        if args.database == "postgresql" and "postgresql" not in dbs:
            parser.error("--database postgresql needs CASEHUB_BENCH_DATABASE_URL")
        dbs = [args.database]
    console = Console()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, db in enumerate(dbs):
            runs = [bench(_fresh_url(db, Path(tmp), 500 + n * 10 + r), args.posts, args.concurrency) for r in range(args.runs)]
            median = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            rows.append((db, median))
            console.log(f"{db}: {median['cases_per_s']:.0f} posts/s")
    table = Table("database", "posts/s", "p50 ms", "p99 ms", title=f"form posts, median of {args.runs} runs x {args.posts}")
    for db, m in rows:
        table.add_row(db, f"{m['cases_per_s']:.0f}", f"{m['p50_ms']:.2f}", f"{m['p99_ms']:.2f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
