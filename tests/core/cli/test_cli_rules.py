"""``casehub rules test``: a dry run a support lead can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Run

RULES = """
agents: {ada: {}}
queues: {billing: {agents: [ada]}}
assignment:
  - name: invoices to billing
    any:
      - {field: subject, matches: "invoice|refund"}
    queue: billing
triggers:
  - name: VIP accounts are urgent
    on: [case.created]
    all:
      - {field: account.tier, eq: gold}
      - {field: priority, in: [low, normal]}
    actions: [{set_priority: urgent}]
  - name: urgent goes to tier 2
    on: [case.updated]
    all: [{field: priority, changed_to: urgent}]
    actions: [{escalate: {}}]
"""


@pytest.fixture
def desk(run: Run, workdir: Path) -> Run:
    (workdir / "casehub.toml").write_text('[rules]\nfile = "rules.yaml"\n')
    (workdir / "rules.yaml").write_text(RULES)
    (workdir / "draft.json").write_text(json.dumps({"subject": "Invoice wrong", "account": {"name": "Acme", "tier": "silver"}}))
    return run


def test_each_rule_with_its_deciding_condition_and_actions(desk: Run, workdir: Path) -> None:
    out = desk("rules", "test", "draft.json")
    assert out.code == 0
    assert "✓ invoices to billing (assignment)" in out.text and "→ queue → billing" in out.text
    assert "✗ VIP accounts are urgent (trigger)" in out.text
    assert "✗ account.tier eq 'gold' ← decided" in out.text
    assert "– urgent goes to tier 2 (trigger) does not run for case.created" in out.text
    assert not (workdir / "casehub.db").exists() or "C-000001" not in desk("cases", "list").text  # wrote nothing


def test_an_update_event_with_changes(desk: Run) -> None:
    reports = desk("rules", "test", "draft.json", "--event", "case.updated",
                   "--changes", '{"priority": ["normal", "urgent"]}', "--json").json()
    by_rule = {r["rule"]: r for r in reports}
    assert by_rule["urgent goes to tier 2"]["matched"] and by_rule["urgent goes to tier 2"]["actions"] == ["escalated, priority → high"]
    assert not by_rule["invoices to billing"]["applies"]


def test_a_case_as_cases_show_prints_it(desk: Run, workdir: Path) -> None:
    desk("cases", "create", "--subject", "Refund please")
    shown = desk("cases", "show", "C-000001", "--json").json()
    (workdir / "case.json").write_text(json.dumps(shown))
    out = desk("rules", "test", "case.json")
    assert out.code == 0 and "invoices to billing" in out.text


def test_bad_input_is_named(desk: Run, workdir: Path) -> None:
    (workdir / "bad.json").write_text("{not json")
    assert "not valid JSON" in desk("rules", "test", "bad.json").text
    (workdir / "list.json").write_text("[]")
    assert "expected a JSON object" in desk("rules", "test", "list.json").text
    (workdir / "empty.json").write_text("{}")
    assert "subject: Field required" in desk("rules", "test", "empty.json").text
    assert "missing.json not found" in desk("rules", "test", "missing.json").text


def test_the_timeline_says_which_rule_did_what(desk: Run) -> None:
    desk("cases", "create", "--subject", "Invoice is wrong")
    shown = desk("cases", "show", "C-000001").text
    assert "rule.fired" in shown and "invoices to billing (assignment on case.created): queue → billing, owner → ada" in shown
