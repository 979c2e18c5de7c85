"""Benchmark: the delivery engine against a local HTTP sink that answers at once.

For the in-process default (SQLite, the worker inside the process that takes
cases in) and for 1, 2 and 4 `casehub worker` processes on PostgreSQL, it
reports:

- throughput: deliveries/second draining a backlog of ``--backlog`` deliveries;
- latency from commit to the vendor call, p50/p99, for cases created one at a
  time while the workers are idle (the pick-up time the wake-up on commit buys);

and, separately, how many HTTP requests deliver 10,000 record creates when the
executor takes batches of 200 (Salesforce sObject Collections).

    python bench/deliveries.py                                  # SQLite only
    CASEHUB_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/casehub_bench python bench/deliveries.py

The PostgreSQL database is emptied (schema dropped) before each scenario.
Results are printed and written to bench/results/deliveries.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from casehub.host import PluginHost
from casehub.hub import Hub, build_hub
from casehub.model import CaseDraft
from casehub.store.engine import normalise_url

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_DIR = ROOT / "tests" / "core" / "delivery"  # the courier plugin of the engine's tests
sys.path.insert(0, str(PLUGIN_DIR))
from courier import Courier  # noqa: E402

console = Console()
SCRIPT = Path(sys.executable).parent / "casehub"


class SinkProcess:
    def __enter__(self) -> SinkProcess:
        sink = Path(__file__).with_name("fast_sink.py")
        self.process = subprocess.Popen([sys.executable, str(sink)], stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()  # type: ignore[union-attr]
        return self

    def received(self) -> list[dict[str, Any]]:
        return httpx.get(self.url + "/_sink/received", timeout=60).json()

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait()


def fresh_postgres(url: str) -> str:
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def config(database_url: str, sink_url: str, batch: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "casehub": {"database_url": database_url, "load_plugins": ["courier"]},
        "courier": {"url": sink_url, "destinations": ["crm"], "batch": batch or {}},
        "outbox": {"concurrency": 8, "claim_batch": 50, "workers_in_serve": False},
    }


def intake_hub(cfg: dict[str, Any]) -> Hub:
    host = PluginHost()
    host.register(Courier(), "courier")
    hub = build_hub(cfg, plugins=host)
    hub.start()
    return hub


def create(hub: Hub, n: int, *, pace: float = 0.0) -> dict[str, float]:
    """Create ``n`` cases; returns case number -> time the commit returned."""
    committed: dict[str, float] = {}
    for i in range(n):
        case = hub.service.create(CaseDraft(subject=f"bench {i}"), actor="bench")
        committed[case.number] = time.time()
        if pace:
            time.sleep(pace)
    return committed


def wait_for(sink: SinkProcess, count: int, timeout: float = 600) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        got = [r for r in sink.received() if r["status"] == 200]
        if len(got) >= count or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def toml(cfg: dict[str, Any]) -> str:
    lines = []
    for section, values in cfg.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value) if not isinstance(value, dict) else _inline(value)}")
    return "\n".join(lines) + "\n"


def _inline(table: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) + "}"


class WorkerProcesses:
    def __init__(self, cfg: dict[str, Any], count: int, tmp: Path) -> None:
        site = tmp / "site" / "casehub_courier-0.1.dist-info"
        site.mkdir(parents=True, exist_ok=True)
        (site / "METADATA").write_text("Metadata-Version: 2.1\nName: casehub-courier\nVersion: 0.1\n")
        (site / "entry_points.txt").write_text("[casehub]\ncourier = courier:plugin\n")
        path = tmp / "casehub.toml"
        path.write_text(toml(cfg))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp / "site"), str(PLUGIN_DIR)]), "CASEHUB_CONFIG": str(path)}
        self.processes = [
            subprocess.Popen([str(SCRIPT), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)
        ]

    def stop(self) -> None:
        for p in self.processes:
            p.send_signal(signal.SIGTERM)
        for p in self.processes:
            p.wait(timeout=60)


def latencies(committed: dict[str, float], received: list[dict[str, Any]]) -> list[float]:
    first: dict[str, float] = {}
    for r in received:
        number = r["body"].get("case")
        if number in committed and number not in first:
            first[number] = r["at"]
    return [(first[n] - committed[n]) * 1000 for n in committed if n in first]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else float("nan")


def scenario(name: str, database_url: str, workers: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Drain a backlog, then measure pick-up latency while idle."""
    with SinkProcess() as sink:
        cfg = config(database_url, sink.url)
        hub = intake_hub(cfg)
        console.print(f"[dim]{name}: creating a backlog of {args.backlog} deliveries…[/]")
        create(hub, args.backlog)
        if workers == 0:
            hub.start_deliveries()
            runner: Any = hub._worker
        else:
            runner = WorkerProcesses(cfg, workers, tmp / name.replace(" ", "_"))
        got = wait_for(sink, args.backlog)
        times = sorted(r["at"] for r in got)
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")

        time.sleep(1.0)  # idle
        before = len(got)
        committed = create(hub, args.latency_cases, pace=0.02)
        got = wait_for(sink, before + args.latency_cases)
        lat = latencies(committed, got)
        runner.stop()
        hub.close()
    return {
        "scenario": name,
        "deliveries_per_s": round(rate),
        "pickup_p50_ms": round(pct(lat, 50), 1),
        "pickup_p99_ms": round(pct(lat, 99), 1),
        "latency_samples": len(lat),
    }


def batching(database_url: str, records: int, tmp: Path) -> dict[str, Any]:
    with SinkProcess() as sink:
        cfg = config(database_url, sink.url, batch={"crm": 200})
        cfg["outbox"]["claim_batch"] = 200
        hub = intake_hub(cfg)
        create(hub, records)
        hub.start_deliveries()
        runner = hub._worker
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            got = sink.received()
            if sum(len(r["body"]["records"]) for r in got if r["status"] == 200) >= records:
                break
            time.sleep(0.25)
        runner.stop()
        hub.close()
    return {"records": records, "requests": len(got), "records_per_request": round(records / len(got), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backlog", type=int, default=10_000, help="deliveries to drain per scenario")
    parser.add_argument("--latency-cases", type=int, default=200, help="cases created one by one while idle")
    parser.add_argument("--batch-records", type=int, default=10_000, help="records for the batching count")
    args = parser.parse_args()
    pg = os.environ.get("CASEHUB_BENCH_DATABASE_URL")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        results.append(scenario("SQLite, in-process worker", f"sqlite:///{tmp / 'bench.db'}", 0, args, tmp))
        if pg:
            for n in (1, 2, 4):
                results.append(scenario(f"PostgreSQL, {n} worker process{'es' if n > 1 else ''}", fresh_postgres(pg), n, args, tmp))
            batch = batching(fresh_postgres(pg), args.batch_records, tmp)
        else:
            batch = batching(f"sqlite:///{tmp / 'batch.db'}", args.batch_records, tmp)

    table = Table("scenario", "deliveries/s", "pick-up p50 ms", "pick-up p99 ms", title="delivery engine")
    for r in results:
        table.add_row(r["scenario"], f"{r['deliveries_per_s']:,}", str(r["pickup_p50_ms"]), str(r["pickup_p99_ms"]))
    console.print(table)
    console.print(
        f"batching: {batch['records']:,} record creates in {batch['requests']} HTTP requests "
        f"({batch['records_per_request']} records per request)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "deliveries.json").write_text(json.dumps({"scenarios": results, "batching": batch}, indent=2))


if __name__ == "__main__":
    main()
