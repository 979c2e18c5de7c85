"""The JQL subset the Jira fake understands: tokenizer, recursive-descent parser, evaluator.

A plugin that builds JQL by string concatenation breaks on a real Jira in ways a regex-based fake would
hide: an unquoted value with a space or a reserved character, a reserved word (``labels = start``), a
date in a format Jira does not take, ``=`` on a text field. The fake parses the whole query first and
checks it second, as Jira does, and answers with Jira's messages, so a query that passes here passes there.

Supported: clauses ``field op operand`` joined by ``AND``/``OR``/``NOT`` (also ``&&``, ``||``, ``!``) and
parentheses; operators ``= != < <= > >= ~ !~ IN, NOT IN, IS, IS NOT``; operands: quoted strings (``"..."``
or ``'...'`` with Jira's escapes), unquoted words, ``EMPTY``/``NULL``, lists ``(a, b)`` and the functions
``currentUser() now() startOfDay() endOfDay() startOfWeek() endOfWeek() startOfMonth() endOfMonth()``
(date functions take an optional offset such as ``"-1d"``); ``ORDER BY field [ASC|DESC], ...``.
Dates: ``yyyy-MM-dd``, ``yyyy/MM/dd``, either with `` HH:mm``, and periods such as ``-5m``, ``-1h``, ``-2d``,
``"-1w 2d"``, read in the user's time zone (UTC here). Which fields exist and what their values mean comes
from a :class:`Catalog` (the fake's projects, statuses, users, custom fields).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

__all__ = [
    "Catalog",
    "Compiled",
    "JqlError",
    "JqlField",
    "compile_jql",
    "parse_date",
    "text_matches",
    "tokenize",
]

PREFIX = "Error in the JQL Query: "
OPERATORS_TEXT = ("The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and "
                  "'IS NOT'.")  # fmt: skip
# Jira's reserved words: unquoted, they are refused as field names and values.
RESERVED_WORDS = frozenset("""
abort access add after alias all alter and any as asc audit avg before begin between boolean break by byte catch cf
char character check checkpoint collate collation column commit connect continue count create current date decimal
declare decrement default defaults define delete delimiter desc difference distinct divide do double drop else empty
encoding end equals escape exclusive exec execute exists explain false fetch file field first float for from function
go goto grant greater group having identified if immediate in increment index initial inner inout input insert int
integer intersect intersection into is isempty isnull join last left less like limit lock long max min minus mode
modify modulo more multiply next noaudit not notin nowait null number object of on option or order outer output power
previous prior privileges public raise raw remainder rename resource return returns revoke right row rowid rownum rows
select session set share size sqrt start strict string subtract sum synonym table then to trans transaction trigger
true uid union unique update user validate values view when whenever where while with
""".split())
# Characters that end an unquoted word (operators, quotes, list syntax) or may not appear in one at all.
_DELIMITERS = set(" \t\r\n=!<>~(),\"'")
_RESERVED_CHARS = set("[]{}*/%+^$#@?;|&")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\", " ": " "}
_OPS = ("!=", "!~", ">=", "<=", "&&", "||", "=", "~", ">", "<", "(", ")", ",", "!", "&", "|")
_CUSTOM_FIELD = re.compile(r"cf\[\d+\]", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_PERIOD = re.compile(r"([+-])?\s*((?:\d+\s*[wdhm]\s*)+)")
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_DATE_FUNCTIONS = ("now", "startofday", "endofday", "startofweek", "endofweek", "startofmonth", "endofmonth")
_STOP_WORDS = frozenset("a an and are as at be but by for if in into is it no not of on or such that the their then "
                        "there these they this to was will with".split())  # fmt: skip
# What each kind of field takes; IS / IS NOT only where a field may be empty (JqlField.nullable).
KIND_OPERATORS: dict[str, frozenset[str]] = {
    "key": frozenset({"=", "!=", "in", "not in", "<", "<=", ">", ">="}),
    "choice": frozenset({"=", "!=", "in", "not in", "is", "is not"}),
    "multi": frozenset({"=", "!=", "in", "not in", "is", "is not"}),
    "user": frozenset({"=", "!=", "in", "not in", "is", "is not"}),
    "text": frozenset({"~", "!~", "is", "is not"}),
    "date": frozenset({"=", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"}),
    "number": frozenset({"=", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"}),
}


class JqlError(Exception):
    """A query Jira would refuse (HTTP 400); ``messages`` go into ``errorMessages``."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class JqlField:
    """A searchable field: ``id`` is its key in the rows the evaluator is given.

    ``kind``: ``key`` (issue keys, values ``(project key, number)``), ``choice`` (one option id or None),
    ``multi`` (a collection of option ids or labels), ``user`` (an account id or None), ``text`` (a string
    searched with ``~``), ``date`` (an aware datetime or None), ``number`` (a float or None).
    """

    id: str
    name: str  # as Jira names it in messages: "status", "cf[10042]", "updated"
    kind: str
    nullable: bool = True
    sortable: bool = True


