"""Assignment rules: first match wins; queues share cases by round robin or least open, by skill and language."""

from __future__ import annotations

from collections.abc import Callable

from casehub.hub import Hub
from casehub.model import CaseDraft, Contact

HubFactory = Callable[..., Hub]

RULES = """
agents:
  ada:   {skills: [billing], languages: [en, de]}
  grace: {skills: [billing, hardware], languages: [en]}
  linus: {skills: [billing], languages: [fi], available: false}
  ken:   {languages: [de]}
queues:
  billing: {distribution: round_robin, agents: [ada, grace, linus], skills: [billing]}
  support: {distribution: least_open, agents: [ada, grace, ken], match_language: true}
  hardware: {distribution: round_robin, agents: [ada, grace], skills: [hardware]}
assignment:
  - name: invoices to billing
    any:
      - {field: subject, matches: "invoice|refund"}
      - {field: tags, contains: billing}
    queue: billing
  - name: broken things
    all: [{field: type, eq: problem}]
    queue: hardware
  - name: the boss
    all: [{field: contact.email, eq: ceo@example.com}]
    agent: ken
  - name: everything else
    queue: support
"""


def test_first_match_wins_and_round_robin_skips_the_absent(rules_hub: HubFactory) -> None:
    hub = rules_hub(RULES)
    owners = [hub.service.create(CaseDraft(subject=f"Invoice {n}"), actor="web").owner for n in range(5)]
    assert owners == ["ada", "grace", "ada", "grace", "ada"]  # linus is away
    case = hub.service.create(CaseDraft(subject="Refund please", type="problem"), actor="web")
    assert case.queue == "billing", "the first matching rule decides, not the best"
    [fired] = [e.data for e in hub.service.events(case.id) if e.type == "rule.fired"]
    assert fired["rule"] == "invoices to billing" and fired["kind"] == "assignment"
    assert fired["actions"] == ["queue → billing, owner → grace"]


def test_skills_limit_who_gets_a_queue(rules_hub: HubFactory) -> None:
    hub = rules_hub(RULES)
    owners = {hub.service.create(CaseDraft(subject="Lamp broken", type="problem"), actor="web").owner for _ in range(3)}
    assert owners == {"grace"}, "the hardware queue asks for the hardware skill: only grace has it"


def test_least_open_and_language(rules_hub: HubFactory) -> None:
    hub = rules_hub(RULES)
    german = [hub.service.create(CaseDraft(subject="Frage", contact=Contact(language="de-AT")), actor="web") for _ in range(4)]
    assert [c.owner for c in german] == ["ada", "ken", "ada", "ken"]  # grace speaks no German
    english = hub.service.create(CaseDraft(subject="Question", contact=Contact(language="en")), actor="web")
    assert english.owner == "grace", "grace has no open cases yet"
    hub.service.set_status(german[0].id, "resolved", actor="ada")
    hub.service.set_status(german[2].id, "resolved", actor="ada")
    assert hub.service.create(CaseDraft(subject="Noch eine", contact=Contact(language="de")), actor="web").owner == "ada"


def test_an_agent_target_and_a_case_that_already_has_an_owner(rules_hub: HubFactory) -> None:
    hub = rules_hub(RULES)
    boss = hub.service.create(CaseDraft(subject="Hello", contact=Contact(email="ceo@example.com")), actor="web")
    assert (boss.queue, boss.owner) == (None, "ken")
    mine = hub.service.create(CaseDraft(subject="Invoice", owner="grace"), actor="agent")
    assert (mine.queue, mine.owner) == (None, "grace"), "assignment rules leave owned cases alone"


def test_nobody_available_leaves_the_case_in_the_queue(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        agents: {linus: {available: false}}
        queues: {night: {agents: [linus]}}
        assignment: [{name: all, queue: night}]
    """)
    case = hub.service.create(CaseDraft(subject="x"), actor="web")
    assert (case.queue, case.owner) == ("night", None)
    [fired] = [e.data for e in hub.service.events(case.id) if e.type == "rule.fired"]
    assert fired["actions"] == ["queue → night (no available agent: left in the queue)"]
