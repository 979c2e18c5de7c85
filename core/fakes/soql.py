"""The SOQL subset the Salesforce fake understands: tokenizer, recursive-descent parser, evaluator.

Code that builds SOQL by string concatenation breaks on real Salesforce in ways a regex-based fake
would hide: an unescaped quote, a datetime compared with a quoted string, ``AND`` and ``OR`` mixed
without parentheses, a long text area in ``WHERE``. The fake rejects those the way Salesforce does
(``MALFORMED_QUERY``, ``INVALID_FIELD``, ...), so the plugin's queries are checked for real.

Supported: ``SELECT f, Rel.f | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n] [OFFSET n]``; conditions ``= != <> < <= > >= IN NOT IN LIKE``, ``AND``/``OR``/``NOT``/parentheses;
literals: quoted strings with Salesforce's escapes, numbers, ``true``/``false``/``null``, dates and datetimes.
Names are case-insensitive. The schema comes from a :class:`Catalog` (the fake's object definitions).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

__all__ = ["Catalog", "Compiled", "SoqlError", "compile_query", "format_datetime", "parse_datetime", "tokenize"]

STRING_TYPES = {"id", "reference", "string", "textarea", "picklist", "email", "phone", "url"}
NUMBER_TYPES = {"int", "double", "currency", "percent"}
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "NULLS",
            "FIRST", "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE"}  # fmt: skip
# Salesforce's quoted-string escapes; \% and \_ only mean something inside LIKE (a literal % or _).
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\dT])")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?![\w.])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",")


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` is its errorCode (HTTP 400)."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class FieldLike(Protocol):
    name: str
    type: str
    filterable: bool
    sortable: bool
    picklist: tuple[str, ...]  # picklists sort in this order, not alphabetically


class Catalog(Protocol):
    """What the evaluator needs to know about the org's objects (names are matched case-insensitively)."""

    def object_name(self, name: str) -> str | None: ...
    def field(self, sobject: str, name: str) -> FieldLike | None: ...
    def relationship(self, sobject: str, name: str) -> tuple[str, str, tuple[str, ...]] | None:
        """``(relationship name, foreign-key field, target objects)`` for e.g. ``Contact`` on Case."""
        ...


Deref = Callable[[Any], "tuple[str, dict[str, Any]] | None"]  # record id -> (object type, row)


# -- datetimes ------------------------------------------------------------------------------------------------


def parse_datetime(text: str) -> datetime | None:
    """``2026-11-25T10:00:00Z``, ``...00.000+0000``, ``...+01:00`` (no zone: UTC) -> aware UTC, ms precision."""
    m = _DATETIME.fullmatch(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0")[:3].ljust(3, "0")) * 1000
    zone = m.group(8) or "Z"
    offset = timedelta(0) if zone == "Z" else timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    try:
        value = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc)
    except ValueError:
        return None
    return value - offset if zone[0] == "+" else value + offset


def format_datetime(value: datetime) -> str:
    """Salesforce's own rendering: ``2026-11-25T10:00:00.000+0000``."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


# -- tokenizer ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # NAME, STRING, NUMBER, DATE, DATETIME, OP, EOF
    text: str  # the source text
    pos: int
    value: Any = None  # decoded literal
    like: str | None = None  # for STRING: the LIKE pattern as a regex


def _error(query: str, pos: int, code: str, detail: str) -> SoqlError:
    """Salesforce's message shape: the query line, a caret, ``ERROR at Row:r:Column:c`` and the detail."""
    row = query.count("\n", 0, pos) + 1
    start = query.rfind("\n", 0, pos) + 1
    end = query.find("\n", pos)
    line = query[start : end if end >= 0 else len(query)]
    col = pos - start
    return SoqlError(code, f"\n{line}\n{' ' * col}^\nERROR at Row:{row}:Column:{col + 1}\n{detail}")


