"""The condition language: every operator both ways, groups, changes, ages, load-time errors, hostile input."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casehub.model import Account, Case, Contact
from casehub.rules.conditions import ConditionError, Context, build_context, compile_condition, trace

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def make_case(**fields: Any) -> Case:
    base = {
        "id": "01J0000000000000000000000", "number": "C-000042", "subject": "Invoice 4711 is wrong",
        "description": "Please refund the order", "status": "pending", "priority": "high", "type": "problem",
        "channel": "email", "contact": Contact(name="Ada Lovelace", email="Ada@BigCorp.com", language="de"),
        "account": Account(name="BigCorp", tier="gold"), "tags": ["vip", "billing"], "queue": "billing",
        "owner": None, "is_escalated": False,
        "custom_fields": {"product": "Lamp X", "seats": 40, "trial": True, "renews": "2026-11-20T12:00:00"},
        "external_links": [], "sla": [], "csat": None, "created_at": NOW - timedelta(days=4),
        "updated_at": NOW - timedelta(hours=80), "first_response_at": None, "resolved_at": None,
        "closed_at": None, "version": 3,
    }  # fmt: skip
    return Case.model_validate({**base, **fields})


def context(changes: dict | None = None, **fields: Any) -> Context:
    return build_context(
        make_case(**fields), event_type="case.updated", actor="ada", changes=changes, now=NOW,
    )  # fmt: skip


def holds(condition: dict, **kwargs: Any) -> bool:
    return compile_condition({"all": [condition]})(context(**kwargs))


def refused(spec: dict) -> str:
    with pytest.raises(ConditionError) as info:
        compile_condition(spec)
    return str(info.value)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # eq / ne: enums as they are, text ignoring case
        ({"field": "priority", "op": "eq", "value": "high"}, True),
        ({"field": "priority", "eq": "urgent"}, False),
        ({"field": "priority", "is": "high"}, True),
        ({"field": "contact.email", "eq": "ada@bigcorp.com"}, True),
        ({"field": "contact.email", "eq": "bob@bigcorp.com"}, False),
        ({"field": "status", "ne": "closed"}, True),
        ({"field": "status", "is_not": "pending"}, False),
        ({"field": "is_escalated", "eq": False}, True),
        ({"field": "is_escalated", "eq": True}, False),
        ({"field": "owner", "eq": "bob"}, False),  # empty owner
        # ordering, on numbers
        ({"field": "hours_since_updated", "gt": 72}, True),
        ({"field": "hours_since_updated", "gt": 80}, False),
        ({"field": "hours_since_updated", "ge": 80}, True),
        ({"field": "hours_since_created", "lt": 97}, True),
        ({"field": "hours_since_created", "lt": 96}, False),
        ({"field": "hours_since_created", "le": 96}, True),
        ({"field": "hours_since_created", "le": 95.5}, False),
        ({"field": "custom.seats", "gt": 30}, True),
        ({"field": "custom.seats", "ge": 41}, False),
        ({"field": "custom.product", "gt": 1}, False),  # text is not a number
        ({"field": "custom.trial", "gt": 0}, False),  # nor is true
        # in / not_in
        ({"field": "priority", "in": ["high", "urgent"]}, True),
        ({"field": "priority", "in": ["low", "normal"]}, False),
        ({"field": "channel", "not_in": ["web", "chat"]}, True),
        ({"field": "channel", "not_in": ["email", "web"]}, False),
        ({"field": "account.tier", "in": ["GOLD", "platinum"]}, True),
        ({"field": "queue", "in": ["sales"]}, False),
        ({"field": "custom.seats", "in": [10, 40]}, True),
        ({"field": "custom.product", "not_in": ["lamp x"]}, False),
        # contains: membership for tags, substring for text, both ignoring case
        ({"field": "tags", "contains": "VIP"}, True),
        ({"field": "tags", "contains": "spam"}, False),
        ({"field": "tags", "not_contains": "spam"}, True),
        ({"field": "tags", "not_contains": "billing"}, False),
        ({"field": "subject", "contains": "INVOICE"}, True),
        ({"field": "subject", "contains": "refund"}, False),
        ({"field": "description", "not_contains": "urgent"}, True),
        ({"field": "custom.product", "contains": "lamp"}, True),
        # starts_with / ends_with, ignoring case
        ({"field": "contact.email", "ends_with": "@bigcorp.com"}, True),
        ({"field": "contact.email", "ends_with": "@example.com"}, False),
        ({"field": "subject", "starts_with": "invoice"}, True),
        ({"field": "subject", "starts_with": "refund"}, False),
        ({"field": "owner", "starts_with": "a"}, False),
        # matches: a search, ignoring case
        ({"field": "description", "matches": r"\brefund\b"}, True),
        ({"field": "subject", "matches": r"^\d+"}, False),
        ({"field": "subject", "matches": r"invoice \d{4}"}, True),
        # emptiness
        ({"field": "owner", "op": "is_empty"}, True),
        ({"field": "queue", "op": "is_empty"}, False),
        ({"field": "queue", "op": "is_not_empty"}, True),
        ({"field": "first_response_at", "op": "is_not_empty"}, False),
        ({"field": "custom.missing", "op": "is_empty"}, True),
        ({"field": "custom.seats", "op": "is_empty"}, False),
        ({"field": "tags", "op": "is_not_empty"}, True),
        # time against a duration
        ({"field": "created_at", "older_than": "3d"}, True),
        ({"field": "created_at", "older_than": "1w"}, False),
        ({"field": "updated_at", "newer_than": "1w"}, True),
        ({"field": "updated_at", "newer_than": "2h"}, False),
        ({"field": "first_response_at", "older_than": "1h"}, False),  # no time: neither older nor newer
        ({"field": "first_response_at", "newer_than": "1h"}, False),
        ({"field": "created_at", "older_than": "90m"}, True),
        ({"field": "custom.renews", "older_than": "4d"}, True),  # ISO text in a custom field, read as UTC
        ({"field": "custom.renews", "newer_than": "4d"}, False),
        ({"field": "custom.product", "older_than": "1d"}, False),  # not a time
        # the event
        ({"field": "event.type", "eq": "case.updated"}, True),
        ({"field": "event.actor", "eq": "bob"}, False),
        # custom fields: text ignores case, a number is not true
        ({"field": "custom.product", "eq": "LAMP X"}, True),
        ({"field": "custom.seats", "eq": 40}, True),
        ({"field": "custom.trial", "eq": True}, True),
        ({"field": "custom.trial", "eq": 1}, False),
        ({"field": "custom.seats", "eq": "40"}, False),
        ({"field": "custom.missing", "eq": "x"}, False),
    ],
)
def test_operators(condition: dict, expected: bool) -> None:
    assert holds(condition) is expected


def test_both_shapes_compile_to_the_same_check() -> None:
    ctx = context()
    for op, value in [("eq", "high"), ("in", ["low"]), ("ne", "urgent")]:
        long = compile_condition({"all": [{"field": "priority", "op": op, "value": value}]})
        short = compile_condition({"all": [{"field": "priority", op: value}]})
        assert long(ctx) == short(ctx)


def test_changed_changed_from_changed_to() -> None:
    urgent = {"priority": ("normal", "urgent")}
    assert holds({"field": "priority", "op": "changed"}, changes=urgent)
    assert not holds({"field": "owner", "op": "changed"}, changes=urgent)
    assert holds({"field": "priority", "changed_to": "urgent"}, changes=urgent)
    assert not holds({"field": "priority", "changed_to": "high"}, changes=urgent)
    assert holds({"field": "priority", "changed_from": "normal"}, changes=urgent)
    assert not holds({"field": "priority", "changed_from": "low"}, changes=urgent)
    assert not holds({"field": "priority", "changed_to": "urgent"}, changes={})
    assert not holds({"field": "priority", "changed_to": "urgent"})
    # from / to nothing
    assigned = {"owner": (None, "bob")}
    assert holds({"field": "owner", "changed_from": None}, changes=assigned)
    assert holds({"field": "owner", "changed_to": "BOB"}, changes=assigned)
    assert not holds({"field": "owner", "changed_to": None}, changes=assigned)
    assert holds({"field": "is_escalated", "changed_to": True}, changes={"is_escalated": (False, True)})


def test_a_change_of_the_contact_or_custom_fields_is_seen_per_key() -> None:
    changes = {
        "contact": ({"name": "Ada", "email": "a@x.com"}, {"name": "Ada", "email": "ada@bigcorp.com"}),
        "custom_fields": ({"product": "Lamp"}, {"product": "Lamp X", "seats": 40}),
        "account": (None, {"name": "BigCorp", "tier": "gold"}),
    }
    assert holds({"field": "contact.email", "op": "changed"}, changes=changes)
    assert not holds({"field": "contact.name", "op": "changed"}, changes=changes)
    assert holds({"field": "contact.email", "changed_from": "A@X.COM"}, changes=changes)
    assert holds({"field": "custom.product", "changed_to": "lamp x"}, changes=changes)
    assert holds({"field": "custom.seats", "changed_from": None}, changes=changes)
    assert holds({"field": "account.tier", "changed_to": "gold"}, changes=changes)


def test_ages_are_computed_from_now() -> None:
    ctx = context()
    assert ctx.values["hours_since_created"] == 96.0
    assert ctx.values["hours_since_updated"] == 80.0


def test_groups_nest() -> None:
    ctx = context()
    spec = {
        "all": [
            {"field": "priority", "in": ["high", "urgent"]},
            {"field": "contact.email", "ends_with": "@bigcorp.com"},
            {"any": [{"field": "tags", "contains": "nope"}, {"field": "account.tier", "eq": "gold"}]},
            {"none": [{"field": "status", "eq": "closed"}]},
        ]
    }
    assert compile_condition(spec)(ctx)
    spec["all"][3] = {"none": [{"field": "status", "eq": "pending"}]}
    assert not compile_condition(spec)(ctx)
    assert compile_condition({"any": [{"field": "priority", "eq": "low"}, {"field": "type", "eq": "problem"}]})(ctx)
    assert not compile_condition({"none": [{"field": "priority", "eq": "low"}, {"field": "type", "eq": "problem"}]})(ctx)
    # several groups side by side must all hold
    both = {"all": [{"field": "priority", "eq": "high"}], "none": [{"field": "tags", "contains": "vip"}]}
    assert not compile_condition(both)(ctx)
    assert compile_condition({**both, "none": [{"field": "tags", "contains": "spam"}]})(ctx)


def test_no_conditions_always_match() -> None:
    ctx = context()
    assert compile_condition(None)(ctx) and compile_condition({})(ctx)


@pytest.mark.parametrize("size", range(1, 8))
def test_groups_of_every_size_agree_with_python(size: int) -> None:
    """all / any / none are unrolled for small sizes: each must behave like all() / any()."""
    leaves = [{"field": "tags", "contains": f"t{n}"} for n in range(size)]
    compiled = {name: compile_condition({name: leaves}) for name in ("all", "any", "none")}
    for bits in itertools.product([False, True], repeat=size):
        ctx = context(tags=[f"t{n}" for n, on in enumerate(bits) if on])
        assert compiled["all"](ctx) is all(bits)
        assert compiled["any"](ctx) is any(bits)
        assert compiled["none"](ctx) is (not any(bits))


def test_evaluation_short_circuits() -> None:
    spec = {"all": [{"field": "priority", "eq": "low"}, {"field": "custom.x", "eq": "y"}]}
    ctx = Context({"priority": "high"}, {}, NOW)  # no custom.x at all: never looked at
    assert compile_condition(spec)(ctx) is False


def test_nesting_to_eight_levels_is_allowed_and_no_further() -> None:
    spec: dict = {"field": "priority", "eq": "high"}
    for _ in range(7):
        spec = {"all": [spec]}
    assert compile_condition(spec)(context())
    message = refused({"any": [spec]})
    assert message.startswith("conditions.any[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0]: nested deeper than 8 levels")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"all": [{"field": "priority", "eq": "high"}, {"field": "tags", "contains": "a"},
                     {"any": [{"field": "prio", "eq": "urgent"}]}]},
            "conditions.all[2].any[0]: unknown field 'prio'; expected one of account.name, account.tier, channel,",
        ),
        ({"any": [{"field": "priority", "smells_like": "urgent"}]}, "conditions.any[0]: unknown operator 'smells_like'; expected one of changed,"),
        ({"all": [{"field": "priority", "eq": "asap"}]}, "conditions.all[0]: 'asap' is not a priority; expected one of high, low, normal, urgent"),
        ({"all": [{"field": "status", "in": ["open", "solved"]}]}, "'solved' is not a status; expected one of closed, new, on_hold, open, pending, resolved"),
        ({"all": [{"field": "channel", "eq": "fax"}]}, "'fax' is not a channel"),
        ({"all": [{"field": "type", "changed_to": "bug"}]}, "'bug' is not a type"),
        ({"all": [{"field": "status", "in": "open"}]}, "conditions.all[0]: in expects a list of values, got 'open'"),
        ({"all": [{"field": "status", "in": []}]}, "in expects a non-empty list"),
        ({"all": [{"field": "custom.n", "gt": "many"}]}, "gt on custom.n expects a number, got 'many'"),
        ({"all": [{"field": "hours_since_updated", "gt": "72"}]}, "gt on hours_since_updated expects a number"),
        ({"all": [{"field": "hours_since_updated", "gt": True}]}, "expects a number"),
        ({"all": [{"field": "is_escalated", "eq": "yes"}]}, "is_escalated is true or false, got 'yes'"),
        ({"all": [{"field": "subject", "eq": 5}]}, "eq on subject expects text, got 5"),
        ({"all": [{"field": "contact.email", "ends_with": ["@a.com"]}]}, "ends_with on contact.email expects text"),
        ({"all": [{"field": "custom.x", "eq": {"a": 1}}]}, "expects text, a number or true/false"),
        ({"all": [{"field": "subject", "gt": 3}]}, "gt does not apply to subject (text)"),
        ({"all": [{"field": "tags", "eq": "vip"}]}, "eq does not apply to tags (list); expected one of changed, contains"),
        ({"all": [{"field": "priority", "contains": "urg"}]}, "contains does not apply to priority (enum)"),
        ({"all": [{"field": "created_at", "gt": 3}]}, "use older_than / newer_than"),
        ({"all": [{"field": "subject", "older_than": "2h"}]}, "older_than needs a date field such as created_at, not subject"),
        ({"all": [{"field": "created_at", "older_than": "soon"}]}, "older_than expected a duration like 30m, 2h, 3d or 1w, got 'soon'"),
        ({"all": [{"field": "hours_since_created", "op": "changed"}]}, "changed does not apply to hours_since_created"),
        ({"all": [{"field": "subject", "matches": "(unclosed"}]}, "conditions.all[0]: not a valid regular expression"),
        ({"all": [{"field": "subject", "matches": "a" * 501}]}, "at most 500 characters"),
        ({"all": [{"field": "subject", "eq": "a", "ne": "b"}]}, "expected one operator"),
        ({"all": [{"field": "subject", "op": "eq", "value": "a", "extra": 1}]}, "unexpected keys extra"),
        ({"all": [{"op": "eq", "value": "a"}]}, "expected {field: ..., op: ..., value: ...}"),
        ({"all": []}, "conditions.all: expected a non-empty list"),
        ({"all": ["priority = high"]}, "conditions.all[0]: expected a mapping, got 'priority = high'"),
        ({"all": [{"field": "priority", "eq": "high"}], "when": 1}, "unexpected keys when next to all/any/none"),
    ],
)
def test_mistakes_are_refused_at_compile_time_with_their_place(spec: dict, message: str) -> None:
    assert message in refused(spec)


def test_the_place_can_be_given() -> None:
    with pytest.raises(ConditionError, match=r"^triggers\[3\]\.conditions\.any\[0\]: unknown field 'x'"):
        compile_condition({"any": [{"field": "x", "eq": 1}]}, where="triggers[3].conditions")


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(x+)*y", "((a+)b)*", r"(\w+\s?)+$", "(a*){2,}", "(?:a|b+)+", "((ab)*)+", "(a+){2,10}"],
)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    message = refused({"all": [{"field": "subject", "matches": pattern}]})
    assert message == f"conditions.all[0]: the pattern {pattern!r} nests quantifiers (like (a+)+), which can take forever"


@pytest.mark.parametrize("pattern", [r"(\d{3}[-. ]){2}\d{4}", r"^(re|fwd?):\s*", r"(ab)+", r"(a?)+", r"invoice|refund", r"\d+-\d+"])
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    compile_condition({"all": [{"field": "subject", "matches": pattern}]})


def test_a_pattern_sees_only_the_first_10000_characters() -> None:
    rule = compile_condition({"all": [{"field": "description", "matches": "needle"}]})
    assert not rule(context(description="x" * 10_000 + "needle"))
    assert rule(context(description="x" * 9_994 + "needle"))
    ends = compile_condition({"all": [{"field": "description", "matches": "x$"}]})
    assert ends(context(description="x" * 20_000 + "y"))  # as if the text stopped at 10,000


def test_trace_says_which_condition_decided() -> None:
    ctx = context()
    spec = {
        "all": [
            {"field": "priority", "in": ["high", "urgent"]},
            {"field": "contact.email", "ends_with": "@example.com"},
            {"field": "tags", "contains": "spam"},
        ]
    }
    result, checks = trace(spec, ctx)
    assert result is False
    assert [(c.label, c.result, c.decided) for c in checks] == [
        ("priority in ['high', 'urgent']", True, False),
        ("contact.email ends_with '@example.com'", False, True),  # the first that failed
        ("tags contains 'spam'", False, False),
    ]
    result, checks = trace({"any": [{"field": "tags", "contains": "spam"}, {"field": "tags", "contains": "vip"},
                                    {"field": "queue", "op": "is_empty"}]}, ctx)  # fmt: skip
    assert result is True and [c.decided for c in checks] == [False, True, False]
    result, checks = trace({"all": [{"field": "priority", "eq": "high"}],
                            "none": [{"field": "tags", "contains": "spam"}, {"field": "tags", "contains": "vip"}]}, ctx)  # fmt: skip
    assert result is False and [c.decided for c in checks] == [False, False, True]
    result, checks = trace({"all": [{"field": "priority", "eq": "high"}, {"field": "status", "eq": "pending"}]}, ctx)
    assert result is True and all(c.decided for c in checks)
    assert trace(None, ctx) == (True, [("(no conditions: always)", True, True, 0)])


@given(st.text(max_size=30), st.text(min_size=1, max_size=5))
def test_contains_is_a_case_insensitive_substring(subject: str, piece: str) -> None:
    ctx = Context({"subject": subject}, {}, NOW)
    rule = compile_condition({"all": [{"field": "subject", "contains": piece}]})
    assert rule(ctx) is (piece.casefold() in subject.casefold())


def test_trace_agrees_with_the_compiled_condition() -> None:
    ctx = context()
    specs = [
        {"all": [{"field": "priority", "eq": "high"}, {"any": [{"field": "tags", "contains": "x"}, {"field": "queue", "eq": "billing"}]}]},
        {"any": [{"field": "priority", "eq": "low"}], "none": [{"field": "owner", "op": "is_empty"}]},
        {"none": [{"all": [{"field": "tags", "contains": "vip"}, {"field": "status", "eq": "open"}]}]},
    ]
    for spec in specs:
        result, checks = trace(spec, ctx)
        assert result is compile_condition(spec)(ctx)
        assert checks and any(c.decided for c in checks)