Row = Mapping[str, Any]


class Catalog(Protocol):
    """What the evaluator needs to know about the site (names are matched case-insensitively)."""

    def field(self, name: str) -> JqlField | None: ...

    def resolve(self, field: JqlField, value: str) -> Any:
        """The canonical value of a literal for ``key``/``choice``/``multi``/``user`` fields: an option id,
        ``(project, number)`` for keys, a case-folded label. Raises :class:`JqlError` for unknown values."""
        ...

    def current_user(self) -> str: ...

    def sort_key(self, field: JqlField, value: Any) -> Any:
        """How a non-empty value sorts (statuses and priorities in their configured order)."""
        ...


# -- dates --------------------------------------------------------------------------------------------------


def parse_date(text: str, now: datetime) -> datetime | None:
    """A JQL date literal as an aware UTC datetime: ``2026-11-25``, ``2026/11/25 10:00``, ``-5m``, ``"-1w 2d"``."""
    text = text.strip()
    if m := _DATE.fullmatch(text):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hour, minute = int(m.group(4) or 0), int(m.group(5) or 0)
        try:
            return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
        except ValueError:
            return None
    if m := _PERIOD.fullmatch(text):
        delta = sum((int(n) * _UNITS[unit] for n, unit in _PERIOD_PART.findall(m.group(2))), timedelta())
        return now - delta if m.group(1) == "-" else now + delta
    return None


