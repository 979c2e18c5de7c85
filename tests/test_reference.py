"""The generated reference names every setting, every rule action and every hook there is."""

from __future__ import annotations

from casehub import hookspecs
from casehub.reference import actions_tables, conditions_table, hook_signatures, settings_tables
from casehub.rules.actions import BUILTIN
from casehub.settings import CoreSettings


def test_every_core_setting_is_in_the_generated_reference() -> None:
    tables = settings_tables()
    for section, info in CoreSettings.model_fields.items():
        if info.exclude:
            continue
        assert f"### `[{section}]`" in tables
        for key in info.annotation.model_fields:  # type: ignore[union-attr]
            assert f"`{key}" in tables, f"[{section}] {key}"
    for plugin in ("salesforce", "jira", "slack", "webforms", "email"):
        assert f"### `[{plugin}]` (plugin)" in tables
    assert "`similarity_threshold` | float | `0.5` | Cosine similarity" in tables


def test_every_condition_field_and_operator_is_in_the_generated_reference() -> None:
    from casehub.rules import conditions

    table = conditions_table()
    for name in conditions.FIELDS:
        assert f"| `{name}` |" in table
    for operator in set().union(*conditions._APPLIES.values()):
        assert f"`{operator}`" in table


def test_every_action_and_every_hook_is_in_the_generated_reference() -> None:
    actions = actions_tables()
    for name in [*BUILTIN, "notify_slack", "create_jira_issue"]:
        assert f"### `{name}` (" in actions, name
    hooks = hook_signatures()
    for name in hookspecs.__all__:
        if hasattr(getattr(hookspecs, name), "casehub_spec"):
            assert f"### `{name}`" in hooks and f"{name}(" in hooks, name
