"""A rules file with mistakes fails at load, naming the file, the line and what was expected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel

from casehub.errors import ConfigError
from casehub.rules.actions import PluginAction
from casehub.rules.engine import RuleEngine
from casehub.rules.source import read_rules


class Notify(BaseModel):
    channel: str


PLUGINS = {"notify_chat": PluginAction("chat", "notify_chat", Notify)}


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as info:
        RuleEngine.compile(read_rules(path), PLUGINS)
    return [str(i).removeprefix(f"{path}:") for i in info.value.issues]


def test_unknown_action_and_wrong_params(tmp_path: Path) -> None:
    found = problems(tmp_path, """
        triggers:
          - name: a
            actions:
              - set_priority: urgent
              - set_prioirty: urgent
          - name: b
            actions:
              - set_priority: asap
              - notify_chat: {chanel: "#x"}
    """)
    assert found[0].startswith("6: triggers[0].actions[1]: unknown action 'set_prioirty'; expected one of: ")
    assert "notify_chat" in found[0] and "set_priority" in found[0]
    assert found[1].startswith("9: triggers[1].actions[0]: set_priority: value: Input should be 'low', 'normal', 'high' or 'urgent'")
    assert found[2].startswith("10: triggers[1].actions[1]: notify_chat: channel: Field required")


def test_conditions_are_checked_field_by_field(tmp_path: Path) -> None:
    found = problems(tmp_path, """
        triggers:
          - name: a
            all:
              - {field: prio, eq: urgent}
            actions: [{add_tag: x}]
          - name: b
            any:
              - {field: priority, eq: asap}
            actions: [{add_tag: x}]
          - name: c
            all:
              - {field: subject, matches: "(a+)+$"}
            actions: [{add_tag: x}]
          - name: d
            all:
              - {field: created_at, older_than: "soon"}
            actions: [{add_tag: x}]
          - name: e
            all:
              - {field: priority, smells_like: urgent}
            actions: [{add_tag: x}]
    """)
    assert found[0].startswith("5: triggers[0]: conditions.all[0]: unknown field 'prio'; expected one of")
    assert found[1].startswith("9: triggers[1]: conditions.any[0]: 'asap' is not a priority; expected one of high, low, normal, urgent")
    assert "nests quantifiers" in found[2] and found[2].startswith("13: triggers[2]")
    assert "older_than expected a duration like 30m, 2h, 3d or 1w, got 'soon'" in found[3]
    assert "unknown operator 'smells_like'" in found[4]


def test_structure_references_and_names(tmp_path: Path) -> None:
    found = problems(tmp_path, """
        queues:
          billing: {agents: [ada]}
        assignment:
          - name: x
            queue: sales
        triggers:
          - name: same
            actoins: [{add_tag: x}]
          - name: same
            actions: [{add_tag: x}]
        sla_policy: {}
    """)
    text = "\n".join(found)
    assert "triggers[0].actoins: Extra inputs are not permitted" in text
    assert "triggers[0].actions: Field required" in text
    assert "sla_policy: Extra inputs are not permitted" in text


def test_references_are_checked(tmp_path: Path) -> None:
    [found] = problems(tmp_path, """
        queues:
          billing: {agents: [ada]}
        assignment:
          - {name: x, queue: sales}
        triggers:
          - {name: same, actions: [{add_tag: x}]}
          - {name: same, actions: [{add_tag: x}]}
    """)
    assert "queues.billing: agent 'ada' is not in agents:" in found
    assert "assignment[0]: queue 'sales' is not in queues:" in found
    assert "triggers[1]: the name 'same' is used twice" in found


def test_templates_are_compiled_at_load(tmp_path: Path) -> None:
    [found] = problems(tmp_path, """
        triggers:
          - name: ack
            actions:
              - reply: "Hello {{ case.contact.name "
    """)
    assert found.startswith("5: triggers[0].actions[0]: reply.body: template error on its line 1")


def test_yaml_and_encoding_errors_name_the_line(tmp_path: Path) -> None:
    [bad] = problems(tmp_path, "triggers:\n  - name: x\n   bad: indent\n")
    assert bad.startswith("3: (file): not valid YAML")
    path = tmp_path / "latin.yaml"
    path.write_bytes("triggers: []\n# Grüße\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        read_rules(path)


def test_on_and_yes_no_are_not_booleans(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("triggers:\n  - name: t\n    on: [case.created]\n    all: [{field: custom.answer, eq: no}]\n    actions: [{add_tag: x}]\n")
    engine = RuleEngine.compile(read_rules(path), {})
    assert engine.rules.triggers[0].on == ["case.created"]
    assert engine.rules.triggers[0].all == [{"field": "custom.answer", "eq": "no"}]


def test_an_empty_file_is_no_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("# nothing yet\n")
    engine = RuleEngine.compile(read_rules(path), {})
    assert engine.triggers == [] and engine.assignment == []
