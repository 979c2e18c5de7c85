"""``casehub outbox``: an operator looking at and acting on the delivery queue."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from casehub import hookimpl
from casehub.cli import build_cli
from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.outbox import Delivery
from casehub.store.tables import outbox

if TYPE_CHECKING:
    from conftest import Run


class Crm:
    @hookimpl
    def plan_deliveries(self, event, case):  # type: ignore[no-untyped-def]
        return [Delivery("crm", "upsert")] if event.type == "case.created" else []


@pytest.fixture
def desk(run: Run, workdir: Path, any_database_url: str, make_hub: Callable[..., Hub]) -> Run:
    """Three deliveries to crm: #1 dead, #2 failed (retry scheduled), #3 pending."""
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{any_database_url}"\n')
    hub = make_hub(database_url=any_database_url, plugins={"crm": Crm()})
    for n in range(3):
        hub.service.create(CaseDraft(subject=f"case {n}"), actor="test")
    with hub.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == 1).values(status="dead", attempts=20, last_error="HTTP 400: INVALID_FIELD Subject"))
        conn.execute(update(outbox).where(outbox.c.id == 2).values(status="failed", attempts=2, last_error="HTTP 503: down"))
    return run


def test_stats_show_depth_failures_and_age(desk: Run) -> None:
    table = desk("outbox", "stats")
    assert table.code == 0 and "crm 1 0 1 1" in table.text
    [crm] = desk("outbox", "stats", "--json").json()
    assert (crm["destination"], crm["pending"], crm["failed"], crm["dead"], crm["in_flight"]) == ("crm", 1, 1, 1, 0)
    assert 0 <= crm["oldest_age_seconds"] < 60


def test_stats_of_an_empty_outbox(run: Run, workdir: Path, any_database_url: str) -> None:
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{any_database_url}"\n')
    assert "The outbox is empty" in run("outbox", "stats").text


def test_list_shows_what_failed_and_why(desk: Run) -> None:
    listed = desk("outbox", "list", "--json").json()
    assert [(r["id"], r["status"]) for r in listed] == [(2, "failed"), (1, "dead")]
    assert listed[1]["last_error"] == "HTTP 400: INVALID_FIELD Subject"
    assert "HTTP 400: INVALID_" in desk("outbox", "list").text  # folded, never cut, in a narrow terminal
    assert [r["id"] for r in desk("outbox", "list", "--status", "pending", "--json").json()] == [3]
    assert [r["id"] for r in desk("outbox", "list", "--status", "pending", "--destination", "chat", "--json").json()] == []
    assert [r["id"] for r in desk("outbox", "list", "--case", "C-000001", "--status", "dead", "--json").json()] == [1]
    bad = desk("outbox", "list", "--status", "lost")
    assert bad.code == 2 and "'lost' is not a status; expected one of pending" in bad.text


def test_retry_revives_a_dead_letter_and_says_so_on_the_timeline(desk: Run) -> None:
    retried = desk("outbox", "retry", "1")
    assert retried.code == 0 and "1 deliveries queued again: 1" in retried.text
    [row] = desk("outbox", "list", "--status", "pending", "--case", "C-000001", "--json").json()
    assert row["attempts"] == 0
    timeline = desk("cases", "show", "C-000001", "--json").json()["events"]
    assert timeline[-1]["type"] == "delivery.retried" and timeline[-1]["actor"] == f"cli:{getpass.getuser()}"
    assert "delivery.retried" in desk("cases", "show", "C-000001").text
    assert "#1 upsert → crm" in desk("cases", "show", "C-000001").text


def test_retry_names_what_it_could_not_retry(desk: Run) -> None:
    out = desk("outbox", "retry", "1", "3", "99")
    assert out.code == 1 and "not retried (unknown, already delivered, or in flight): 3, 99" in out.text
    assert desk("outbox", "retry").code == 2
    assert "give ids or --all-dead, not both" in desk("outbox", "retry", "1", "--all-dead").text


def test_retry_all_dead_letters_of_a_destination(desk: Run) -> None:
    assert "0 deliveries queued again" in desk("outbox", "retry", "--all-dead", "--destination", "chat").text
    assert "1 deliveries queued again" in desk("outbox", "retry", "--all-dead", "--destination", "crm").text
    assert desk("outbox", "list", "--status", "dead", "--json").json() == []


def test_drop_asks_first(desk: Run, workdir: Path) -> None:
    declined = CliRunner().invoke(build_cli(), ["outbox", "drop", "1"], input="n\n")
    assert declined.exit_code == 1 and "Nothing dropped" in declined.output
    accepted = CliRunner().invoke(build_cli(), ["outbox", "drop", "1", "2"], input="y\n")
    assert accepted.exit_code == 0 and "2 deliveries dropped" in accepted.output
    assert {r["id"] for r in desk("outbox", "list", "--status", "dropped", "--json").json()} == {1, 2}
    timeline = desk("cases", "show", "C-000002", "--json").json()["events"]
    assert timeline[-1]["type"] == "delivery.dropped"


def test_drop_refuses_what_is_delivered_or_unknown(desk: Run) -> None:
    out = desk("outbox", "drop", "3", "42", "--yes")
    assert out.code == 1 and "1 deliveries dropped" in out.text and "not dropped (unknown, delivered, or in flight): 42" in out.text
