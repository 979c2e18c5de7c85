"""Conditions: all / any / none of field–operator–value, compiled once into plain closures.

Why not an expression language? Support leads write these, and a structured
list reads like Zendesk's condition builder, validates field by field (an
unknown field, an operator that makes no sense for it, a priority that does not
exist: each is an error at load time with its place in the file), and never
evaluates text as code. Compiled to closures over precomputed values (sets,
lower-cased strings, compiled patterns), a check costs one dictionary lookup
and one comparison.

A leaf is ``{field: F, op: OP, value: V}`` or, shorter, ``{field: F, OP: V}``
(``{field: priority, is: urgent}``). String comparisons (``eq`` on text,
``contains``, ``starts_with``, ``ends_with``) ignore case; ``contains`` on a
list (tags) is membership. ``matches`` is a regular expression, limited to 500
characters, refused when it nests quantifiers (``(a+)+``, the classic
catastrophic backtracking), and applied to at most the first 10,000
characters of the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casehub.model import Case, CaseType, Channel, Priority, Status
from casehub.rules.durations import parse_duration

__all__ = ["ConditionError", "Context", "Predicate", "build_context", "compile_condition", "explain", "FIELDS"]


class ConditionError(ValueError):
    """A condition that cannot be used; the message starts with where it is inside the rule."""


@dataclass(frozen=True)
class Context:
    """One event's view of a case, built once and shared by every rule."""

    values: dict[str, Any]
    changes: dict[str, tuple[Any, Any]]
    now: datetime


Predicate = Callable[[Context], bool]

_TEXT, _ENUM, _LIST, _NUM, _BOOL, _TIME = "text", "enum", "list", "number", "bool", "time"
ENUMS: dict[str, set[str]] = {
    "status": {s.value for s in Status},
    "priority": {p.value for p in Priority},
    "type": {t.value for t in CaseType},
    "channel": {c.value for c in Channel},
}
FIELDS: dict[str, str] = {
    "number": _TEXT, "subject": _TEXT, "description": _TEXT, "queue": _TEXT, "owner": _TEXT,
    "status": _ENUM, "priority": _ENUM, "type": _ENUM, "channel": _ENUM,
    "is_escalated": _BOOL, "tags": _LIST,
    "created_at": _TIME, "updated_at": _TIME, "first_response_at": _TIME, "resolved_at": _TIME,
    "contact.name": _TEXT, "contact.email": _TEXT, "contact.phone": _TEXT, "contact.language": _TEXT,
    "account.name": _TEXT, "account.tier": _TEXT,
    "event.type": _TEXT, "event.actor": _TEXT,
    "hours_since_created": _NUM, "hours_since_updated": _NUM,
}  # fmt: skip
_MAX_DEPTH = 8
_MAX_PATTERN = 500
_MAX_SUBJECT = 10_000
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")
_ALIASES = {"is": "eq", "is_not": "ne"}
_NO_VALUE = {"is_empty", "is_not_empty", "changed"}


def build_context(
    case: Case,
    *,
    event_type: str | None = None,
    actor: str | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    now: datetime,
) -> Context:
    values: dict[str, Any] = {
        "number": case.number, "subject": case.subject, "description": case.description,
        "queue": case.queue, "owner": case.owner, "status": str(case.status), "priority": str(case.priority),
        "type": str(case.type), "channel": str(case.channel), "is_escalated": case.is_escalated,
        "tags": case.tags, "created_at": case.created_at, "updated_at": case.updated_at,
        "first_response_at": case.first_response_at, "resolved_at": case.resolved_at,
        "contact.name": case.contact.name, "contact.email": case.contact.email,
        "contact.phone": case.contact.phone, "contact.language": case.contact.language,
        "account.name": case.account.name if case.account else None,
        "account.tier": case.account.tier if case.account else None,
        "event.type": event_type, "event.actor": actor,
        "hours_since_created": (now - case.created_at).total_seconds() / 3600,
        "hours_since_updated": (now - case.updated_at).total_seconds() / 3600,
    }  # fmt: skip
    for name, value in case.custom_fields.items():
        values[f"custom.{name}"] = value
    return Context(values, changes or {}, now)


def _kind(field: str, where: str) -> str:
    if field.startswith("custom.") and len(field) > 7:
        return "custom"
    if field not in FIELDS:
        raise ConditionError(f"{where}: unknown field {field!r}; expected one of {', '.join(sorted(FIELDS))}, or custom.<name>")
    return FIELDS[field]


