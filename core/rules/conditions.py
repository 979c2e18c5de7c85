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
list (tags) is membership. Every operator says which kinds of field it applies
to (``gt`` on ``subject`` is an error, not a rule that never fires), and values
are checked against the field (a ``priority`` must be one of the priorities).

``matches`` is a regular expression, limited to 500 characters, refused when it
nests unbounded quantifiers (``(a+)+``, ``((a+)b)*``: the classic catastrophic
backtracking, found by walking the parsed pattern), and applied to at most the
first 10,000 characters of the value. Not caught: overlapping alternatives under
a quantifier (``(a|a)+``); the length bound keeps the rest linear or polynomial.

``changed``, ``changed_from`` and ``changed_to`` read the change that caused the
event; a change of ``contact``, ``account`` or ``custom_fields`` is also seen
per key (``contact.email``, ``custom.product``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from casehub.model import Case, CaseType, Channel, Priority, Status
from casehub.rules.durations import parse_duration

try:  # the parser behind re.compile, to find nested quantifiers; private, so optional
    from re import _constants as _sre, _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a future Python; the textual check still applies
    _sre = _sre_parse = None

__all__ = [
    "FIELDS",
    "Check",
    "ConditionError",
    "Context",
    "Predicate",
    "build_context",
    "compile_condition",
    "trace",
]


class ConditionError(ValueError):
    """A condition that cannot be used; the message starts with where it is inside the rule."""


@dataclass(frozen=True)
class Context:
    """One event's view of a case, built once and shared by every rule.

    ``values`` maps each field path (``priority``, ``contact.email``,
    ``custom.product``) to its value; ``changes`` maps a changed field path to
    ``(old, new)``.
    """

    values: dict[str, Any]
    changes: dict[str, tuple[Any, Any]]
    now: datetime


Predicate = Callable[[Context], bool]

_TEXT, _ENUM, _LIST, _NUM, _BOOL, _TIME, _CUSTOM = "text", "enum", "list", "number", "bool", "time", "custom"
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
_EMPTINESS = {"is_empty", "is_not_empty"}
_CHANGES = {"changed", "changed_from", "changed_to"}
_ORDER = {"lt", "le", "gt", "ge"}
_TEXTUAL = {"contains", "not_contains", "starts_with", "ends_with", "matches"}
# Which operators make sense for which kind of field; custom fields take any.
_APPLIES: dict[str, set[str]] = {
    _TEXT: {"eq", "ne", "in", "not_in", *_TEXTUAL, *_EMPTINESS, *_CHANGES},
    _ENUM: {"eq", "ne", "in", "not_in", *_EMPTINESS, *_CHANGES},
    _LIST: {"contains", "not_contains", *_EMPTINESS, "changed"},
    _NUM: {"eq", "ne", *_ORDER, *_EMPTINESS},
    _BOOL: {"eq", "ne", *_EMPTINESS, *_CHANGES},
    _TIME: {"older_than", "newer_than", *_EMPTINESS, "changed"},
}
_HINTS = {
    _LIST: "use contains / not_contains for a tag",
    _TIME: "use older_than / newer_than with a duration, or hours_since_* with gt / lt",
    _ENUM: "use eq / in",
}
# A change of one of these (a whole mapping) is also recorded per key, under this prefix.
_NESTED_CHANGES = {"contact": "contact.", "account": "account.", "custom_fields": "custom."}


def build_context(
    case: Case,
    *,
    event_type: str | None = None,
    actor: str | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    now: datetime,
) -> Context:
    """The view every rule reads for one event."""
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
    return Context(values, _flat_changes(changes) if changes else {}, now)


def _flat_changes(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """``{"contact": ({...}, {...})}`` also as ``{"contact.email": (old, new)}`` for each key that differs."""
    flat = dict(changes)
    for name, prefix in _NESTED_CHANGES.items():
        if name not in changes:
            continue
        old, new = changes[name]
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                flat[prefix + key] = (old.get(key), new.get(key))
    return flat


# -- checking a leaf at load ------------------------------------------------------------------


def _kind(field: str, where: str) -> str:
    if field.startswith("custom.") and len(field) > 7:
        return _CUSTOM
    if field not in FIELDS:
        raise ConditionError(f"{where}: unknown field {field!r}; expected one of {', '.join(sorted(FIELDS))}, or custom.<name>")
    return FIELDS[field]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(field: str, kind: str, op: str, value: Any, where: str) -> Any:
    if op in ("older_than", "newer_than"):
        if kind not in (_TIME, _CUSTOM):
            raise ConditionError(f"{where}: {op} needs a date field such as created_at, not {field}")
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ConditionError(f"{where}: {op} {exc}") from None
    if kind != _CUSTOM and op not in _APPLIES[kind]:
        hint = f" ({_HINTS[kind]})" if kind in _HINTS else ""
        raise ConditionError(
            f"{where}: {op} does not apply to {field} ({kind}); expected one of "
            f"{', '.join(sorted(_APPLIES[kind]))}{hint}"
        )
    if op in _NO_VALUE:
        return None
    many = op in ("in", "not_in")
    if many and not isinstance(value, list):
        raise ConditionError(f"{where}: {op} expects a list of values, got {value!r}")
    if many and not value:
        raise ConditionError(f"{where}: {op} expects a non-empty list of values")
    items = value if many else [value]
    if op in ("changed_from", "changed_to") and value is None and kind != _ENUM:
        return None  # "was empty" / "became empty"
    if kind == _ENUM:
        for item in items:
            if str(item) not in ENUMS[field]:
                raise ConditionError(f"{where}: {item!r} is not a {field}; expected one of {', '.join(sorted(ENUMS[field]))}")
    elif kind == _NUM or op in _ORDER:
        if not all(_is_number(i) for i in items):
            raise ConditionError(f"{where}: {op} on {field} expects a number, got {value!r}")
    elif kind == _BOOL:
        if not isinstance(value, bool):
            raise ConditionError(f"{where}: {field} is true or false, got {value!r}")
    elif kind in (_TEXT, _LIST) or op in _TEXTUAL:
        if not all(isinstance(i, str) for i in items):
            raise ConditionError(f"{where}: {op} on {field} expects text, got {value!r}")
    elif not all(i is None or isinstance(i, str | int | float | bool) for i in items):
        raise ConditionError(f"{where}: {op} on {field} expects text, a number or true/false, got {value!r}")
    return value


def _nests_quantifiers(items: Any, outer: int = 0) -> bool:
    """True when a repeat holds another repeat and either is unbounded (``(a+)+``, ``((a*)b){2,5}``...).

    ``outer`` is the largest upper bound of the repeats around ``items``. Optional
    parts (``?``, ``{0,1}``) and bounded repeats of bounded repeats (``(\\d{3}-){2}``) pass.
    """
    for op, av in items:
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            _, high, body = av
            if outer > 1 and high > 1 and _sre.MAXREPEAT in (outer, high):
                return True
            if _nests_quantifiers(body, max(outer, high)):
                return True
        elif op is _sre.SUBPATTERN:
            if _nests_quantifiers(av[-1], outer):
                return True
        elif op is _sre.BRANCH:
            if any(_nests_quantifiers(branch, outer) for branch in av[1]):
                return True
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if _nests_quantifiers(av[1], outer):
                return True
        elif op is _sre.ATOMIC_GROUP:
            if _nests_quantifiers(av, outer):
                return True
        elif op is _sre.GROUPREF_EXISTS:
            if any(_nests_quantifiers(part, outer) for part in av[1:] if part is not None):
                return True
    return False


def _pattern(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str) or len(value) > _MAX_PATTERN:
        raise ConditionError(f"{where}: matches expects a regular expression of at most {_MAX_PATTERN} characters")
    try:
        compiled = re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ConditionError(f"{where}: not a valid regular expression: {exc}") from None
    if _nests_quantifiers(_sre_parse.parse(value).data) if _sre_parse is not None else _NESTED_QUANTIFIER.search(value):
        raise ConditionError(f"{where}: the pattern {value!r} nests quantifiers (like (a+)+), which can take forever")
    return compiled


def _parse_leaf(spec: dict[str, Any], where: str) -> tuple[str, str, Any]:
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
    if not isinstance(op, str):
        raise ConditionError(f"{where}: the operator must be a word, got {op!r}")
    return field, _ALIASES.get(op, op), value


def _leaf(spec: dict[str, Any], where: str) -> Predicate:
    field, op, value = _parse_leaf(spec, where)
    if op not in _OPERATORS:
        raise ConditionError(f"{where}: unknown operator {op!r}; expected one of {', '.join(sorted(_OPERATORS))}")
    kind = _kind(field, where)
    value = _check_value(field, kind, op, value, where)
    return _OPERATORS[op](field, kind, value, where)


# -- the operators: each returns a closure over precomputed values ------------------------------
#
# Status, priority, type and channel hold their canonical lower case, and tags are stored lower
# case: those compare as they are. Other text is case-folded per check, the wanted value at load.


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _same(want: Any) -> Callable[[Any], bool]:
    """Equality with a custom field's value of any type (``1`` is not ``true``; text ignores case)."""
    if isinstance(want, str):
        return lambda got: isinstance(got, str) and got.casefold() == want
    if isinstance(want, bool) or want is None:
        return lambda got: got is want
    return lambda got: got == want and _is_number(got)


def _eq(field: str, kind: str, value: Any, where: str) -> Predicate:
    if kind in (_ENUM, _BOOL, _NUM):
        return lambda ctx: ctx.values.get(field) == value
    if kind == _TEXT:
        want = value.casefold()
        return lambda ctx: (got := ctx.values.get(field)) is not None and got.casefold() == want
    same = _same(_fold(value))
    return lambda ctx: same(ctx.values.get(field))


def _ne(field: str, kind: str, value: Any, where: str) -> Predicate:
    equal = _eq(field, kind, value, where)
    return lambda ctx: not equal(ctx)


def _in(field: str, kind: str, value: Any, where: str) -> Predicate:
    if kind == _ENUM:
        members = frozenset(value)
        return lambda ctx: ctx.values.get(field) in members
    if kind == _TEXT:
        folded = frozenset(v.casefold() for v in value)
        return lambda ctx: (got := ctx.values.get(field)) is not None and got.casefold() in folded
    tests = tuple(_same(_fold(v)) for v in value)

    def check(ctx: Context) -> bool:
        got = ctx.values.get(field)
        return any(same(got) for same in tests)

    return check


def _not_in(field: str, kind: str, value: Any, where: str) -> Predicate:
    inside = _in(field, kind, value, where)
    return lambda ctx: not inside(ctx)


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[str, str, Any, str], Predicate]:
    def build(field: str, kind: str, value: Any, where: str) -> Predicate:
        if kind == _NUM:  # a number or None (an age that is not known)
            return lambda ctx: (got := ctx.values.get(field)) is not None and test(got, value)

        def check(ctx: Context) -> bool:
            got = ctx.values.get(field)
            return _is_number(got) and test(got, value)

        return check

    return build


def _contains(field: str, kind: str, value: Any, where: str) -> Predicate:
    want = value.casefold()
    if kind == _LIST:  # tags: stored lower case
        return lambda ctx: want in (ctx.values.get(field) or ())
    if kind == _TEXT:
        return lambda ctx: (got := ctx.values.get(field)) is not None and want in got.casefold()

    def check(ctx: Context) -> bool:
        got = ctx.values.get(field)
        if isinstance(got, list):
            return any(isinstance(item, str) and item.casefold() == want for item in got)
        return isinstance(got, str) and want in got.casefold()

    return check


def _not_contains(field: str, kind: str, value: Any, where: str) -> Predicate:
    inside = _contains(field, kind, value, where)
    return lambda ctx: not inside(ctx)


def _starts_with(field: str, kind: str, value: Any, where: str) -> Predicate:
    want = value.casefold()
    return lambda ctx: isinstance(got := ctx.values.get(field), str) and got.casefold().startswith(want)


def _ends_with(field: str, kind: str, value: Any, where: str) -> Predicate:
    want = value.casefold()
    return lambda ctx: isinstance(got := ctx.values.get(field), str) and got.casefold().endswith(want)


def _matches(field: str, kind: str, value: Any, where: str) -> Predicate:
    search = _pattern(value, where).search
    limit = _MAX_SUBJECT
    return lambda ctx: isinstance(got := ctx.values.get(field), str) and search(got, 0, limit) is not None


def _is_empty(got: Any) -> bool:
    return got is None or (isinstance(got, str | list | tuple | dict | set | frozenset) and not got)


def _empty(field: str, kind: str, value: Any, where: str) -> Predicate:
    return lambda ctx: _is_empty(ctx.values.get(field))


def _not_empty(field: str, kind: str, value: Any, where: str) -> Predicate:
    return lambda ctx: not _is_empty(ctx.values.get(field))


def _changed(field: str, kind: str, value: Any, where: str) -> Predicate:
    return lambda ctx: field in ctx.changes


def _changed_side(side: int) -> Callable[[str, str, Any, str], Predicate]:
    def build(field: str, kind: str, value: Any, where: str) -> Predicate:
        same = _same(_fold(value))
        return lambda ctx: (change := ctx.changes.get(field)) is not None and same(change[side])

    return build


def _as_time(got: Any) -> datetime | None:
    """A time field's value; a custom field may hold an ISO 8601 text (no zone: UTC)."""
    if isinstance(got, datetime):
        return got
    if isinstance(got, str):
        try:
            parsed = datetime.fromisoformat(got)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _age(older: bool) -> Callable[[str, str, Any, str], Predicate]:
    def build(field: str, kind: str, value: Any, where: str) -> Predicate:
        if kind == _TIME:
            if older:
                return lambda ctx: (got := ctx.values.get(field)) is not None and ctx.now - got > value
            return lambda ctx: (got := ctx.values.get(field)) is not None and ctx.now - got < value

        def check(ctx: Context) -> bool:
            got = _as_time(ctx.values.get(field))
            if got is None:
                return False
            return (ctx.now - got > value) if older else (ctx.now - got < value)

        return check

    return build


_OPERATORS: dict[str, Callable[[str, str, Any, str], Predicate]] = {
    "eq": _eq, "ne": _ne, "in": _in, "not_in": _not_in,
    "lt": _compare(lambda a, b: a < b), "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b), "ge": _compare(lambda a, b: a >= b),
    "contains": _contains, "not_contains": _not_contains,
    "starts_with": _starts_with, "ends_with": _ends_with, "matches": _matches,
    "is_empty": _empty, "is_not_empty": _not_empty,
    "changed": _changed, "changed_from": _changed_side(0), "changed_to": _changed_side(1),
    "older_than": _age(True), "newer_than": _age(False),
}  # fmt: skip


# -- groups ---------------------------------------------------------------------------------------


def _groups(spec: dict[str, Any], where: str) -> dict[str, Any]:
    groups = {k: spec[k] for k in ("all", "any", "none") if k in spec}
    if groups and len(groups) != len(spec):
        extra = ", ".join(str(k) for k in spec if k not in groups)
        raise ConditionError(f"{where}: unexpected keys {extra} next to all/any/none")
    for name, items in groups.items():
        if not isinstance(items, list) or not items:
            raise ConditionError(f"{where}.{name}: expected a non-empty list of conditions")
    return groups


def _node(spec: Any, where: str, depth: int) -> Predicate:
    if depth > _MAX_DEPTH:
        raise ConditionError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if not isinstance(spec, dict):
        raise ConditionError(f"{where}: expected a mapping, got {spec!r}")
    groups = _groups(spec, where)
    if not groups:
        return _leaf(spec, where)
    parts: list[Predicate] = []
    for name, items in groups.items():
        children = tuple(_node(item, f"{where}.{name}[{n}]", depth + 1) for n, item in enumerate(items))
        parts.append(_group(name, children))
    return parts[0] if len(parts) == 1 else _all(tuple(parts))


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


def _any(children: tuple[Predicate, ...]) -> Predicate:
    if len(children) == 1:
        return children[0]
    if len(children) == 2:
        a, b = children
        return lambda ctx: a(ctx) or b(ctx)
    if len(children) == 3:
        a, b, c = children
        return lambda ctx: a(ctx) or b(ctx) or c(ctx)
    if len(children) == 4:
        a, b, c, d = children
        return lambda ctx: a(ctx) or b(ctx) or c(ctx) or d(ctx)
    head, rest = _any(children[:4]), _any(children[4:])
    return lambda ctx: head(ctx) or rest(ctx)


def _group(name: str, children: tuple[Predicate, ...]) -> Predicate:
    if name == "all":
        return _all(children)
    either = _any(children)
    if name == "any":
        return either
    return lambda ctx: not either(ctx)


def _always(ctx: Context) -> bool:
    return True


def compile_condition(spec: dict[str, Any] | None, *, where: str = "conditions") -> Predicate:
    """Compile a condition tree; ``None`` or ``{}`` always matches. Raises :class:`ConditionError`."""
    if spec is None or spec == {}:
        return _always
    return _node(spec, where, 1)


# -- explaining, for ``casehub rules test`` (not the fast path) -----------------------------------


class Check(NamedTuple):
    """One leaf of a condition with its result; ``decided`` marks the leaves that settled the rule.

    In an ``all`` that fails, the first failing leaf decides; in an ``any`` that
    holds, the first leaf that holds; in a ``none`` that fails, the first leaf
    that holds. When a group holds (an ``all``) or fails (an ``any``) every
    leaf counted, and every one is marked.
    """

    label: str
    result: bool
    decided: bool
    depth: int


def _describe(spec: dict[str, Any]) -> str:
    try:
        field, op, value = _parse_leaf(spec, "")
    except ConditionError:
        return repr(spec)
    return f"{field} {op}" + ("" if op in _NO_VALUE else f" {value!r}")


def _trace(spec: dict[str, Any], ctx: Context, depth: int) -> tuple[bool, list[list[Any]], list[list[Any]]]:
    """(result, every leaf as [label, result, decided, depth], the leaves that decide this node)."""
    groups = _groups(spec, "condition")
    if not groups:
        leaf = [_describe(spec), bool(_leaf(spec, "condition")(ctx)), False, depth]
        return leaf[1], [leaf], [leaf]
    rows: list[list[Any]] = []
    verdicts: list[tuple[bool, list[list[Any]]]] = []
    for name, items in groups.items():
        children = [_trace(item, ctx, depth + 1) for item in items]
        for _, child_rows, _ in children:
            rows.extend(child_rows)
        if name == "all":
            failing = next((c for c in children if not c[0]), None)
            verdict = (False, failing[2]) if failing else (True, [r for c in children for r in c[2]])
        else:
            holding = next((c for c in children if c[0]), None)
            if holding:
                verdict = (name == "any", holding[2])
            else:
                verdict = (name == "none", [r for c in children for r in c[2]])
        verdicts.append(verdict)
    failing_group = next((v for v in verdicts if not v[0]), None)
    if failing_group:
        return False, rows, failing_group[1]
    return True, rows, [r for v in verdicts for r in v[1]]


def trace(spec: dict[str, Any] | None, ctx: Context) -> tuple[bool, list[Check]]:
    """The rule's result and every leaf, in order, with its result and whether it decided the rule."""
    if not spec:
        return True, [Check("(no conditions: always)", True, True, 0)]
    result, rows, deciding = _trace(spec, ctx, 0)
    for row in deciding:
        row[2] = True
    return result, [Check(*row) for row in rows]

