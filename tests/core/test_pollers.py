"""Pollers: watermarks stored after a run, intervals, failures recorded, one run at a time across processes."""

from __future__ import annotations

import logging
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casehub import hookimpl
from casehub.errors import PluginError
from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.pollers import PollerRun, load_pollers, run_due, run_poller, states
from casehub.testing import Clock

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HubFactory = Callable[..., Hub]


class Feed:
    """A vendor feed: each poll returns the next watermark, or raises what the test queued."""

    def __init__(self, interval: float = 60, **options: float) -> None:
        self.interval = interval
        self.options = options
        self.seen: list[str | None] = []
        self.fail: list[Exception] = []
        self.during: Callable[[], None] | None = None  # runs inside the poll, to act while it holds the lease
        self._lock = threading.Lock()

    @hookimpl
    def register_pollers(self, register: Callable[..., None]) -> None:
        register("feed", self.interval, self.poll, **self.options)

    def poll(self, hub: Hub, watermark: str | None) -> str | None:
        with self._lock:
            self.seen.append(watermark)
        if self.during is not None:
            self.during()
        if self.fail:
            raise self.fail.pop(0)
        return f"w{len(self.seen)}"


def feed_hub(make_hub: HubFactory, url: str, feed: Feed, clock: Clock, **options: object) -> Hub:
    return make_hub(database_url=url, plugins={"vendor": feed}, clock=clock, **options)


def test_the_watermark_is_handed_back_and_the_interval_kept(make_hub: HubFactory, any_database_url: str) -> None:
    clock, feed = Clock(START), Feed(interval=60)
    hub = feed_hub(make_hub, any_database_url, feed, clock)

    assert run_due(hub) == [PollerRun("feed", "vendor", "w1")]
    state = states(hub.engine)["feed"]
    assert (state.watermark, state.runs, state.last_run_at, state.last_success_at) == ("w1", 1, START, START)
    assert (state.last_error, state.lease_until, state.owner) == (None, None, None)

    assert run_due(hub) == []
    clock.advance(seconds=59)
    assert run_due(hub) == []
    clock.advance(seconds=1)
    assert [r.watermark for r in run_due(hub)] == ["w2"]
    assert feed.seen == [None, "w1"]
    assert states(hub.engine)["feed"].runs == 2


def test_a_failing_poll_keeps_the_watermark_records_the_error_and_waits_its_interval(
    make_hub: HubFactory, any_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock, feed = Clock(START), Feed(interval=60)
    hub = feed_hub(make_hub, any_database_url, feed, clock)
    run_due(hub)

    clock.advance(seconds=60)
    feed.fail.append(ConnectionError("vendor answered 503 " + "x" * 2000))
    with caplog.at_level(logging.ERROR, logger="casehub.pollers"):
        [failed] = run_due(hub)
    assert not failed.ok and failed.watermark == "w1"
    state = states(hub.engine)["feed"]
    assert state.last_error is not None and state.last_error.startswith("ConnectionError: vendor answered 503 xxx")
    assert len(state.last_error) == 1000
    assert (state.watermark, state.last_success_at, state.last_run_at) == ("w1", START, clock())
    assert state.lease_until is None
    [record] = [r for r in caplog.records if r.name == "casehub.pollers"]
    assert "poller feed of plugin vendor failed: ConnectionError: vendor answered 503" in record.getMessage()
    assert record.exc_info is None  # the exception's text only

    assert run_due(hub) == [], "a failing vendor is not asked again before the interval"
    clock.advance(seconds=60)
    assert [r.watermark for r in run_due(hub)] == ["w3"]
    assert feed.seen == [None, "w1", "w1"]
    state = states(hub.engine)["feed"]
    assert (state.last_error, state.last_success_at, state.runs) == (None, clock(), 3)


def test_none_keeps_the_watermark_and_anything_but_a_str_is_an_error(make_hub: HubFactory, database_url: str) -> None:
    returned: list[object] = ["since-1", None, 42]

    class Vendor:
        @hookimpl
        def register_pollers(self, register: Callable[..., None]) -> None:
            register("changes", 1, lambda hub, watermark: returned.pop(0))

    hub = make_hub(database_url=database_url, plugins={"vendor": Vendor()})
    poller = hub.pollers["changes"]
    assert run_poller(hub, poller, force=True) == PollerRun("changes", "vendor", "since-1")
    assert run_poller(hub, poller, force=True) == PollerRun("changes", "vendor", "since-1")
    bad = run_poller(hub, poller, force=True)
    assert bad is not None and bad.error == (
        "TypeError: poll must return a str watermark (or None to keep the old one), not int"
    )
    assert states(hub.engine)["changes"].watermark == "since-1"


def test_a_bad_registration_stops_start_up_naming_the_plugin(make_hub: HubFactory) -> None:
    def poll(hub: Hub, watermark: str | None) -> str:
        return "x"

    class Zero:
        @hookimpl
        def register_pollers(self, register: Callable[..., None]) -> None:
            register("zero", 0, poll)

    class NotCallable:
        @hookimpl
        def register_pollers(self, register: Callable[..., None]) -> None:
            register("later", 60, "poll")

    class Raises:
        @hookimpl
        def register_pollers(self, register: Callable[..., None]) -> None:
            raise RuntimeError("no credentials for the feed")

    with pytest.raises(PluginError, match="plugin 'zeroes'.*'zero': interval_seconds must be a positive number"):
        make_hub(plugins={"zeroes": Zero()})
    with pytest.raises(PluginError, match="plugin 'lazy'.*poll must be callable"):
        make_hub(plugins={"lazy": NotCallable()})
    with pytest.raises(PluginError, match="plugin 'broken': hook register_pollers failed: RuntimeError: no cred"):
        make_hub(plugins={"broken": Raises()})
    with pytest.raises(PluginError, match="poller 'feed' is already registered by plugin 'one'"):
        make_hub(plugins={"one": Feed(), "two": Feed()})


def test_a_live_lease_keeps_a_second_hub_out_and_an_expired_one_lets_it_in(
    make_hub: HubFactory, any_database_url: str
) -> None:
    clock, feed = Clock(START), Feed(interval=60, lease_seconds=300)
    first = feed_hub(make_hub, any_database_url, feed, clock)
    second = feed_hub(make_hub, any_database_url, feed, clock)
    inside: list[object] = []

    def meanwhile() -> None:  # the first hub's run holds the lease while this runs
        feed.during = None
        inside.append(run_due(second))
        inside.append(run_poller(second, second.pollers["feed"], force=True))

    feed.during = meanwhile
    assert [r.watermark for r in run_due(first)] == ["w1"]
    assert inside == [[], None]
    assert feed.seen == [None]

    # A run that outlives its lease is taken over, and its late watermark is not stored over the newer one.
    clock.advance(seconds=60)

    def hang_past_the_lease() -> None:
        feed.during = None
        clock.advance(seconds=301)
        inside.append(run_due(second))

    feed.during = hang_past_the_lease
    [late] = run_due(first)
    assert inside[-1] == [PollerRun("feed", "vendor", "w3")]
    assert late.error is not None and late.error.startswith("lease lost: ran longer than its lease (300 s)")
    assert states(first.engine)["feed"].watermark == "w3"
    assert feed.seen == [None, "w1", "w1"]


def test_hubs_racing_on_one_database_run_a_poller_once(make_hub: HubFactory, any_database_url: str) -> None:
    clock, feed = Clock(START), Feed(interval=60)
    hubs = [feed_hub(make_hub, any_database_url, feed, clock) for _ in range(3)]
    ready = threading.Barrier(6)
    runs: list[PollerRun] = []
    errors: list[Exception] = []

    def race(hub: Hub) -> None:
        try:
            ready.wait(timeout=30)
            runs.extend(run_due(hub))
        except Exception as exc:  # a thread's exception would otherwise only be printed
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(hub,)) for hub in hubs * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert runs == [PollerRun("feed", "vendor", "w1")] and feed.seen == [None]
    assert states(hubs[0].engine)["feed"].runs == 1