def _check_value(field: str, kind: str, op: str, value: Any, where: str) -> Any:
    if op in _NO_VALUE:
        return None
    if op in ("older_than", "newer_than"):
        if kind not in (_TIME, "custom"):
            raise ConditionError(f"{where}: {op} needs a date field such as created_at, not {field}")
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ConditionError(f"{where}: {op} {exc}") from None
    many = op in ("in", "not_in")
    items = value if many else [value]
    if many and not isinstance(value, list):
        raise ConditionError(f"{where}: {op} expects a list of values, got {value!r}")
    if kind == _ENUM and op in ("eq", "ne", "in", "not_in", "changed_from", "changed_to"):
        for item in items:
            if str(item) not in ENUMS[field]:
                raise ConditionError(f"{where}: {item!r} is not a {field}; expected one of {', '.join(sorted(ENUMS[field]))}")
    if kind == _NUM or op in ("lt", "le", "gt", "ge"):
        if not all(isinstance(i, int | float) and not isinstance(i, bool) for i in items):
            raise ConditionError(f"{where}: {op} on {field} expects a number, got {value!r}")
    if kind == _BOOL and not isinstance(value, bool):
        raise ConditionError(f"{where}: {field} is true or false, got {value!r}")
    return value


def _pattern(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str) or len(value) > _MAX_PATTERN:
        raise ConditionError(f"{where}: matches expects a regular expression of at most {_MAX_PATTERN} characters")
    if _NESTED_QUANTIFIER.search(value):
        raise ConditionError(f"{where}: the pattern {value!r} nests quantifiers (like (a+)+), which can take forever")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ConditionError(f"{where}: not a valid regular expression: {exc}") from None


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _leaf(spec: dict[str, Any], where: str) -> Predicate:
    spec = dict(spec)
    field = spec.pop("field", None)
    if not isinstance(field, str):
        raise ConditionError(f"{where}: expected {{field: ..., op: ..., value: ...}}")
    if "op" in spec:
        op = spec.pop("op")
        value = spec.pop("value", None)
    elif len(spec) == 1:
        [(op, value)] = spec.items()
        spec = {}
    else:
        raise ConditionError(f"{where}: expected one operator, e.g. {{field: {field}, is: ...}}")
    if spec:
        raise ConditionError(f"{where}: unexpected keys {', '.join(spec)}")
    op = _ALIASES.get(op, op)
    if op not in _OPERATORS:
        raise ConditionError(f"{where}: unknown operator {op!r}; expected one of {', '.join(sorted(_OPERATORS))}")
    kind = _kind(field, where)
    value = _check_value(field, kind, op, value, where)
    if kind == _ENUM and op in _CANONICAL:
        return _CANONICAL[op](field, value)
    return _OPERATORS[op](field, value, where)


def _get(field: str) -> Callable[[Context], Any]:
    return lambda ctx: ctx.values.get(field)


def _eq(field: str, value: Any, where: str) -> Predicate:
    want = _fold(value)
    return lambda ctx: _fold(ctx.values.get(field)) == want


def _ne(field: str, value: Any, where: str) -> Predicate:
    want = _fold(value)
    return lambda ctx: _fold(ctx.values.get(field)) != want


def _in(field: str, value: Any, where: str) -> Predicate:
    want = frozenset(_fold(v) for v in value)
    return lambda ctx: _fold(ctx.values.get(field)) in want


def _not_in(field: str, value: Any, where: str) -> Predicate:
    inside = _in(field, value, where)
    return lambda ctx: not inside(ctx)


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[str, Any, str], Predicate]:
    def build(field: str, value: Any, where: str) -> Predicate:
        def check(ctx: Context) -> bool:
            got = ctx.values.get(field)
            return isinstance(got, int | float) and not isinstance(got, bool) and test(got, value)

        return check

    return build


def _contains(field: str, value: Any, where: str) -> Predicate:
    want = _fold(str(value))
    if field == "tags":  # stored lower-case
        return lambda ctx: want in ctx.values["tags"]

    def check(ctx: Context) -> bool:
        got = ctx.values.get(field)
        if isinstance(got, list):
            return any(_fold(str(item)) == want for item in got)
        return isinstance(got, str) and want in got.casefold()

    return check


def _not_contains(field: str, value: Any, where: str) -> Predicate:
    inside = _contains(field, value, where)
    return lambda ctx: not inside(ctx)


def _affix(method: str) -> Callable[[str, Any, str], Predicate]:
    def build(field: str, value: Any, where: str) -> Predicate:
        want = _fold(str(value))
        return lambda ctx: isinstance(got := ctx.values.get(field), str) and getattr(got.casefold(), method)(want)

    return build


def _matches(field: str, value: Any, where: str) -> Predicate:
    pattern = _pattern(value, where)
    return lambda ctx: isinstance(got := ctx.values.get(field), str) and pattern.search(got[:_MAX_SUBJECT]) is not None


def _empty(field: str, value: Any, where: str) -> Predicate:
    return lambda ctx: ctx.values.get(field) in (None, "", [], {})


def _not_empty(field: str, value: Any, where: str) -> Predicate:
    empty = _empty(field, value, where)
    return lambda ctx: not empty(ctx)


def _changed(field: str, value: Any, where: str) -> Predicate:
    return lambda ctx: field in ctx.changes


def _changed_side(side: int) -> Callable[[str, Any, str], Predicate]:
    def build(field: str, value: Any, where: str) -> Predicate:
        want = _fold(value)
        return lambda ctx: field in ctx.changes and _fold(ctx.changes[field][side]) == want

    return build


