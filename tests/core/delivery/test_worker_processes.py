"""Worker processes for real: several `casehub worker` processes on one database, one of them SIGKILLed.

The courier plugin reaches the worker processes the way any third-party plugin
does: through an entry point in the ``casehub`` group, from a distribution on
the subprocesses' ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from courier import Courier
from sqlalchemy import select

from casehub.fakes.sink import Reply, Sink
from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.store.tables import events, outbox

HERE = Path(__file__).parent
SCRIPT = shutil.which("casehub", path=str(Path(sys.executable).parent)) or shutil.which("casehub")


@pytest.fixture
def plugin_path(tmp_path: Path) -> str:
    """A distribution that declares the courier plugin, as `pip install` would leave it."""
    dist = tmp_path / "site" / "casehub_courier-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: casehub-courier\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[casehub]\ncourier = courier:plugin\n")
    return os.pathsep.join([str(tmp_path / "site"), str(HERE)])


@pytest.fixture
def workers(tmp_path: Path, plugin_path: str, sink: Sink, any_database_url: str) -> Iterator[Callable[..., subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    config = tmp_path / "casehub.toml"
    config.write_text(
        f"""
[casehub]
database_url = "{any_database_url}"
load_plugins = ["courier"]

[courier]
url = "{sink.url}"
destinations = ["crm", "chat"]

[outbox]
lease_seconds = 2
poll_interval = 0.2
backoff_base = 0.05
backoff_cap = 0.2
concurrency = 4
"""
    )

    def start() -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": plugin_path, "CASEHUB_CONFIG": str(config)}
        log = open(tmp_path / f"worker{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([SCRIPT, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def intake(make_hub: Callable[..., Hub], sink: Sink, any_database_url: str) -> Hub:
    """The API side: takes cases in and plans their deliveries; delivers nothing itself."""
    config = {"courier": {"url": sink.url, "destinations": ["crm", "chat"]}}
    return make_hub(config, plugins={"courier": Courier()}, database_url=any_database_url)


def outbox_rows(hub: Hub) -> list[dict]:
    with hub.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(outbox).order_by(outbox.c.id))]


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_delivery_loses_nothing(intake: Hub, workers: Callable[..., subprocess.Popen], sink: Sink) -> None:
    sink.default("/crm", Reply(delay=0.3))
    sink.default("/chat", Reply(delay=0.3))
    for n in range(20):
        intake.service.create(CaseDraft(subject=f"case {n}"), actor="test")
    victim = workers()

    def victim_is_delivering() -> bool:
        return any(r["leased_by"] and f":{victim.pid}:" in r["leased_by"] for r in outbox_rows(intake))

    wait_until(victim_is_delivering, 20, "the first worker to hold deliveries")
    survivor = workers()
    sink.wait_for(3)  # the victim's calls are under way
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    orphaned = [r["id"] for r in outbox_rows(intake) if r["leased_by"] and f":{victim.pid}:" in r["leased_by"]]
    assert orphaned, "the worker died holding deliveries"

    wait_until(lambda: all(r["status"] == "done" for r in outbox_rows(intake)), 60, "every delivery to be done")
    assert survivor.poll() is None
    rows = outbox_rows(intake)
    assert len(rows) == 40
    delivered = {r.body["idempotency_key"] for r in sink.received if r.status == 200}
    assert delivered == {r["idempotency_key"] for r in rows}, "every delivery reached the vendor"
    assert all(r["attempts"] >= 2 for r in rows if r["id"] in orphaned), "orphans were taken over after the lease"


def test_several_workers_keep_each_cases_order_while_one_destination_is_down(
    intake: Hub, workers: Callable[..., subprocess.Popen], sink: Sink, any_database_url: str
) -> None:
    if not any_database_url.startswith("postgresql"):
        pytest.skip("several worker processes are a PostgreSQL layout")
    sink.script("/chat", *[Reply(503)] * 40)  # chat is down for the first 40 calls
    for path in ("/crm", "/chat"):  # vendors that take their time: no one worker drains the queue before the others start
        sink.default(path, Reply(200, delay=0.05))
    cases = [intake.service.create(CaseDraft(subject=f"case {n}"), actor="test") for n in range(25)]
    for round_ in range(4):
        for case in cases:
            intake.service.assign(case.id, "test", queue=f"tier {round_}")
    for _ in range(3):
        workers()

    wait_until(lambda: all(r["status"] == "done" for r in outbox_rows(intake)), 90, "every delivery to be done")
    per_case: dict[tuple[str, str], list[int]] = defaultdict(list)
    for request in sink.received:
        if request.status == 200:
            per_case[(request.body["case"], request.path)].append(request.body["event"])
    assert len(per_case) == 50
    for (number, path), seen in per_case.items():
        assert seen == sorted(seen), f"{number} {path} delivered out of order: {seen}"
        assert len(seen) == 5, f"{number} {path}: each change delivered once, none twice: {seen}"
    with intake.engine.connect() as conn:
        workers_used = {
            e.data["worker"] for e in conn.execute(select(events).where(events.c.type == "delivery.succeeded"))
        }
    assert len(workers_used) >= 2, "the work was shared"


def test_sigterm_lets_the_delivery_in_flight_finish(
    intake: Hub, workers: Callable[..., subprocess.Popen], sink: Sink
) -> None:
    sink.default("/crm", Reply(delay=1.5))
    sink.default("/chat", Reply(delay=1.5))
    intake.service.create(CaseDraft(subject="slow vendor"), actor="test")
    worker = workers()
    sink.wait_for(1, timeout=20)  # a call is in flight
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    finished = [r for r in outbox_rows(intake) if r["status"] == "done"]
    assert finished, "the call in flight was recorded before the worker exited"
    assert all(r["status"] in ("done", "pending") and r["leased_by"] is None for r in outbox_rows(intake))