RULES = """
sla_policies:
  - name: urgent
    targets: {first_response: 1h}
"""


def rules_config(tmp_path: Path, tick: float) -> dict[str, object]:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(RULES))
    return {"rules": {"file": str(path), "tick_seconds": tick}}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"the scheduler did not {what}"
        time.sleep(0.02)


def test_a_failing_or_hanging_poller_does_not_hold_back_sla_timers(make_hub: HubFactory, tmp_path: Path) -> None:
    clock = Clock(START)
    hanging, released = threading.Event(), threading.Event()

    class Vendors:
        @hookimpl
        def register_pollers(self, register: Callable[..., None]) -> None:
            register("fails", 60, self.fail)  # pollers run in name order: this one first
            register("hangs", 60, self.hang)

        def fail(self, hub: Hub, watermark: str | None) -> str:
            raise TimeoutError("vendor did not answer")

        def hang(self, hub: Hub, watermark: str | None) -> str:
            hanging.set()
            released.wait(30)
            return "done"

    hub = make_hub(rules_config(tmp_path, 0.1), plugins={"vendors": Vendors()}, clock=clock, start=False)
    case = hub.service.create(CaseDraft(subject="printer on fire"), actor="web")
    hub.start(timers=True)
    try:
        wait_for(hanging.is_set, "start the hanging poll")
        assert states(hub.engine)["fails"].last_error == "TimeoutError: vendor did not answer"
        clock.advance(hours=2)  # the breach comes due while a poll hangs
        wait_for(lambda: "sla.breached" in [e.type for e in hub.service.events(case.id)], "fire the breach")
    finally:
        released.set()
    wait_for(lambda: (s := states(hub.engine).get("hangs")) is not None and s.watermark == "done", "finish the poll")


def test_serve_runs_pollers_without_rules_and_no_scheduler_without_either(make_hub: HubFactory, tmp_path: Path) -> None:
    feed = Feed()
    hub = make_hub({"rules": {"tick_seconds": 0.1}}, plugins={"vendor": feed}, start=False)
    hub.start(timers=True)
    assert [t.name for t in hub._scheduler._threads] == ["casehub-pollers"]  # type: ignore[union-attr]
    wait_for(lambda: feed.seen == [None], "run the poller")
    wait_for(lambda: (s := states(hub.engine).get("feed")) is not None and s.watermark == "w1", "store the watermark")

    idle = make_hub(start=False)
    idle.start(timers=True)
    assert idle._scheduler is None
    assert load_pollers(idle.plugins) == {}