def _age(older: bool) -> Callable[[str, Any, str], Predicate]:
    def build(field: str, value: Any, where: str) -> Predicate:
        def check(ctx: Context) -> bool:
            got = ctx.values.get(field)
            if not isinstance(got, datetime):
                return False
            return (ctx.now - got > value) if older else (ctx.now - got < value)

        return check

    return build


# Status, priority, type and channel are stored in their canonical lower case: compared as they are.
def _enum_eq(field: str, value: Any) -> Predicate:
    return lambda ctx: ctx.values.get(field) == value


def _enum_ne(field: str, value: Any) -> Predicate:
    return lambda ctx: ctx.values.get(field) != value


def _enum_in(field: str, value: Any) -> Predicate:
    want = frozenset(value)
    return lambda ctx: ctx.values.get(field) in want


def _enum_not_in(field: str, value: Any) -> Predicate:
    want = frozenset(value)
    return lambda ctx: ctx.values.get(field) not in want


_CANONICAL: dict[str, Callable[[str, Any], Predicate]] = {
    "eq": _enum_eq, "ne": _enum_ne, "in": _enum_in, "not_in": _enum_not_in,
}  # fmt: skip

_OPERATORS: dict[str, Callable[[str, Any, str], Predicate]] = {
    "eq": _eq, "ne": _ne, "in": _in, "not_in": _not_in,
    "lt": _compare(lambda a, b: a < b), "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b), "ge": _compare(lambda a, b: a >= b),
    "contains": _contains, "not_contains": _not_contains,
    "starts_with": _affix("startswith"), "ends_with": _affix("endswith"), "matches": _matches,
    "is_empty": _empty, "is_not_empty": _not_empty,
    "changed": _changed, "changed_from": _changed_side(0), "changed_to": _changed_side(1),
    "older_than": _age(True), "newer_than": _age(False),
}  # fmt: skip


def _node(spec: Any, where: str, depth: int) -> Predicate:
    if depth > _MAX_DEPTH:
        raise ConditionError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if not isinstance(spec, dict):
        raise ConditionError(f"{where}: expected a mapping, got {spec!r}")
    groups = {k: spec[k] for k in ("all", "any", "none") if k in spec}
    if not groups:
        return _leaf(spec, where)
    if len(groups) != len(spec):
        extra = ", ".join(k for k in spec if k not in groups)
        raise ConditionError(f"{where}: unexpected keys {extra} next to all/any/none")
    parts: list[Predicate] = []
    for name, items in groups.items():
        if not isinstance(items, list) or not items:
            raise ConditionError(f"{where}.{name}: expected a non-empty list of conditions")
        children = tuple(_node(item, f"{where}.{name}[{n}]", depth + 1) for n, item in enumerate(items))
        parts.append(_group(name, children))
    return parts[0] if len(parts) == 1 else _group("all", tuple(parts))


def _all(children: tuple[Predicate, ...]) -> Predicate:
    # Unrolled for the usual sizes: a generator per evaluation would cost more than the checks.
    if len(children) == 1:
        return children[0]
    if len(children) == 2:
        a, b = children
        return lambda ctx: a(ctx) and b(ctx)
    if len(children) == 3:
        a, b, c = children
        return lambda ctx: a(ctx) and b(ctx) and c(ctx)
    if len(children) == 4:
        a, b, c, d = children
        return lambda ctx: a(ctx) and b(ctx) and c(ctx) and d(ctx)
    head, rest = _all(children[:4]), _all(children[4:])
    return lambda ctx: head(ctx) and rest(ctx)


def _group(name: str, children: tuple[Predicate, ...]) -> Predicate:
    if name == "all":
        return _all(children)
    if len(children) == 1:
        only = children[0]
        return only if name == "any" else (lambda ctx: not only(ctx))
    if name == "any":
        return lambda ctx: any(child(ctx) for child in children)
    return lambda ctx: not any(child(ctx) for child in children)


def compile_condition(spec: dict[str, Any] | None, *, where: str = "conditions") -> Predicate:
    """Compile a condition tree; ``None`` or ``{}`` always matches."""
    if not spec:
        return lambda ctx: True
    return _node(spec, where, 1)


def _describe(spec: dict[str, Any]) -> str:
    rest = {k: v for k, v in spec.items() if k != "field"}
    if "op" in rest:
        op, value = rest.pop("op"), rest.pop("value", None)
    else:
        [(op, value)] = list(rest.items())[:1] or [("?", None)]
    return f"{spec.get('field')} {op}" + ("" if op in _NO_VALUE else f" {value!r}")


def explain(spec: dict[str, Any] | None, ctx: Context, prefix: str = "") -> list[tuple[str, bool]]:
    """Every leaf with its result, for ``casehub rules test``: which condition decided a rule."""
    if not spec:
        return [("(no conditions: always)", True)]
    groups = {k: spec[k] for k in ("all", "any", "none") if k in spec}
    if not groups:
        return [(prefix + _describe(spec), _leaf(spec, "condition")(ctx))]
    out: list[tuple[str, bool]] = []
    for name, items in groups.items():
        for item in items:
            out.extend(explain(item, ctx, prefix if name == "all" else f"{prefix}{name}: "))
    return out
