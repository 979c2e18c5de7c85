"""``casehub pollers``: an operator seeing where each poller stands, and running one now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from casehub.hub import Hub
from casehub.store.tables import pollers

if TYPE_CHECKING:
    from conftest import Run

# A plugin installed through a real entry point, as a user's would be; FEED_FAILS makes its vendor fail.
FEED = """
import os

from casehub import hookimpl


def poll(hub, watermark):
    if os.environ.get("FEED_FAILS"):
        raise ConnectionError("tickets API answered 503")
    return (watermark or "page") + "+1"


@hookimpl
def register_pollers(register):
    register("tickets", 300, poll)
"""


@pytest.fixture
def desk(run: Run, workdir: Path, any_database_url: str, install_plugins: Callable[[dict[str, str]], None]) -> Run:
    install_plugins({"feed": FEED})
    (workdir / "casehub.toml").write_text(
        f'[casehub]\ndatabase_url = "{any_database_url}"\nload_plugins = ["feed"]\n'
    )
    return run


def test_pollers_are_listed_before_and_after_they_run(desk: Run) -> None:
    before = desk("pollers")
    assert before.code == 0 and "tickets feed 300 s never ran" in before.text
    [row] = desk("pollers", "--json").json()
    assert (row["name"], row["plugin"], row["interval_seconds"], row["watermark"], row["runs"]) == (
        "tickets", "feed", 300, None, 0)

    first = desk("pollers", "run", "tickets")
    assert first.code == 0 and "poller tickets ran; watermark: 'page+1'" in first.text
    again = desk("pollers", "run", "tickets")  # now, whatever the interval
    assert again.code == 0 and "watermark: 'page+1+1'" in again.text

    [row] = desk("pollers", "--json").json()
    assert (row["watermark"], row["runs"], row["last_error"], row["lease_until"]) == ("page+1+1", 2, None, None)
    assert row["last_run_at"] is not None and row["last_success_at"] >= row["last_run_at"]
    assert "tickets feed 300 s ok page+1+1 0s ago 0s ago" in desk("pollers").text


def test_a_failed_run_says_why_keeps_the_watermark_and_shows_the_error(desk: Run) -> None:
    desk("pollers", "run", "tickets")
    failed = desk("pollers", "run", "tickets", env={"FEED_FAILS": "1"})
    assert failed.code == 1
    assert "poller tickets failed: ConnectionError: tickets API answered 503" in failed.text
    assert "the watermark was kept" in failed.text
    [row] = desk("pollers", "--json").json()
    assert (row["watermark"], row["last_error"]) == ("page+1", "ConnectionError: tickets API answered 503")
    listed = desk("pollers").text
    assert "tickets feed 300 s failing page+1" in listed
    assert "tickets: last error: ConnectionError: tickets API answered 503" in listed


def test_an_unknown_poller_is_refused_naming_the_known_ones(desk: Run) -> None:
    unknown = desk("pollers", "run", "tikets")
    assert unknown.code == 1 and "no poller named 'tikets'; known pollers: tickets" in unknown.text


def test_a_poller_another_process_runs_is_left_alone(
    desk: Run, any_database_url: str, make_hub: Callable[..., Hub]
) -> None:
    desk("pollers", "run", "tickets")
    hub = make_hub(database_url=any_database_url)
    with hub.engine.begin() as conn:
        until = hub.clock() + timedelta(minutes=5)
        conn.execute(update(pollers).where(pollers.c.name == "tickets").values(lease_until=until, owner="web-2:41"))

    busy = desk("pollers", "run", "tickets")
    assert busy.code == 1
    assert "poller tickets is being run by another process (web-2:41); its lease runs until" in busy.text
    assert desk("pollers", "--json").json()[0]["watermark"] == "page+1"
    assert "tickets feed 300 s running page+1" in desk("pollers").text


def test_no_pollers_is_said_plainly(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text('[casehub]\nload_plugins = []\n')
    listed = run("pollers")
    assert listed.code == 0 and "No pollers: no enabled plugin registers one" in listed.text
    assert run("pollers", "--json").json() == []


def test_check_lists_the_pollers_and_fails_on_a_broken_registration(
    run: Run, workdir: Path, install_plugins: Callable[[dict[str, str]], None]
) -> None:
    broken = "from casehub import hookimpl\n\n@hookimpl\ndef register_pollers(register):\n    register('bad', 0, len)\n"
    install_plugins({"feed": FEED, "badfeed": broken})
    (workdir / "casehub.toml").write_text('[casehub]\nload_plugins = ["feed"]\n')
    good = run("check")
    assert good.code == 0 and "✓ pollers: tickets every 300 s" in good.text

    bad = run("check", env={"CASEHUB_LOAD_PLUGINS": "feed,badfeed"})
    assert bad.code == 1
    failed = "✗ pollers plugin 'badfeed': hook register_pollers failed: ValueError: poller 'bad': interval_seconds"
    assert failed in bad.text
