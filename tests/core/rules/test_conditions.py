"""Every operator, true and false, on a real case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casehub.model import Account, Case, Contact
from casehub.rules.conditions import ConditionError, build_context, compile_condition, trace

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def case(**changes: object) -> Case:
    base = {
        "id": "01J0000000000000000000000", "number": "C-000042", "subject": "Invoice 4711 is wrong",
        "description": "Please refund", "status": "pending", "priority": "high", "type": "problem",
        "channel": "email", "contact": Contact(name="Ada", email="Ada@BigCorp.com", language="de"),
        "account": Account(name="BigCorp", tier="gold"), "tags": ["vip", "billing"], "queue": "billing",
        "owner": None, "is_escalated": False, "custom_fields": {"product": "Lamp X", "seats": 40},
        "external_links": [], "sla": [], "csat": None, "created_at": NOW - timedelta(days=4),
        "updated_at": NOW - timedelta(hours=80), "first_response_at": None, "resolved_at": None,
        "closed_at": None, "version": 3,
    }  # fmt: skip
    return Case.model_validate({**base, **changes})


def holds(condition: dict, *, changes: dict | None = None, **fields: object) -> bool:
    ctx = build_context(case(**fields), event_type="case.updated", actor="ada", changes=changes, now=NOW)
    return compile_condition({"all": [condition]})(ctx)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "priority", "eq": "high"}, True),
        ({"field": "priority", "is": "urgent"}, False),
        ({"field": "priority", "op": "ne", "value": "urgent"}, True),
        ({"field": "contact.email", "eq": "ada@bigcorp.com"}, True),
        ({"field": "priority", "in": ["high", "urgent"]}, True),
        ({"field": "channel", "not_in": ["email", "web"]}, False),
        ({"field": "tags", "contains": "VIP"}, True),
        ({"field": "tags", "not_contains": "spam"}, True),
        ({"field": "subject", "contains": "INVOICE"}, True),
        ({"field": "contact.email", "ends_with": "@bigcorp.com"}, True),
        ({"field": "subject", "starts_with": "refund"}, False),
        ({"field": "description", "matches": r"\brefund\b"}, True),
        ({"field": "owner", "op": "is_empty"}, True),
        ({"field": "queue", "op": "is_not_empty"}, True),
        ({"field": "custom.product", "eq": "lamp x"}, True),
        ({"field": "custom.seats", "gt": 30}, True),
        ({"field": "custom.seats", "le": 10}, False),
        ({"field": "custom.missing", "op": "is_empty"}, True),
        ({"field": "account.tier", "eq": "gold"}, True),
        ({"field": "hours_since_updated", "gt": 72}, True),
        ({"field": "hours_since_created", "lt": 24}, False),
        ({"field": "created_at", "older_than": "3d"}, True),
        ({"field": "updated_at", "newer_than": "1w"}, True),
        ({"field": "first_response_at", "older_than": "1h"}, False),
        ({"field": "is_escalated", "eq": False}, True),
        ({"field": "event.type", "eq": "case.updated"}, True),
        ({"field": "event.actor", "eq": "bob"}, False),
    ],
)
def test_operators(condition: dict, expected: bool) -> None:
    assert holds(condition) is expected


def test_changes() -> None:
    urgent = {"priority": ("normal", "urgent")}
    assert holds({"field": "priority", "op": "changed"}, changes=urgent)
    assert not holds({"field": "owner", "op": "changed"}, changes=urgent)
    assert holds({"field": "priority", "changed_to": "urgent"}, changes=urgent)
    assert holds({"field": "priority", "changed_from": "normal"}, changes=urgent)
    assert not holds({"field": "priority", "changed_to": "urgent"}, changes={})


def test_groups_nest() -> None:
    spec = {
        "all": [{"field": "priority", "in": ["high", "urgent"]}],
        "any": [{"field": "tags", "contains": "nope"}, {"all": [{"field": "account.tier", "eq": "gold"}]}],
        "none": [{"field": "status", "eq": "closed"}],
    }
    ctx = build_context(case(), now=NOW)
    assert compile_condition(spec)(ctx)
    assert not compile_condition({**spec, "none": [{"field": "status", "eq": "pending"}]})(ctx)
    assert compile_condition(None)(ctx) and compile_condition({})(ctx)


def test_trace_lists_every_leaf_with_its_result_and_what_decided() -> None:
    ctx = build_context(case(), now=NOW)
    result, checks = trace({"all": [{"field": "priority", "eq": "high"}, {"field": "tags", "contains": "spam"}]}, ctx)
    assert result is False and [c.result for c in checks] == [True, False]
    assert "priority" in checks[0].label and "spam" in checks[1].label
    assert [c.decided for c in checks] == [False, True]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"all": [{"field": "prio", "eq": 1}]}, "conditions.all[0]: unknown field 'prio'"),
        ({"all": [{"field": "priority", "eq": "asap"}]}, "'asap' is not a priority"),
        ({"all": [{"field": "status", "in": "open"}]}, "in expects a list of values"),
        ({"all": [{"field": "custom.n", "gt": "many"}]}, "gt on custom.n expects a number"),
        ({"all": [{"field": "subject", "matches": "(x+)*y"}]}, "nests quantifiers"),
        ({"all": [{"field": "subject", "matches": "a" * 501}]}, "at most 500 characters"),
        ({"all": [{"field": "subject", "matches": "(unclosed"}]}, "not a valid regular expression"),
        ({"all": [{"field": "subject", "eq": "a", "ne": "b"}]}, "expected one operator"),
        ({"all": []}, "conditions.all: expected a non-empty list"),
        ({"all": ["priority = high"]}, "expected a mapping"),
        ({"all": [{"field": "priority", "eq": "high"}], "when": 1}, "unexpected keys when"),
        ({"all": [{"field": "subject", "older_than": "2h"}]}, "older_than needs a date field"),
    ],
)
def test_mistakes_are_refused_with_their_place(spec: dict, message: str) -> None:
    with pytest.raises(ConditionError, match=None) as info:
        compile_condition(spec)
    assert message in str(info.value)


def test_nesting_is_bounded() -> None:
    spec: dict = {"field": "priority", "eq": "high"}
    for _ in range(9):
        spec = {"all": [spec]}
    with pytest.raises(ConditionError, match="nested deeper than 8 levels"):
        compile_condition(spec)


def test_a_pattern_sees_only_the_first_10000_characters() -> None:
    ctx = build_context(case(description="x" * 10_000 + "needle"), now=NOW)
    assert not compile_condition({"all": [{"field": "description", "matches": "needle"}]})(ctx)
    ctx = build_context(case(description="x" * 9_000 + "needle"), now=NOW)
    assert compile_condition({"all": [{"field": "description", "matches": "needle"}]})(ctx)