def _string(query: str, start: int) -> Token:
    value: list[str] = []
    like: list[str] = []
    i = start + 1
    while i < len(query):
        ch = query[i]
        if ch == "'":
            return Token("STRING", query[start : i + 1], start, "".join(value), "".join(like))
        if ch == "\\":
            nxt = query[i + 1 : i + 2]
            if nxt.lower() in ESCAPES and nxt != "":
                decoded = ESCAPES[nxt.lower()] if nxt in "nrtbfNRTBF" else nxt
                value.append(decoded)
                like.append(re.escape(decoded))
            elif nxt in ("%", "_"):
                value.append("\\" + nxt)
                like.append(re.escape(nxt))
            else:
                literal = query[start : query.find("'", i + 1) + 1 or len(query)]
                detail = f"Invalid string literal '{literal}'. Illegal character sequence '\\{nxt}' in string literal."
                raise _error(query, start, "MALFORMED_QUERY", detail)
            i += 2
            continue
        value.append(ch)
        like.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    raise _error(query, start, "MALFORMED_QUERY", f"line 1:{start} mismatched character '<EOF>' expecting '''")


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "'":
            token = _string(query, i)
        elif m := _DATETIME.match(query, i):
            parsed = parse_datetime(m.group(0))
            if parsed is None or not m.group(8):
                raise _error(query, i, "MALFORMED_QUERY", f"line 1:{i} no viable alternative at character '{ch}'")
            token = Token("DATETIME", m.group(0), i, parsed)
        elif m := _DATE.match(query, i):
            try:
                token = Token("DATE", m.group(0), i, date.fromisoformat(m.group(0)))
            except ValueError:
                raise _error(query, i, "MALFORMED_QUERY", f"line 1:{i} no viable alternative at character '{ch}'")
        elif m := _NUMBER.match(query, i):
            text = m.group(0)
            token = Token("NUMBER", text, i, float(text) if "." in text else int(text))
        elif m := _NAME.match(query, i):
            token = Token("NAME", m.group(0), i)
        else:
            op = next((o for o in _OPERATORS if query.startswith(o, i)), None)
            if op is None:
                raise _error(query, i, "MALFORMED_QUERY", f"line 1:{i} no viable alternative at character '{ch}'")
            token = Token("OP", op, i)
        tokens.append(token)
        i = token.pos + len(token.text)
    tokens.append(Token("EOF", "<EOF>", len(query)))
    return tokens


# -- parser and compiler --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """A resolved field reference: ``names`` in canonical case, e.g. ``("Contact", "Email")``."""

    names: tuple[str, ...]
    hops: tuple[tuple[str, tuple[str, ...]], ...]  # (foreign-key field, target objects) per relationship
    field: FieldLike

    def value(self, row: dict[str, Any], deref: Deref) -> Any:
        for fk, _targets in self.hops:
            target = deref(row.get(fk))
            if target is None:
                return None
            row = target[1]
        return row.get(self.names[-1])


Predicate = Callable[[dict[str, Any], Deref], bool]


@dataclass
class Compiled:
    """A checked query: run it over an object's rows."""

    sobject: str
    select: list[Path]  # empty for COUNT()
    count_only: bool
    where: Predicate | None
    order: list[tuple[Path, bool, bool]]  # (path, descending, nulls first)
    limit: int | None
    offset: int

    def run(self, rows: Iterable[dict[str, Any]], deref: Deref) -> list[dict[str, Any]]:
        hits = [row for row in rows if self.where is None or self.where(row, deref)]
        if self.order:
            hits.sort(key=functools.cmp_to_key(lambda a, b: self._compare(a, b, deref)))
        hits = hits[self.offset :]
        return hits if self.limit is None else hits[: self.limit]

    def _compare(self, a: dict[str, Any], b: dict[str, Any], deref: Deref) -> int:
        for path, descending, nulls_first in self.order:
            x, y = _sort_key(path, path.value(a, deref)), _sort_key(path, path.value(b, deref))
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return (-1 if x is None else 1) * (1 if nulls_first else -1)
            if x != y:
                return (1 if x > y else -1) * (-1 if descending else 1)
        return 0


