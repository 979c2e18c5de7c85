"""Reading and writing case rows; the only place that knows how a Case maps onto columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, func, insert, or_, select, update

from casehub.errors import CaseNotFound
from casehub.model import Case, Event, SlaTarget
from casehub.store.numbering import draw
from casehub.store.tables import cases, events

__all__ = [
    "BUSINESS_COLUMNS",
    "CaseFilter",
    "business_seconds",
    "case_columns",
    "due_timers",
    "open_cases_page",
    "row_to_case",
    "fetch_case",
    "format_number",
    "insert_cases",
    "new_numbers",
    "insert_events",
    "list_cases",
    "list_events",
    "parse_number",
    "update_case",
    "apply_updates",
]

NUMBER_PREFIX = "C-"


def format_number(seq: int) -> str:
    return f"{NUMBER_PREFIX}{seq:06d}"


def parse_number(ref: str) -> int | None:
    """``C-000123``, ``c-123`` and ``123`` all mean case number 123."""
    text = ref.strip().upper().removeprefix(NUMBER_PREFIX)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def row_to_case(row: Row[Any]) -> Case:
    m = row._mapping
    return Case.model_validate(
        {
            "id": m["id"],
            "number": format_number(m["seq"]),
            "subject": m["subject"],
            "description": m["description"],
            "status": m["status"],
            "priority": m["priority"],
            "type": m["type"],
            "channel": m["channel"],
            "contact": m["contact"],
            "account": m["account"],
            "tags": m["tags"],
            "queue": m["queue"],
            "owner": m["owner"],
            "is_escalated": m["is_escalated"],
            "custom_fields": m["custom_fields"],
            "external_links": m["external_links"],
            "sla": m["sla"],
            "csat": m["csat"],
            "created_at": m["created_at"],
            "updated_at": m["updated_at"],
            "first_response_at": m["first_response_at"],
            "resolved_at": m["resolved_at"],
            "closed_at": m["closed_at"],
            "version": m["version"],
            "reopens": m["reopens"],
            "agent_replies": m["agent_replies"],
            "escalated_at": m["escalated_at"],
        }
    )


def next_sla_at(targets: list[Any]) -> Any:
    """The earliest warning or breach still to come, over the running clocks."""
    times = []
    for t in targets:
        t = t if isinstance(t, SlaTarget) else SlaTarget.model_validate(t)
        if t.state == "running" and t.due_at is not None:
            times.append(t.due_at)
            if not t.warned and t.warn_at is not None:
                times.append(t.warn_at)
    return min(times, default=None)


# SLA targets whose business time reports read (FRT and TTR in business hours), and the columns they land in.
BUSINESS_COLUMNS = {"first_response": "first_response_business_s", "resolution": "resolution_business_s"}


def business_seconds(targets: list[Any]) -> dict[str, float | None]:
    """The business seconds each met first-response and resolution clock counted (None while not met)."""
    found: dict[str, float | None] = dict.fromkeys(BUSINESS_COLUMNS.values())
    for t in targets:
        t = t if isinstance(t, SlaTarget) else SlaTarget.model_validate(t)
        if t.name in BUSINESS_COLUMNS and t.met_at is not None:
            found[BUSINESS_COLUMNS[t.name]] = t.elapsed_seconds
    return found


def case_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Case field values -> column values (JSON-ready, denormalised filter columns filled in)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "contact":
            contact = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
            out["contact"] = contact
            out["contact_email"] = (contact or {}).get("email")
        elif key == "account":
            account = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
            out["account"] = account
            out["account_name"] = account.get("name") if account else None
        elif key in ("external_links", "sla"):
            out[key] = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
            if key == "sla":
                out["next_sla_at"] = next_sla_at(value)
                out.update(business_seconds(value))
        elif key in ("status", "priority", "type", "channel") and value is not None:
            out[key] = str(value)
        else:
            out[key] = value
    return out


# Statements built once: parameters travel separately, so SQLAlchemy's compiled cache is hit
# on every call instead of building a cache key from the values each time.
_INSERT_CASES = insert(cases)
_INSERT_CASE_NUMBERED_BY_DB = insert(cases).returning(cases.c.seq)
_INSERT_EVENT = insert(events).returning(events.c.id)
_INSERT_EVENTS = insert(events)
_STORED_FIELDS = tuple(name for name in Case.model_fields if name != "number")


def new_numbers(conn: Connection, n: int) -> list[str]:
    """Numbers for ``n`` cases about to be taken in (see :mod:`casehub.store.numbering`)."""
    return [format_number(seq) for seq in draw(conn, cases, "seq", n)]


def insert_cases(conn: Connection, new: list[Case]) -> list[Case]:
    """Store new cases; returns them numbered.

    Cases numbered by :func:`new_numbers` go in with one statement; a case
    without a number (``""``: nothing needed it before it was stored) takes the
    one the database gives it. The cases were validated on the way in
    (CaseDraft) and built by the service: validating them again would double
    the Python cost of an intake without catching anything.
    """
    numbered, stored = [], []
    for case in new:
        row = case_columns({name: getattr(case, name) for name in _STORED_FIELDS})
        if case.number:
            numbered.append({**row, "seq": parse_number(case.number)})
            stored.append(case)
        else:
            seq = conn.execute(_INSERT_CASE_NUMBERED_BY_DB, row).scalar_one()
            stored.append(case.model_copy(update={"number": format_number(seq)}))
    if numbered:
        conn.execute(_INSERT_CASES, numbered)
    return stored


def fetch_case(conn: Connection, ref: str, *, for_update: bool = False) -> Case:
    """A case by id or number; ``for_update`` locks its row (PostgreSQL) for a read-modify-write."""
    seq = parse_number(ref)
    condition = cases.c.seq == seq if seq is not None else cases.c.id == ref
    query = select(cases).where(condition)
    if for_update:
        # NO KEY UPDATE: enough to serialise read-modify-writes, and it does not block the KEY SHARE
        # locks that inserting events (foreign key to the case) takes in other transactions.
        query = query.with_for_update(key_share=True)
    row = conn.execute(query).first()
    if row is None:
        raise CaseNotFound(ref)
    return row_to_case(row)


@lru_cache(maxsize=512)
def _update_statement(names: tuple[str, ...], returning: bool) -> Any:
    """One UPDATE per set of columns, built once: changes come in a few dozen column sets, not per call."""
    query = (
        update(cases)
        .where(and_(cases.c.id == bindparam("_id"), cases.c.version == bindparam("_version")))
        .values({**{name: bindparam(f"v_{name}") for name in names}, "version": cases.c.version + 1})
    )
    return query.returning(*cases.c) if returning else query


def _update_params(case_id: str, version: int, values: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    columns = case_columns(values)
    return tuple(sorted(columns)), {**{f"v_{k}": v for k, v in columns.items()}, "_id": case_id, "_version": version}


def update_case(conn: Connection, case_id: str, version: int, values: dict[str, Any]) -> Case | None:
    """Apply ``values`` if the case is still at ``version``; ``None`` if someone changed it first."""
    names, params = _update_params(case_id, version, values)
    row = conn.execute(_update_statement(names, True), params).first()
    return row_to_case(row) if row is not None else None


def apply_updates(conn: Connection, changes: list[tuple[str, int, dict[str, Any]]]) -> list[str]:
    """:func:`update_case` for callers that already hold the cases as they will be: nothing is read back.

    ``changes`` are (case id, version, values). Returns the ids of the cases
    that were no longer at their version (none where the rows are locked).
    """
    stale = []
    for case_id, version, values in changes:
        names, params = _update_params(case_id, version, values)
        if conn.execute(_update_statement(names, False), params).rowcount != 1:
            stale.append(case_id)
    return stale


def open_cases_page(conn: Connection, after_seq: int, limit: int) -> list[tuple[int, Case]]:
    """Cases not closed, in number order after ``after_seq`` (automations look at them page by page)."""
    query = (
        select(cases)
        .where(cases.c.status != "closed", cases.c.seq > after_seq)
        .order_by(cases.c.seq)
        .limit(limit)
    )
    return [(row.seq, row_to_case(row)) for row in conn.execute(query)]


def due_timers(conn: Connection, now: Any, limit: int) -> list[str]:
    """Ids of cases with an SLA warning or breach due by ``now``, soonest first (indexed)."""
    query = (
        select(cases.c.id).where(cases.c.next_sla_at <= now).order_by(cases.c.next_sla_at).limit(limit)
    )
    return list(conn.execute(query).scalars())


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> list[Event]:
    """Events — dicts of case_id, type, at, actor, data — returned with their ids, in the order given.

    Several go in as one executemany of ids drawn first (:mod:`casehub.store.numbering`).
    """
    if len(rows) == 1:
        ids = [conn.execute(_INSERT_EVENT, rows[0]).scalar_one()]
    elif rows:
        ids = draw(conn, events, "id", len(rows))
        conn.execute(_INSERT_EVENTS, [{**row, "id": i} for row, i in zip(rows, ids)])
    else:
        return []
    return [Event.model_construct(id=i, **row) for i, row in zip(ids, rows)]


def list_events(conn: Connection, case_id: str, *, after: int = 0, limit: int = 500) -> list[Event]:
    rows = conn.execute(
        select(events).where(events.c.case_id == case_id, events.c.id > after).order_by(events.c.id).limit(limit)
    )
    return [Event.model_validate(dict(r._mapping)) for r in rows]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class CaseFilter:
    """What ``GET /api/v1/cases`` and ``casehub cases list`` filter on; lists mean "any of"."""

    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    queue: str | None = None
    owner: str | None = None
    contact_email: str | None = None
    q: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        for name in ("status", "priority", "type", "channel"):
            values = getattr(self, name)
            if values:
                query = query.where(cases.c[name].in_(values))
        if self.queue is not None:
            query = query.where(cases.c.queue == self.queue)
        if self.owner is not None:
            query = query.where(cases.c.owner == self.owner)
        if self.contact_email is not None:
            query = query.where(func.lower(cases.c.contact_email) == self.contact_email.lower())
        if self.q:
            pattern = _like(self.q)
            query = query.where(
                or_(
                    cases.c.subject.ilike(pattern, escape="\\"),
                    cases.c.description.ilike(pattern, escape="\\"),
                    cases.c.contact_email.ilike(pattern, escape="\\"),
                    cases.c.account_name.ilike(pattern, escape="\\"),
                )
            )
        return query


def encode_cursor(seq: int) -> str:
    return str(seq)


def decode_cursor(cursor: str) -> int:
    """A cursor is the position of the last case seen (cases come newest first)."""
    if cursor.isascii() and cursor.isdigit() and len(cursor) <= 18:
        return int(cursor)
    raise ValueError("invalid cursor; use the next_cursor value of the previous page")


def list_cases(conn: Connection, flt: CaseFilter, *, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
    """Newest first, keyset-paginated (stable while cases are added)."""
    query = flt.apply(select(cases))
    if cursor:
        query = query.where(cases.c.seq < decode_cursor(cursor))
    rows = conn.execute(query.order_by(cases.c.seq.desc()).limit(limit + 1)).all()
    items = [row_to_case(r) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1]._mapping["seq"]) if len(rows) > limit else None
    return items, next_cursor
