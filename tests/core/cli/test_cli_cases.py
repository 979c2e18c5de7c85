"""``casehub cases``: the case commands against a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Run


@pytest.fixture
def desk(run: Run, workdir: Path, any_database_url: str) -> Run:
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{any_database_url}"\n')
    return run


def test_create_list_and_show(desk: Run) -> None:
    created = desk("cases", "create", "--subject", "Printer on fire", "--description", "Smoke everywhere",
                   "--email", "ada@example.com", "--name", "Ada", "--priority", "urgent", "--type", "incident",
                   "--queue", "tier2", "--tag", "VIP", "--tag", "hardware", "--json").json()
    assert created["number"] == "C-000001" and created["version"] == 1 and created["status"] == "new"
    assert (created["priority"], created["type"], created["channel"], created["queue"]) == (
        "urgent", "incident", "cli", "tier2")
    assert created["contact"]["email"] == "ada@example.com" and created["contact"]["name"] == "Ada"
    assert created["tags"] == ["vip", "hardware"]
    second = desk("cases", "create", "--subject", "Invoice question", "--channel", "email", "--json").json()

    urgent = desk("cases", "list", "--priority", "urgent", "--json").json()
    assert [c["number"] for c in urgent["items"]] == ["C-000001"] and urgent["next_cursor"] is None
    by_text = desk("cases", "list", "-q", "invoice", "--json").json()
    assert [c["id"] for c in by_text["items"]] == [second["id"]]
    by_channel = desk("cases", "list", "--channel", "email", "--channel", "web", "--json").json()
    assert [c["number"] for c in by_channel["items"]] == ["C-000002"]
    assert [c["number"] for c in desk("cases", "list", "--queue", "tier2", "--json").json()["items"]] == ["C-000001"]
    by_email = desk("cases", "list", "--email", "ada@example.com", "--json").json()
    assert [c["number"] for c in by_email["items"]] == ["C-000001"]

    page = desk("cases", "list", "--limit", "1", "--json").json()
    assert [c["number"] for c in page["items"]] == ["C-000002"] and page["next_cursor"]
    rest = desk("cases", "list", "--limit", "1", "--cursor", page["next_cursor"], "--json").json()
    assert [c["number"] for c in rest["items"]] == ["C-000001"]

    shown = desk("cases", "show", "C-000001", "--json").json()
    assert shown["case"] == created
    assert [e["type"] for e in shown["events"]][0] == "case.created"
    assert {e["actor"] for e in shown["events"]} == {f"cli:{getpass.getuser()}"}

    table = desk("cases", "list")
    row = next(line for line in table.result.output.splitlines() if "C-000002" in line)
    assert table.code == 0 and ["C-000002", "new", "normal", "Invoice"] == row.replace("│", " ").split()[:4]
    assert "more: casehub cases list --cursor" in desk("cases", "list", "--limit", "1").text
    panel = desk("cases", "show", "1")
    assert "C-000001 Printer on fire" in panel.text and "timeline" in panel.text and "case.created" in panel.text


def test_update_comment_assign_and_status_land_in_the_timeline(desk: Run) -> None:
    desk("cases", "create", "--subject", "Order 4711 damaged", "--json")

    updated = desk("cases", "update", "C-000001", "--version", "1", "--priority", "high", "--tag", "damage",
                   "--json").json()
    assert (updated["priority"], updated["tags"], updated["version"]) == ("high", ["damage"], 2)
    stale = desk("cases", "update", "C-000001", "--version", "1", "--priority", "low")
    assert stale.code == 1 and "it is now at version 2" in stale.text

    reply = desk("cases", "comment", "C-000001", "We are sending a new one", "--public", "--json").json()
    assert (reply["body"], reply["public"], reply["case_version"]) == ("We are sending a new one", True, 3)
    note = desk("cases", "comment", "1", "Courier notified", "--json").json()
    assert note["public"] is False
    assigned = desk("cases", "assign", "1", "--queue", "shipping", "--owner", "bob", "--json").json()
    assert (assigned["queue"], assigned["owner"]) == ("shipping", "bob")
    assert desk("cases", "status", "1", "resolved", "--json").json()["status"] == "resolved"

    illegal = desk("cases", "status", "1", "pending")
    assert illegal.code == 1 and "allowed from 'resolved': closed, open" in illegal.text
    unknown = desk("cases", "status", "1", "done")
    assert unknown.code == 2 and "'done' is not one of 'new', 'open', 'pending', 'on_hold', 'resolved', 'closed'" in (
        unknown.text)

    timeline = desk("cases", "show", "C-000001", "--json").json()
    types = [e["type"] for e in timeline["events"]]
    assert types[0] == "case.created" and types[-1] == "case.status_changed"
    assert [e["data"]["body"] for e in timeline["events"] if e["type"] == "comment.added"] == [
        "We are sending a new one", "Courier notified"]
    assert timeline["case"]["version"] == 6


def test_bad_input_is_a_message_naming_the_field(run: Run) -> None:
    bad_email = run("cases", "create", "--subject", "x", "--email", "not-an-email")
    assert bad_email.code == 1 and "✗ contact.email: Value error, not a valid email address" in bad_email.text
    blank = run("cases", "create", "--subject", "")
    assert blank.code == 1 and "✗ subject:" in blank.text
    missing = run("cases", "show", "C-000099")
    assert missing.code == 1 and "no case 'C-000099'" in missing.text
    nothing = run("cases", "update", "C-000099", "--version", "1")
    assert nothing.code == 2 and "nothing to change" in nothing.text
    cursor = run("cases", "list", "--cursor", "garbage")
    assert cursor.code == 2 and "invalid cursor" in cursor.text
    assert "Traceback" not in bad_email.text + blank.text + missing.text + cursor.text


def test_what_people_typed_prints_as_typed(run: Run) -> None:
    """Subjects are not terminal markup: brackets print as written and never crash a table."""
    run("cases", "create", "--subject", "[/urgent] printer [bold]on fire", "--description", "[red]smoke")
    run("cases", "comment", "1", "[/note] called them")

    listed, shown = run("cases", "list"), run("cases", "show", "1")

    assert listed.code == 0 and "[/urgent]" in listed.text and "[bold]on" in listed.text  # wrapped in its cell
    assert shown.code == 0 and "[/urgent] printer [bold]on fire" in shown.text and "[red]smoke" in shown.text
    assert "note: [/note] called them" in shown.text


def test_a_broken_config_stops_case_commands_with_file_and_line(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text("[casehub]\nauto_migrate = 1\n[server]\nport = 0\n")

    result = run("cases", "list")

    assert result.code == 1
    assert "casehub.toml:4: [server] port: Input should be greater than or equal to 1" in result.text
    assert not (workdir / "casehub.db").exists()