def _date_function(name: str, now: datetime, offset: str | None) -> datetime:
    now = now.astimezone(timezone.utc)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    base = {
        "now": now,
        "startofday": day,
        "endofday": day + timedelta(days=1) - timedelta(milliseconds=1),
        "startofweek": day - timedelta(days=(day.weekday() + 1) % 7),  # Jira's weeks start on Sunday
        "endofweek": day - timedelta(days=(day.weekday() + 1) % 7) + timedelta(days=7) - timedelta(milliseconds=1),
        "startofmonth": day.replace(day=1),
        "endofmonth": (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(milliseconds=1),
    }[name]
    if offset:
        m = _PERIOD.fullmatch(offset.strip())
        if m is None:
            raise JqlError(f"The function '{name}' requires a valid period offset such as '-1d', got '{offset}'.")
        delta = sum((int(n) * _UNITS[unit] for n, unit in _PERIOD_PART.findall(m.group(2))), timedelta())
        base = base - delta if m.group(1) == "-" else base + delta
    return base


# -- text search ----------------------------------------------------------------------------------------------


def _stems(word: str) -> set[str]:
    """The word and what a small English stemmer makes of it: Jira's text search finds "crashes" for "crash"
    and "modes" for "mode"; two words match when their stems meet."""
    out = {word}
    for suffix in ("s", "es", "d", "ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.add(word[: -len(suffix)])
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def text_matches(haystack: str, query: str) -> bool:
    """Jira's ``~``: every word of ``query`` (stop words aside) occurs in ``haystack``; ``"a phrase"`` in
    inner quotes must occur as written; ``*`` and ``?`` are wildcards inside a word."""
    words = _words(haystack)
    query = query.strip()
    if len(query) >= 2 and query[0] == query[-1] == '"':
        phrase = _words(query[1:-1])
        n = len(phrase)
        return n == 0 or any(words[i : i + n] == phrase for i in range(len(words) - n + 1))
    stems = set().union(*(_stems(w) for w in words)) if words else set()
    for term in re.findall(r"[\w*?]+", query.casefold()):
        if term in _STOP_WORDS:
            continue
        if "*" in term or "?" in term:
            pattern = re.compile(re.escape(term).replace(r"\*", r"\w*").replace(r"\?", r"\w"))
            if not any(pattern.fullmatch(w) for w in words):
                return False
        elif not _stems(term) & stems:
            return False
    return True


# -- tokenizer ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # WORD (unquoted), STRING (quoted), OP, EOF
    text: str  # the decoded text (for OP: the operator)
    pos: int  # offset in the query


def _where(query: str, pos: int) -> str:
    line = query.count("\n", 0, pos) + 1
    column = pos - (query.rfind("\n", 0, pos) + 1) + 1
    return f"(line {line}, character {column})"


def _escape(query: str, i: int, quoted: bool) -> tuple[str, int]:
    """The character an escape at ``query[i] == '\\'`` stands for, and where the text goes on."""
    nxt = query[i + 1 : i + 2]
    if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", query[i + 2 : i + 6]):
        return chr(int(query[i + 2 : i + 6], 16)), i + 6
    if nxt in _ESCAPES:
        return _ESCAPES[nxt], i + 2
    kind = "string" if quoted else "unquoted string"
    raise JqlError(f"{PREFIX}The escape sequence '\\{nxt}' in the {kind} is illegal. {_where(query, i)}")


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "\"'":
            start, i, text = i, i + 1, []
            while True:
                if i >= n:
                    raise JqlError(f"{PREFIX}The quoted string '{query[start + 1:]}' has not been completed. "
                                   f"{_where(query, start)}")  # fmt: skip
                if query[i] == ch:
                    i += 1
                    break
                if query[i] == "\\":
                    decoded, i = _escape(query, i, quoted=True)
                    text.append(decoded)
                else:
                    text.append(query[i])
                    i += 1
            tokens.append(Token("STRING", "".join(text), start))
            continue
        if m := _CUSTOM_FIELD.match(query, i):
            tokens.append(Token("WORD", m.group(0), i))
            i = m.end()
            continue
        op = next((o for o in _OPS if query.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("OP", op, i))
            i += len(op)
            continue
        start, text = i, []
        while i < n and query[i] not in _DELIMITERS:
            c = query[i]
            if c == "\\":
                decoded, i = _escape(query, i, quoted=False)
                text.append(decoded)
                continue
            if c in _RESERVED_CHARS and not (c == "+" and i == start and query[i + 1 : i + 2].isdigit()):
                raise JqlError(f"{PREFIX}The character '{c}' is a reserved JQL character. You must enclose it in a "
                               f"string or use the escape '\\u{ord(c):04x}' instead. {_where(query, i)}")  # fmt: skip
            text.append(c)
            i += 1
        tokens.append(Token("WORD", "".join(text), start))
    tokens.append(Token("EOF", "", n))
    return tokens


# -- syntax tree ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    token: Token
    function: str | None = None  # lower-case name for a function call
    args: tuple[Token, ...] = ()

    @property
    def empty(self) -> bool:
        return self.function is None and self.token.kind == "WORD" and self.token.text.upper() in ("EMPTY", "NULL")


@dataclass(frozen=True)
class _Clause:
    field: Token
    op: str  # lower case: "=", "in", "not in", "is not", ...
    op_token: Token
    values: tuple[_Value, ...]
    is_list: bool


@dataclass(frozen=True)
class _Bool:
    op: str  # "and", "or", "not"
    parts: tuple[Any, ...]


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def word(self, *words: str) -> bool:
        return self.tok.kind == "WORD" and self.tok.text.upper() in words

    def op(self, *ops: str) -> bool:
        return self.tok.kind == "OP" and self.tok.text in ops

    def got(self, token: Token | None = None) -> str:
        token = token or self.tok
        if token.kind == "EOF":
            return "but got end of query."
        return f"but got '{token.text}'. {_where(self.query, token.pos)}"

    def parse(self) -> tuple[Any, list[tuple[Token, bool]]]:
        where = None
        if self.tok.kind != "EOF" and not self.word("ORDER"):
            where = self.or_expr()
        order: list[tuple[Token, bool]] = []
        if self.word("ORDER"):
            self.take()
            if not self.word("BY"):
                raise JqlError(f"{PREFIX}Expecting 'BY' {self.got()}")
            self.take()
            while True:
                field = self.take()
                if field.kind not in ("WORD", "STRING") or not field.text:
                    raise JqlError(f"{PREFIX}Expecting a field name {self.got(field)}")
                self.check_word(field)
                descending = False
                if self.word("ASC", "DESC"):
                    descending = self.take().text.upper() == "DESC"
                order.append((field, descending))
                if not self.op(","):
                    break
                self.take()
        if self.tok.kind != "EOF":
            expected = "'OR' or 'AND'" if where is not None and not order else "',' or the end of the query"
            raise JqlError(f"{PREFIX}Expecting either {expected} {self.got()}")
        return where, order

    def or_expr(self) -> Any:
        parts = [self.and_expr()]
        while self.word("OR") or self.op("||", "|"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else _Bool("or", tuple(parts))

    def and_expr(self) -> Any:
        parts = [self.not_expr()]
        while self.word("AND") or self.op("&&", "&"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else _Bool("and", tuple(parts))

    def not_expr(self) -> Any:
        if self.word("NOT") or self.op("!"):
            self.take()
            return _Bool("not", (self.not_expr(),))
        if self.op("("):
            self.take()
            inner = self.or_expr()
            if not self.op(")"):
                raise JqlError(f"{PREFIX}Expecting ')' {self.got()}")
            self.take()
            return inner
        return self.clause()

    def check_word(self, token: Token) -> None:
        if token.kind == "WORD" and token.text.lower() in RESERVED_WORDS:
            raise JqlError(f"{PREFIX}'{token.text}' is a reserved JQL word. You must surround it in quotation marks "
                           f"to use it in a query. {_where(self.query, token.pos)}")  # fmt: skip

    def clause(self) -> _Clause:
        field = self.take()
        if field.kind not in ("WORD", "STRING") or (field.kind == "WORD" and not field.text):
            raise JqlError(f"{PREFIX}Expecting a field name {self.got(field)}")
        self.check_word(field)
        op_token = self.tok
        if self.op("=", "!=", "<", "<=", ">", ">=", "~", "!~"):
            op = self.take().text
        elif self.word("IN"):
            self.take()
            op = "in"
        elif self.word("IS"):
            self.take()
            op = "is"
            if self.word("NOT"):
                self.take()
                op = "is not"
        elif self.word("NOT") and _is_word(self.tokens[self.i + 1], "IN"):
            self.take()
            self.take()
            op = "not in"
        elif self.word("WAS", "CHANGED"):
            raise JqlError(f"{PREFIX}The Jira fake does not support the '{self.tok.text.upper()}' operator. "
                           f"{_where(self.query, self.tok.pos)}")  # fmt: skip
        elif self.tok.kind == "EOF":
            raise JqlError(f"{PREFIX}Expecting operator but got end of query. {OPERATORS_TEXT}")
        else:
            raise JqlError(f"{PREFIX}Expecting operator but got '{self.tok.text}'. {OPERATORS_TEXT} "
                           f"{_where(self.query, self.tok.pos)}")  # fmt: skip
        if self.op("("):
            self.take()
            values = [self.value()]
            while self.op(","):
                self.take()
                values.append(self.value())
            if not self.op(")"):
                raise JqlError(f"{PREFIX}Expecting ',' or ')' {self.got()}")
            self.take()
            return _Clause(field, op, op_token, tuple(values), True)
        return _Clause(field, op, op_token, (self.value(),), False)

    def value(self) -> _Value:
        token = self.take()
        if token.kind == "EOF" or token.kind == "OP":
            raise JqlError(f"{PREFIX}Expecting either a value, list or function {self.got(token)}")
        if token.kind == "WORD" and self.op("("):
            self.take()
            args: list[Token] = []
            while not self.op(")"):
                arg = self.take()
                if arg.kind not in ("WORD", "STRING"):
                    raise JqlError(f"{PREFIX}Expecting ')' {self.got(arg)}")
                args.append(arg)
                if self.op(","):
                    self.take()
            self.take()
            return _Value(token, token.text.lower(), tuple(args))
        if token.kind == "WORD" and token.text.upper() not in ("EMPTY", "NULL"):
            self.check_word(token)
        return _Value(token)


def _is_word(token: Token, word: str) -> bool:
    return token.kind == "WORD" and token.text.upper() == word


# -- compiling ----------------------------------------------------------------------------------------------

Predicate = Callable[[Row], bool]


@dataclass
class Compiled:
    """A checked query: ``matches(row)`` and ``sort(rows)``; ``restricted`` is False for ``ORDER BY`` alone."""

    where: Predicate | None
    order: list[tuple[JqlField, bool]]  # (field, descending)
    catalog: Catalog

    @property
    def restricted(self) -> bool:
        return self.where is not None

    def matches(self, row: Row) -> bool:
        return self.where is None or self.where(row)

    def sort(self, rows: list[Row], default: list[tuple[JqlField, bool]] | None = None) -> list[Row]:
        order = self.order or default or []
        if not order:
            return list(rows)
        return sorted(rows, key=functools.cmp_to_key(lambda a, b: self._compare(a, b, order)))

    def _compare(self, a: Row, b: Row, order: list[tuple[JqlField, bool]]) -> int:
        for field, descending in order:
            x, y = _sortable(self.catalog, field, a.get(field.id)), _sortable(self.catalog, field, b.get(field.id))
            if x is None or y is None:  # empty values sort last ascending, first descending: Jira's "greater"
                if x is None and y is None:
                    continue
                return (1 if x is None else -1) * (-1 if descending else 1)
            if x != y:
                return (1 if x > y else -1) * (-1 if descending else 1)
        return 0


def _sortable(catalog: Catalog, field: JqlField, value: Any) -> Any:
    if value is None or (isinstance(value, (list, tuple, set, frozenset)) and not value and field.kind == "multi"):
        return None
    if field.kind == "multi":
        return tuple(sorted(str(catalog.sort_key(field, v)) for v in value))
    if field.kind == "text":
        return str(value).casefold()
    return catalog.sort_key(field, value)


class _Compiler:
    def __init__(self, query: str, catalog: Catalog, now: datetime) -> None:
        self.query = query
        self.catalog = catalog
        self.now = now
        self.errors: list[str] = []

    def field(self, token: Token) -> JqlField | None:
        field = self.catalog.field(token.text)
        if field is None:
            self.error(f"Field '{token.text}' does not exist or you do not have permission to view it.")
        return field

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def node(self, node: Any) -> Predicate:
        if isinstance(node, _Bool):
            parts = [self.node(p) for p in node.parts]
            if node.op == "not":
                return lambda row: not parts[0](row)
            if node.op == "and":
                return lambda row: all(p(row) for p in parts)
            return lambda row: any(p(row) for p in parts)
        return self.clause(node)

    def clause(self, clause: _Clause) -> Predicate:
        never: Predicate = lambda row: False  # noqa: E731
        field = self.field(clause.field)
        if field is None:
            return never
        op = clause.op
        allowed = KIND_OPERATORS[field.kind]
        if not field.nullable:
            allowed = allowed - {"is", "is not"}
        if op not in allowed:
            self.error(f"The operator '{op}' is not supported by the '{field.name}' field.")
            return never
        if op in ("in", "not in") and not clause.is_list and clause.values[0].function is None:
            self.error(f"The operator '{op}' requires a list of values, such as ({clause.values[0].token.text}).")
            return never
        if op not in ("in", "not in") and clause.is_list:
            shown = ", ".join(v.token.text for v in clause.values)
            self.error(f"The operator '{op}' does not support the list value '({shown})' for field '{field.name}'.")
            return never
        empties = [v for v in clause.values if v.empty]
        if op in ("is", "is not"):
            if not empties:
                self.error(f"The operator '{op}' only supports the 'EMPTY' or 'NULL' values for field "
                           f"'{field.name}'.")  # fmt: skip
                return never
            return _emptiness(field, op == "is")
        if op in ("~", "!~"):
            return self.text_clause(field, op, clause.values[0])
        if op in ("=", "!=") and empties:
            return _emptiness(field, op == "=")
        wanted = [self.literal(field, v) for v in clause.values if not v.empty]
        if any(w is _INVALID for w in wanted):
            return never
        if field.kind == "multi":
            keys, with_empty = set(wanted), bool(empties)
            if op in ("=", "in"):
                return lambda row: bool(keys & set(row.get(field.id) or ())) or (with_empty and not row.get(field.id))
            return lambda row: bool(row.get(field.id)) and not keys & set(row.get(field.id) or ())
        if op in ("=", "in"):
            keys = set(wanted)
            return lambda row: row.get(field.id) in keys or (bool(empties) and row.get(field.id) is None)
        if op in ("!=", "not in"):  # like Jira, never matches an issue where the field is empty
            keys = set(wanted)
            return lambda row: row.get(field.id) is not None and row.get(field.id) not in keys
        limit = wanted[0]
        compare = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
                   ">=": lambda a, b: a >= b}[op]  # fmt: skip
        if field.kind == "key":  # FEED-3 < FEED-10, and only within the project
            return lambda row: (v := row.get(field.id)) is not None and v[0] == limit[0] and compare(v[1], limit[1])
        return lambda row: (v := row.get(field.id)) is not None and compare(v, limit)

    def text_clause(self, field: JqlField, op: str, value: _Value) -> Predicate:
        if value.empty:
            return _emptiness(field, op == "~")
        if value.function is not None:
            self.error(f"The field '{field.name}' does not support searching with the function "
                       f"'{value.token.text}()'.")  # fmt: skip
            return lambda row: False
        text = value.token.text
        if re.match(r"\s*[*?]", text):
            self.error(f"The text query '{text}' for field '{field.name}' is not allowed to start with a wildcard.")
            return lambda row: False
        if not _words(text):
            self.error(f"The text query '{text}' for field '{field.name}' is not valid: it has no words to search.")
            return lambda row: False
        positive = op == "~"
        return lambda row: (v := row.get(field.id)) is not None and text_matches(str(v), text) == positive

    def literal(self, field: JqlField, value: _Value) -> Any:
        token = value.token
        if value.function is not None:
            name = value.function
            if name == "currentuser" and field.kind == "user":
                return self.catalog.current_user()
            if name in _DATE_FUNCTIONS and field.kind == "date":
                try:
                    return _date_function(name, self.now, value.args[0].text if value.args else None)
                except JqlError as error:
                    self.error(error.messages[0])
                    return _INVALID
            known = name == "currentuser" or name in _DATE_FUNCTIONS
            self.error(f"A value provided by the function '{token.text}' is invalid for the field '{field.name}'."
                       if known else f"Unable to find JQL function '{token.text}()'.")  # fmt: skip
            return _INVALID
        text = token.text
        if field.kind == "date":
            parsed = parse_date(text, self.now)
            if parsed is None:
                self.error(f"Date value '{text}' for field '{field.name}' is invalid. Valid formats include: "
                           "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
                           "e.g. '-5d', '4w 2d'.")  # fmt: skip
                return _INVALID
            return parsed
        if field.kind == "number":
            try:
                return float(text)
            except ValueError:
                self.error(f"The value '{text}' is not a valid number for the field '{field.name}'.")
                return _INVALID
        if field.kind == "text":
            return text
        try:
            return self.catalog.resolve(field, text)
        except JqlError as error:
            for message in error.messages:
                self.error(message)
            return _INVALID

    def order(self, order: list[tuple[Token, bool]]) -> list[tuple[JqlField, bool]]:
        out = []
        for token, descending in order:
            field = self.field(token)
            if field is None:
                continue
            if not field.sortable:
                self.error(f"Field '{token.text}' does not support sorting.")
                continue
            out.append((field, descending))
        return out


_INVALID = object()


def _emptiness(field: JqlField, empty: bool) -> Predicate:
    def test(row: Row) -> bool:
        value = row.get(field.id)
        is_empty = value is None or value == "" or (isinstance(value, Collection) and not isinstance(value, str)
                                                    and len(value) == 0)  # fmt: skip
        return is_empty == empty

    return test


def compile_jql(query: str, catalog: Catalog, now: datetime) -> Compiled:
    """Parse, then check ``query`` against ``catalog``; raises :class:`JqlError` with Jira's messages.

    Syntax errors come first (one message, ``Error in the JQL Query: ...``); then every unknown field,
    unsupported operator and unknown value, each as its own message, as Jira lists them.
    """
    where_node, order_tokens = _Parser(query).parse()
    compiler = _Compiler(query, catalog, now)
    where = compiler.node(where_node) if where_node is not None else None
    order = compiler.order(order_tokens)
    if compiler.errors:
        raise JqlError(*compiler.errors)
    return Compiled(where, order, catalog)
