"""Automations: time-based rules the scheduler checks, each firing once per case per condition episode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from casehub.hub import Hub
from casehub.testing import Clock
from casehub.model import CaseDraft

HubFactory = Callable[..., Hub]
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

RULES = """
automations:
  - name: close abandoned
    all:
      - {field: status, eq: pending}
      - {field: hours_since_updated, gt: 72}
    actions:
      - close: {comment: "We closed {{ case.number }} as we have not heard from you. Just reply to reopen it."}
  - name: nudge the team
    all:
      - {field: status, eq: open}
      - {field: created_at, older_than: 1d}
    actions:
      - add_note: "Open for more than a day."
"""


def fired(hub: Hub, ref: str) -> list[str]:
    return [e.data["rule"] for e in hub.service.events(ref) if e.type == "rule.fired"]


def test_pending_for_three_days_is_closed_with_a_comment(rules_hub: HubFactory) -> None:
    clock = Clock(START)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x"), actor="web")
    hub.service.set_status(case.id, "pending", actor="agent")
    clock.advance(hours=71)
    assert hub.service.run_automations() == 0
    clock.advance(hours=2)
    assert hub.service.run_automations() == 1
    case = hub.service.get(case.id)
    assert case.status == "closed"
    [reply] = [e.data for e in hub.service.events(case.id) if e.type == "comment.added"]
    assert reply["public"] and reply["body"].startswith(f"We closed {case.number}")
    events = hub.service.events(case.id)
    rule = next(e for e in events if e.type == "rule.fired")
    assert rule.data["kind"] == "automation" and rule.data["event"] == "automation.tick"
    assert "automation.tick" not in [e.type for e in events], "the scheduler's look is not an event"


def test_an_automation_fires_once_per_episode(rules_hub: HubFactory) -> None:
    clock = Clock(START)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x"), actor="web")
    hub.service.set_status(case.id, "open", actor="agent")
    clock.advance(hours=25)
    assert hub.service.run_automations() == 1
    assert hub.service.run_automations() == 0, "still the same episode"
    clock.advance(hours=5)
    assert hub.service.run_automations() == 0
    hub.service.set_status(case.id, "on_hold", actor="agent")
    assert hub.service.run_automations() == 0  # the conditions no longer hold: the episode ends
    hub.service.set_status(case.id, "open", actor="agent")
    assert hub.service.run_automations() == 1, "a new episode"
    assert fired(hub, case.id) == ["nudge the team", "nudge the team"]


def test_closed_cases_are_not_looked_at(rules_hub: HubFactory) -> None:
    clock = Clock(START)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x"), actor="web")
    hub.service.set_status(case.id, "closed", actor="agent")
    clock.advance(days=30)
    assert hub.service.run_automations() == 0