def _sort_key(path: Path, value: Any) -> Any:
    if path.field.type == "picklist" and value is not None:
        order = path.field.picklist
        return (0, order.index(value), "") if value in order else (1, 0, str(value).casefold())
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return int(value)
    return value


class _Parser:
    def __init__(self, query: str, catalog: Catalog) -> None:
        self.query = query
        self.catalog = catalog
        self.tokens = tokenize(query)
        self.i = 0
        self.sobject = ""

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def keyword(self, *words: str) -> bool:
        return self.tok.kind == "NAME" and self.tok.text.upper() in words

    def op(self, *ops: str) -> bool:
        return self.tok.kind == "OP" and self.tok.text in ops

    def take(self) -> Token:
        token = self.tok
        self.i += 1
        return token

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.unexpected()
        self.take()

    def expect_op(self, op: str) -> None:
        if not self.op(op):
            raise self.unexpected()
        self.take()

    def unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self.tok
        return _error(self.query, token.pos, "MALFORMED_QUERY", f"unexpected token: {token.text}")

    # grammar
    def parse(self) -> Compiled:
        self.expect_keyword("SELECT")
        start = self.i
        while not self.keyword("FROM") and self.tok.kind != "EOF":  # the object first: fields resolve against it
            self.take()
        self.expect_keyword("FROM")
        obj = self.take()
        if obj.kind != "NAME" or obj.text.upper() in KEYWORDS:
            raise self.unexpected(obj)
        name = self.catalog.object_name(obj.text)
        if name is None:
            raise _error(self.query, obj.pos, "INVALID_TYPE",
                         f"sObject type '{obj.text}' is not supported. If you are attempting to use a custom object, "
                         "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
                         "describe call for the appropriate names.")  # fmt: skip
        self.sobject = name
        after_from, self.i = self.i, start
        select, count_only = self.select_list()
        if not self.keyword("FROM"):
            raise self.unexpected()
        self.i = after_from
        where = None
        if self.keyword("WHERE"):
            self.take()
            where = self.condition_expr()
        order: list[tuple[Path, bool, bool]] = []
        if self.keyword("ORDER"):
            self.take()
            self.expect_keyword("BY")
            order.append(self.order_item())
            while self.op(","):
                self.take()
                order.append(self.order_item())
        limit = self.int_clause("LIMIT")
        offset = self.int_clause("OFFSET") or 0
        if self.tok.kind != "EOF":
            raise self.unexpected()
        return Compiled(self.sobject, select, count_only, where, order, limit, offset)

    def select_list(self) -> tuple[list[Path], bool]:
        if self.keyword("COUNT") and self.tokens[self.i + 1].text == "(":
            self.take(), self.take()
            self.expect_op(")")
            return [], True
        paths: list[Path] = []
        while True:
            token = self.take()
            if token.kind != "NAME" or token.text.upper() in KEYWORDS:
                raise self.unexpected(token)
            path = self.resolve(token)
            if any(p.names == path.names for p in paths):
                raise _error(self.query, token.pos, "MALFORMED_QUERY", f"duplicate field selected: {token.text}")
            paths.append(path)
            if not self.op(","):
                return paths, False
            self.take()

    def int_clause(self, word: str) -> int | None:
        if not self.keyword(word):
            return None
        self.take()
        token = self.take()
        if token.kind != "NUMBER" or not isinstance(token.value, int) or token.value < 0:
            raise self.unexpected(token)
        return int(token.value)

    def order_item(self) -> tuple[Path, bool, bool]:
        token = self.take()
        if token.kind != "NAME" or token.text.upper() in KEYWORDS:
            raise self.unexpected(token)
        path = self.resolve(token)
        if not path.field.sortable:
            raise _error(self.query, token.pos, "INVALID_FIELD",
                         f"field '{path.names[-1]}' can not be sorted in a query call")  # fmt: skip
        descending = False
        if self.keyword("ASC", "DESC"):
            descending = self.take().text.upper() == "DESC"
        nulls_first = not descending
        if self.keyword("NULLS"):
            self.take()
            if not self.keyword("FIRST", "LAST"):
                raise self.unexpected()
            nulls_first = self.take().text.upper() == "FIRST"
        return path, descending, nulls_first

    def condition_expr(self) -> Predicate:
        """Conditions joined by AND or by OR: SOQL wants parentheses when the two are mixed."""
        parts = [self.unary()]
        joiner: str | None = None
        while self.keyword("AND", "OR"):
            word = self.tok.text.upper()
            if joiner is not None and word != joiner:
                raise self.unexpected()
            joiner = word
            self.take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        if joiner == "AND":
            return lambda row, deref: all(p(row, deref) for p in parts)
        return lambda row, deref: any(p(row, deref) for p in parts)

    def unary(self) -> Predicate:
        if self.keyword("NOT"):
            self.take()
            inner = self.unary()
            return lambda row, deref: not inner(row, deref)
        if self.op("("):
            self.take()
            inner = self.condition_expr()
            self.expect_op(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        token = self.take()
        if token.kind != "NAME" or token.text.upper() in KEYWORDS:
            raise self.unexpected(token)
        path = self.resolve(token)
        if not path.field.filterable:
            raise _error(self.query, token.pos, "INVALID_FIELD",
                         f"field '{path.names[-1]}' can not be filtered in a query call")  # fmt: skip
        negate = False
        if self.keyword("NOT"):
            self.take()
            negate = True
            if not self.keyword("IN"):
                raise self.unexpected()
        if self.keyword("IN"):
            self.take()
            self.expect_op("(")
            values = [self.literal(path)]
            while self.op(","):
                self.take()
                values.append(self.literal(path))
            self.expect_op(")")
            keys = {_match_key(v) for v in values}
            return lambda row, deref: (_match_key(path.value(row, deref)) in keys) != negate
        if self.keyword("LIKE"):
            self.take()
            literal = self.tok
            if literal.kind != "STRING":
                raise self.unexpected(literal)
            if path.field.type not in STRING_TYPES - {"id", "reference"}:
                raise _error(self.query, token.pos, "INVALID_QUERY_FILTER_OPERATOR",
                             f"invalid operator on {path.field.type} field: {path.names[-1]}")  # fmt: skip
            self.take()
            pattern = re.compile(literal.like or "", re.IGNORECASE | re.DOTALL)
            return lambda row, deref: isinstance(v := path.value(row, deref), str) and bool(pattern.fullmatch(v))
        if not self.op("=", "!=", "<>", "<", "<=", ">", ">="):
            raise self.unexpected()
        op = self.take().text
        value = self.literal(path)
        if op in ("<", "<=", ">", ">=") and (value is None or path.field.type in ("boolean", "id", "reference")):
            raise _error(self.query, token.pos, "INVALID_QUERY_FILTER_OPERATOR",
                         f"invalid operator on {path.field.type} field: {path.names[-1]}")  # fmt: skip
        return _comparator(path, op, value)

    def literal(self, path: Path) -> Any:
        """The next literal, checked against the field's type as Salesforce does."""
        token = self.take()
        field = path.field
        kind = token.kind
        if kind == "NAME" and token.text.upper() == "NULL":
            return None
        if kind == "NAME" and token.text.upper() in ("TRUE", "FALSE"):
            kind, value = "BOOLEAN", token.text.upper() == "TRUE"
        elif kind in ("STRING", "NUMBER", "DATE", "DATETIME"):
            value = token.value
        else:
            raise self.unexpected(token)
        wanted = ("STRING" if field.type in STRING_TYPES else "NUMBER" if field.type in NUMBER_TYPES
                  else "BOOLEAN" if field.type == "boolean" else field.type.upper())  # fmt: skip
        if kind != wanted:
            described = {"STRING": "string", "NUMBER": "number", "BOOLEAN": "boolean", "DATE": "date",
                         "DATETIME": "dateTime"}.get(wanted, field.type)  # fmt: skip
            quoted = "should be enclosed in quotes" if wanted == "STRING" else "should not be enclosed in quotes"
            raise _error(self.query, token.pos, "INVALID_FIELD",
                         f"value of filter criterion for field '{path.names[-1]}' must be of type {described} "
                         f"and {quoted}")  # fmt: skip
        if field.type in ("id", "reference"):
            normalized = normalize_id(value)
            if normalized is None:
                raise _error(self.query, token.pos, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {value}")
            return normalized
        return value

    def resolve(self, token: Token) -> Path:
        parts = token.text.split(".")
        if len(parts) > 1 and self.catalog.object_name(parts[0]) == self.sobject:
            parts = parts[1:]  # "Case.Subject" FROM Case
        sobjects: tuple[str, ...] = (self.sobject,)
        names: list[str] = []
        hops: list[tuple[str, tuple[str, ...]]] = []
        for rel in parts[:-1]:
            found = next((r for s in sobjects if (r := self.catalog.relationship(s, rel))), None)
            if found is None:
                raise _error(self.query, token.pos, "INVALID_FIELD",
                             f"Didn't understand relationship '{rel}' in field path. If you are attempting to use a "
                             "custom relationship, be sure to append the '__r' after the custom relationship name. "
                             "Please reference your WSDL or the describe call for the appropriate names.")  # fmt: skip
            names.append(found[0])
            hops.append((found[1], found[2]))
            sobjects = found[2]
        field = next((f for s in sobjects if (f := self.catalog.field(s, parts[-1]))), None)
        if field is None:
            raise _error(self.query, token.pos, "INVALID_FIELD",
                         f"No such column '{parts[-1]}' on entity '{sobjects[0]}'. If you are attempting to use a "
                         "custom field, be sure to append the '__c' after the custom field name. Please reference "
                         "your WSDL or the describe call for the appropriate names.")  # fmt: skip
        names.append(field.name)
        return Path(tuple(names), tuple(hops), field)


def _match_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _comparator(path: Path, op: str, literal: Any) -> Predicate:
    case_blind = path.field.type not in ("id", "reference")
    want = _match_key(literal) if case_blind else literal

    def test(row: dict[str, Any], deref: Deref) -> bool:
        value = path.value(row, deref)
        if case_blind:
            value = _match_key(value)
        if op == "=":
            return bool(value == want)
        if op in ("!=", "<>"):
            return bool(value != want)
        if value is None:
            return False
        if op == "<":
            return bool(value < want)
        if op == "<=":
            return bool(value <= want)
        if op == ">":
            return bool(value > want)
        return bool(value >= want)

    return test


def compile_query(query: str, catalog: Catalog) -> Compiled:
    """Parse and check ``query`` against ``catalog``; raises :class:`SoqlError` as Salesforce would refuse it."""
    return _Parser(query, catalog).parse()


# -- record ids (shared with the fake: literals in WHERE are normalised the same way) -------------------------

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id_checksum(id15: str) -> str:
    """The three characters that make a 15-character id case-insensitive (the 18-character form)."""
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << j for j, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if "A" <= ch <= "Z")
        suffix += _ID_ALPHABET[bits]
    return suffix


def normalize_id(value: Any) -> str | None:
    """A 15- or 18-character id (any case, for 18) as its 18-character form; None if it is not an id."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isascii() or not value.isalnum():
        return None
    if len(value) == 15:
        return value + id_checksum(value)
    chars = list(value[:15])
    for chunk in range(3):
        bits = _ID_ALPHABET.find(value[15 + chunk].upper())
        if bits < 0:
            return None
        for j in range(5):
            k = chunk * 5 + j
            chars[k] = chars[k].upper() if bits >> j & 1 else chars[k].lower()
    id15 = "".join(chars)
    return id15 + id_checksum(id15) if id_checksum(id15) == value[15:].upper() else None
