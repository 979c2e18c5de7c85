"""Agents link and unlink cases to Jira issues by hand: through the API and the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import casehub.plugins.jira as jira_plugin
from casehub.cli import build_cli
from casehub.fakes.jira import JiraFake
from casehub.hub import Hub, build_hub
from casehub.model import CaseDraft
from casehub.plugins.jira import backsync
from casehub.plugins.jira.hooks import jira_for


@pytest.fixture
def site() -> Iterator[JiraFake]:
    with JiraFake() as fake:
        yield fake


def labels(site: JiraFake, key: str) -> list[str]:
    return site.get(key)["fields"]["labels"]


def test_the_api_links_and_unlinks_and_the_issue_counts_its_customers(
    make_hub: Callable[..., Hub], site: JiraFake, serve: Callable[..., Any]
) -> None:
    issue = site.create("Dark mode", labels=["casehub-feedback", "customers-1"])
    config = {"jira": {"url": site.url, "email": site.email, "api_token": site.api_token, "project": "FEED"}}
    hub = make_hub(config, plugins={"jira": jira_plugin})
    case = hub.service.create(CaseDraft(subject="Please add a dark theme"), actor="test")

    with serve(hub) as client:
        linked = client.put(f"/api/v1/cases/{case.number}/jira", json={"key": issue.lower(), "actor": "ada"})
        again = client.put(f"/api/v1/cases/{case.number}/jira", json={"key": issue})
        missing = client.put(f"/api/v1/cases/{case.number}/jira", json={"key": "FEED-999"})
        bad = client.put(f"/api/v1/cases/{case.number}/jira", json={"key": "FEED-1 OR 1=1"})
        anonymous = client.put(f"/api/v1/cases/{case.number}/jira", json={"key": issue}, headers={"Authorization": ""})
        assert "customers-2" in labels(site, issue)
        unlinked = client.delete(f"/api/v1/cases/{case.number}/jira")

    assert linked.status_code == 200 and linked.json() == {"case": case.number, "issue": issue, "customers": 2}
    assert again.status_code == 200 and again.json()["customers"] == 1  # already linked: nothing added twice
    assert missing.status_code == 404 and bad.status_code == 422 and anonymous.status_code == 401
    assert unlinked.json() == {"case": case.number, "unlinked": issue}
    assert "customers-1" in labels(site, issue)
    assert backsync.linked_cases(jira_for(hub), issue) == []
    assert hub.service.get(case.id).external_links == []


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: JiraFake) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CASEHUB_") and n != "CASEHUB_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CASEHUB_JIRA__API_TOKEN", site.api_token)
    (tmp_path / "casehub.toml").write_text(
        f'[casehub]\ndatabase_url = "sqlite:///{tmp_path / "casehub.db"}"\n'
        f'[jira]\nurl = "{site.url}"\nemail = "{site.email}"\nproject = "FEED"\n'
    )
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


def test_the_cli_links_shows_and_unlinks(desk: Path, site: JiraFake) -> None:
    issue = site.create("Export to Excel", labels=["casehub-feedback", "customers-3"])
    hub = build_hub(desk / "casehub.toml")
    case = hub.service.create(CaseDraft(subject="xlsx please", contact={"email": "ann@example.com"}), actor="test")
    hub.close()

    code, text = run("jira", "link", case.number, issue)
    assert code == 0 and f"{case.number} linked to {issue} (4 customers asking)" in text
    code, text = run("jira", "status", case.number)
    assert code == 0 and issue in text and "To Do" in text and "ann@example.com" in text
    code, text = run("jira", "link", case.number, "FEED-404")
    assert code == 1 and "Jira answered 404" in text
    code, text = run("jira", "unlink", case.number)
    assert code == 0 and f"{case.number} unlinked from {issue}" in text
    assert "customers-3" in labels(site, issue)
    code, text = run("jira", "status", case.number)
    assert code == 0 and "is not linked to a Jira issue" in text


def test_without_a_jira_section_the_commands_say_what_is_missing(desk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEHUB_JIRA__API_TOKEN")  # it alone would start a section
    (desk / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "sqlite:///{desk / "casehub.db"}"\n')

    code, text = run("jira", "status", "C-000001")

    assert code == 1 and "there is no [jira] section in the config" in text
