"""The `casehub` command as a user types it: init, check, cases, plugins, db."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casehub.cli import build_cli

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASEHUB_CONFIG", raising=False)
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(build_cli(), list(args), env=env, catch_exceptions=False)


def as_json(result) -> object:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_writes_a_config_that_checks_clean_and_refuses_to_overwrite(workdir: Path) -> None:
    first = run("init")
    assert first.exit_code == 0
    text = (workdir / "casehub.toml").read_text()
    token = text.split('tokens = ["')[1].split('"')[0]
    assert len(token) >= 40
    assert "CASEHUB_API__TOKENS" in text and (workdir / "rules.yaml").exists()

    again = run("init")
    assert again.exit_code == 1 and "casehub.toml exists" in again.output
    assert (workdir / "casehub.toml").read_text() == text

    check = run("check")
    assert check.exit_code == 0, check.output
    assert "All good." in check.output and token not in check.output
    assert not (workdir / "casehub.db").exists()  # check writes nothing


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[server]\nhost = "x"\nprot = 8000\n', "casehub.toml:3: [server] prot: unknown key"),
        ('[server]\nport = "eighty"\n', "casehub.toml:2: [server] port: Input should be a valid integer"),
        ("[salesfroce]\nx = 1\n", "casehub.toml:1: [salesfroce]: unknown section; did you mean [salesforce]?"),
        ("[server\nport = 1\n", "casehub.toml:1: (syntax): not valid TOML"),
        ('[jira]\nurl = "https://j.example"\nproject = "FB"\napi_token = "s3cr3t-t0ken-value"\n',
         "casehub.toml:1: [jira]: Value error, no way to log in"),
    ],
)
def test_check_names_file_line_and_key(workdir: Path, toml: str, expected: str) -> None:
    (workdir / "casehub.toml").write_text(toml)

    result = run("check")

    assert result.exit_code == 1
    assert expected in " ".join(result.output.split()), result.output
    assert "s3cr3t" not in result.output


def test_check_names_the_environment_variable_and_a_broken_rules_file(workdir: Path) -> None:
    (workdir / "casehub.toml").write_text('[rules]\nfile = "rules.yaml"\n')
    (workdir / "rules.yaml").write_text("triggers:\n  - name: x\n   bad: indent\n")

    result = run("check", env={"CASEHUB_SERVER__PORT": "notanumber"})
    assert result.exit_code == 1
    assert "environment variable CASEHUB_SERVER__PORT: [server] port" in result.output

    fixed = run("check")
    assert fixed.exit_code == 1
    assert "rules.yaml:3: not valid YAML" in fixed.output


def test_cases_commands_round_trip(workdir: Path, any_database_url: str) -> None:
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{any_database_url}"\n')

    created = as_json(run("cases", "create", "--subject", "Printer on fire", "--email", "ada@example.com",
                          "--priority", "urgent", "--tag", "VIP", "--json"))
    assert (created["number"], created["priority"], created["channel"], created["tags"]) == (
        "C-000001", "urgent", "cli", ["vip"])
    as_json(run("cases", "create", "--subject", "Second", "--json"))

    listed = as_json(run("cases", "list", "--priority", "urgent", "--json"))
    assert [c["number"] for c in listed["items"]] == ["C-000001"]
    paged = as_json(run("cases", "list", "--limit", "1", "--json"))
    assert [c["number"] for c in paged["items"]] == ["C-000002"] and paged["next_cursor"]

    updated = as_json(run("cases", "update", "C-000001", "--version", "1", "--queue", "billing", "--json"))
    assert (updated["queue"], updated["version"]) == ("billing", 2)
    stale = run("cases", "update", "C-000001", "--version", "1", "--priority", "low")
    assert stale.exit_code == 1 and "it is now at version 2" in " ".join(stale.output.split())

    comment = as_json(run("cases", "comment", "C-000001", "On it", "--public", "--json"))
    assert (comment["body"], comment["public"], comment["case_version"]) == ("On it", True, 3)
    assert as_json(run("cases", "assign", "1", "--owner", "bob", "--json"))["owner"] == "bob"
    assert as_json(run("cases", "status", "1", "resolved", "--json"))["status"] == "resolved"
    refused = run("cases", "status", "1", "pending")
    assert refused.exit_code == 1 and "allowed from 'resolved': closed, open" in " ".join(refused.output.split())

    shown = as_json(run("cases", "show", "C-000001", "--json"))
    assert [e["type"] for e in shown["events"]] == [
        "case.created", "case.updated", "case.assigned", "comment.added",
        "case.updated", "case.assigned", "case.updated", "case.status_changed"]
    assert {e["actor"] for e in shown["events"]} == {shown["events"][0]["actor"]}
    assert shown["events"][0]["actor"].startswith("cli")


def test_bad_input_and_unknown_cases_are_messages_not_tracebacks(workdir: Path) -> None:
    bad_email = run("cases", "create", "--subject", "x", "--email", "not-an-email")
    assert bad_email.exit_code == 1 and "contact.email: Value error, not a valid email address" in bad_email.output
    missing = run("cases", "show", "C-000099")
    assert missing.exit_code == 1 and "no case 'C-000099'" in missing.output
    assert "Traceback" not in bad_email.output + missing.output


def test_tables_for_people(workdir: Path) -> None:
    run("cases", "create", "--subject", "Printer on fire")
    listed = run("cases", "list")
    assert listed.exit_code == 0 and "C-000001" in listed.output and "Printer" in listed.output
    shown = run("cases", "show", "C-000001")
    assert "timeline" in shown.output and "case.created" in shown.output


def test_plugins_lists_the_builtins_and_honours_disable(workdir: Path) -> None:
    plugins = {p["name"]: p for p in as_json(run("plugins", "--json"))}
    assert {"salesforce", "jira", "slack", "webforms"} <= set(plugins)
    assert all(plugins[n]["status"] == "enabled" and plugins[n]["builtin"] for n in ("salesforce", "jira", "slack", "webforms"))
    assert plugins["slack"]["hooks"] == ["settings_model"]
    assert plugins["slack"]["version"]

    disabled = {p["name"]: p for p in as_json(run("plugins", "--json", env={"CASEHUB_DISABLE_PLUGINS": "slack"}))}
    assert disabled["slack"]["status"] == "disabled"
    assert disabled["jira"]["status"] == "enabled"
    (workdir / "casehub.toml").write_text('[casehub]\ndisable_plugins = ["jira"]\n')
    assert {p["name"]: p["status"] for p in as_json(run("plugins", "--json"))}["jira"] == "disabled"


def test_db_upgrade_and_current(workdir: Path) -> None:
    assert "needs 0001" in run("db", "current").output
    assert "upgraded from empty to 0001" in run("db", "upgrade").output
    assert "is up to date" in run("db", "upgrade").output
    assert "up to date" in run("db", "current").output


def test_the_installed_command_end_to_end(tmp_path: Path) -> None:
    casehub = [sys.executable, "-c", "from casehub.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEHUB_")}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*casehub, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    assert call("init").returncode == 0
    assert call("check").returncode == 0
    created = call("cases", "create", "--subject", "From a shell", "--json")
    assert created.returncode == 0, created.stderr
    listed = json.loads(call("cases", "list", "--json").stdout)
    assert [c["subject"] for c in listed["items"]] == ["From a shell"]
    assert call("--version").stdout.startswith("casehub ")
