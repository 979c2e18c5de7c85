"""The report's aggregations: each one query, grouped in the database, read through an index.

Every function returns ``{group key: {figure: value}}``; :mod:`casehub.reports.summary`
puts them together. The definitions are in docs/reporting.md; a change here is a
change there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, Float, and_, case, cast, func, literal, or_, select, true, type_coerce

from casehub.reports.period import Period
from casehub.reports.scope import Scope
from casehub.reports.sql import JsonFlag, JsonText, Seconds, json_elements
from casehub.store.tables import cases, events

__all__ = [
    "AGES",
    "MEASURES",
    "OPEN",
    "backlog",
    "closed",
    "cohort",
    "created",
    "csat",
    "duration",
    "event_source",
    "open_at",
    "percentiles",
    "reopened_since",
    "sla_in_progress",
    "sla_outcomes",
]

OPEN = ("new", "open", "pending", "on_hold")
STOPPED = ("resolved", "closed")
# Backlog age buckets: (label, from days, to days); the last is open-ended.
AGES: list[tuple[str, int, int | None]] = [("<1d", 0, 1), ("1-3d", 1, 3), ("3-7d", 3, 7), ("7-30d", 7, 30), (">30d", 30, None)]

Grouped = dict[Any, dict[str, Any]]

# Written out, not bound: SQLite uses a partial index only when the query's condition matches its WHERE literally.
REOPENED = cases.c.reopens > literal(0, literal_execute=True)


def open_first(query: Any) -> Any:
    """Read open cases through the status index: SQLite's planner would rather take created_at's, which reads the whole table."""
    return query.with_hint(cases, "INDEXED BY ix_cases_status", "sqlite")


def _run(conn: Connection, scope: Scope, columns: list[Any], *where: Any, joined: bool = False, extra: tuple[Any, ...] = (),
         hint: Any = None) -> Any:  # fmt: skip
    """``joined``: the figures count events, joined to their case only where a filter or split needs the case."""
    source = event_source(scope, *where, *columns, *extra) if joined else cases
    group = [*(k.element for k in scope.keys()), *extra]
    query = select(*scope.keys(), *columns).select_from(source).where(*scope.conditions(), *where)
    query = hint(query) if hint else query
    return conn.execute(query.group_by(*group) if group else query)


def event_source(scope: Scope, *clauses: Any) -> Any:
    """The events table, joined to ``cases`` only when a filter, the split or a clause needs the case row."""
    if scope.by is not None or scope.filters() or any(_mentions_cases(c) for c in clauses):
        return events.join(cases, cases.c.id == events.c.case_id)
    return events


def _mentions_cases(clause: Any) -> bool:
    from sqlalchemy.sql import visitors

    return any(getattr(c, "table", None) is cases for c in visitors.iterate(clause) if hasattr(c, "table"))


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.since, column < period.until)


def _count_if(condition: Any) -> Any:
    """How many rows meet the condition: 0, not NULL, when no row is there at all."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def created(conn: Connection, period: Period, scope: Scope) -> Grouped:
    """Cases created in the period, and how many of them have been escalated since."""
    rows = _run(conn, scope, [func.count(), func.count(cases.c.escalated_at)], _within(cases.c.created_at, period))
    return {scope.key_of(r): {"created": r[-2], "escalated": r[-1]} for r in rows}


def closed(conn: Connection, period: Period, scope: Scope) -> Grouped:
    """Cases closed in the period (closed is final: each case once)."""
    rows = _run(conn, scope, [func.count()], _within(cases.c.closed_at, period))
    return {scope.key_of(r): {"closed": r[-1]} for r in rows}


def cohort(conn: Connection, period: Period, scope: Scope) -> Grouped:
    """Of the cases whose (latest) resolution falls in the period: one-touch, touched, reopened."""
    replies, reopens = cases.c.agent_replies, cases.c.reopens
    columns = [
        func.count(),
        _count_if(and_(replies == 1, reopens == 0)),
        _count_if(replies >= 1),
        _count_if(reopens >= 1),
    ]
    rows = _run(conn, scope, columns, _within(cases.c.resolved_at, period))
    return {scope.key_of(r): {"resolved": r[-4], "one_touch": r[-3], "touched": r[-2], "reopened": r[-1]} for r in rows}


# Durations reported per case: the moment that ends them, and the business seconds the SLA clock counted.
MEASURES: dict[str, tuple[Any, Any]] = {
    "first_response": (cases.c.first_response_at, cases.c.first_response_business_s),
    "resolution": (cases.c.resolved_at, cases.c.resolution_business_s),
}


def duration(conn: Connection, period: Period, scope: Scope, measure: str) -> Grouped:
    """First response or resolution time of the cases it ended for in the period: count, median, p90.

    In calendar seconds from creation, and (``business_*``) in the seconds
    the SLA clock counted, which leave out time outside business hours and
    paused time.
    """
    moment, counted = MEASURES[measure]
    values = {"": Seconds(moment, cases.c.created_at), "business_": counted}
    found: Grouped = {}
    for prefix, stats in percentiles_of(conn, scope, values, _within(moment, period)).items():
        for key, stat in stats.items():
            found.setdefault(key, {}).update({f"{prefix}{k}": v for k, v in stat.items()})
    return found


def percentiles_of(conn: Connection, scope: Scope, values: dict[str, Any], *where: Any) -> dict[str, Grouped]:
    """:func:`percentiles` of several values of the same rows; on PostgreSQL in one pass over them."""
    if conn.dialect.name == "postgresql":
        return _percentiles_pg(conn, scope, values, where, scope.keys())
    return {name: percentiles(conn, scope, value, *where) for name, value in values.items()}


def percentiles(conn: Connection, scope: Scope, value: Any, *where: Any, key: Any = None) -> Grouped:
    """Count, median and 90th percentile of ``value`` per group, by nearest rank, in the database.

    Nearest rank (the smallest value with at least p% of values at or below
    it) is what PostgreSQL's percentile_disc computes; window functions give
    it on SQLite too, so both databases agree to the second. ``key``: group
    by this expression instead of the scope's ``by`` (a day, for charts).
    """
    keys = [key.label("key")] if key is not None else scope.keys()
    if conn.dialect.name == "postgresql":
        return _percentiles_pg(conn, scope, {"": value}, where, keys)[""]
    inner = select(*keys, value.label("v")).where(*scope.conditions(), *where, value.is_not(None)).subquery()
    part = [inner.c.key] if keys else []
    ranked = select(
        *part,
        inner.c.v,
        func.row_number().over(partition_by=part, order_by=inner.c.v).label("rn"),
        func.count().over(partition_by=part).label("n"),
    ).subquery()
    median, p90 = (ranked.c.n * 50 + 99) // 100, (ranked.c.n * 90 + 99) // 100
    rows = conn.execute(select(ranked).where(or_(ranked.c.rn == median, ranked.c.rn == p90)))
    found: Grouped = {}
    for r in rows:
        stat = found.setdefault(r.key if keys else scope.key_of(r), {"count": r.n})
        if r.rn == (r.n * 50 + 99) // 100:
            stat["median_s"] = round(float(r.v), 3)
        if r.rn == (r.n * 90 + 99) // 100:
            stat["p90_s"] = round(float(r.v), 3)
    return found


def _ranks(value: Any) -> Any:
    """The median and the 90th percentile, nearest rank: PostgreSQL's ordered-set aggregate (NULLs left out)."""
    return type_coerce(func.percentile_disc(literal([0.5, 0.9], ARRAY(Float))).within_group(value), ARRAY(Float))


def _stat(n: int, ranks: list[float]) -> dict[str, Any]:
    median, p90 = ranks
    return {"count": n, "median_s": round(float(median), 3), "p90_s": round(float(p90), 3)}


def _percentiles_pg(conn: Connection, scope: Scope, values: dict[str, Any], where: tuple[Any, ...], keys: list[Any]) -> dict[str, Grouped]:
    """The same figures from ordered-set aggregates: one sort per value and group, no window over every row."""
    columns = []
    for i, value in enumerate(values.values()):
        columns += [func.count(value).label(f"n{i}"), _ranks(value).label(f"r{i}")]  # both leave NULLs out
    present = or_(*(value.is_not(None) for value in values.values()))
    query = select(*keys, *columns).where(*scope.conditions(), *where, present)
    if keys:
        query = query.group_by(*(k.element for k in keys))
    found: dict[str, Grouped] = {name: {} for name in values}
    for r in conn.execute(query):
        for i, name in enumerate(values):
            if n := getattr(r, f"n{i}"):
                found[name][r.key if keys else scope.key_of(r)] = _stat(n, getattr(r, f"r{i}"))
    return found


def _age(until: datetime) -> Any:
    whens = [(cases.c.created_at > until - timedelta(days=hi), label) for label, _, hi in AGES if hi is not None]
    return case(*whens, else_=AGES[-1][0]).label("age")


def backlog(conn: Connection, period: Period, scope: Scope, now: datetime) -> Grouped:
    """Cases open at ``until`` (or now, if sooner), by age; exact for a past moment too.

    A case never reopened was open at T when it was created before T and not
    resolved (nor closed, which sets ``resolved_at`` too) before T: two index
    range counts. A reopened case may have been resolved at T and open again
    now, so for those few the status changes since T are undone one by one
    (:func:`reopened_since`).
    """
    until = min(period.until, now)
    age = _age(until)
    counts: dict[tuple[Any, str], int] = {}
    plain = [cases.c.reopens == 0, cases.c.created_at < until]
    ranges = [(cases.c.status.in_(OPEN), open_first)] + ([(cases.c.resolved_at >= until, None)] if until < now else [])
    for still_open, hint in ranges:
        for r in _run(conn, scope, [age, func.count()], *plain, still_open, extra=(age,), hint=hint):
            counts[(scope.key_of(r), r.age)] = counts.get((scope.key_of(r), r.age), 0) + r[-1]
    for row, changes in reopened_since(conn, scope, until, now, (age,)):
        if open_at(row, changes, until):
            counts[(scope.key_of(row), row.age)] = counts.get((scope.key_of(row), row.age), 0) + 1
    found: Grouped = {}
    for (key, label), n in counts.items():
        ages = found.setdefault(key, {"backlog": {"total": 0, "ages": {a: 0 for a, _, _ in AGES}}})["backlog"]
        ages["ages"][label] += n
        ages["total"] += n
    return found


def reopened_since(conn: Connection, scope: Scope, moment: datetime, now: datetime, extra: tuple[Any, ...] = ()) -> list[tuple[Any, list[tuple[datetime, int]]]]:
    """Each reopened case changed since ``moment``, with its status changes since: (+1 resolved or closed, -1 reopened).

    Such a case was open at any T >= ``moment`` exactly when ``open now + the
    changes at or after T`` is 1: each later resolution means it was open
    before, each later reopen that it was not. Both queries go through
    partial indexes: the reopened cases (``ix_cases_reopened``) and the
    status changes (``ix_events_status_changes``).
    """
    touched = [cases.c.status.in_(OPEN)]
    if moment < now:
        touched += [cases.c.resolved_at >= moment, cases.c.closed_at >= moment]
    which = [*scope.conditions(), REOPENED, or_(*touched)]  # (created after now: open_at leaves it out)
    rows = {r.id: r for r in conn.execute(select(cases.c.id, cases.c.status, cases.c.created_at, *scope.keys(), *extra).where(*which))}
    changes: dict[str, list[tuple[datetime, int]]] = {case_id: [] for case_id in rows}
    if rows and moment < now:
        came, to = JsonText(events.c.data, "from"), JsonText(events.c.data, "to")
        flip = case((and_(came.in_(OPEN), to.in_(STOPPED)), 1), (and_(came.in_(STOPPED), to.in_(OPEN)), -1), else_=0)
        query = (
            select(events.c.case_id, events.c.at, flip)
            .select_from(events.join(cases, cases.c.id == events.c.case_id))
            .where(*which, events.c.type == "case.status_changed", events.c.at >= moment)
        )
        for case_id, at, n in conn.execute(query):
            if n and case_id in changes:  # a case reopened between the two queries has no row: left out
                changes[case_id].append((at, n))
    return [(r, changes[case_id]) for case_id, r in rows.items()]


def open_at(row: Any, changes: list[tuple[datetime, int]], moment: datetime) -> bool:
    """Whether a case from :func:`reopened_since` was open at ``moment``."""
    return row.created_at < moment and (row.status in OPEN) + sum(n for at, n in changes if at >= moment) == 1


def sla_outcomes(conn: Connection, period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Per group, policy and target: clocks met within target, and breached, in the period."""
    data = events.c.data
    policy, target = JsonText(data, "policy").label("policy"), JsonText(data, "target").label("target")
    columns = [policy, target, _count_if(and_(events.c.type == "sla.met", JsonFlag(data, "within_target"))),
               _count_if(events.c.type == "sla.breached")]  # fmt: skip
    rows = _run(conn, scope, columns, events.c.type.in_(("sla.met", "sla.breached")), _within(events.c.at, period),
                joined=True, extra=(policy, target))  # fmt: skip
    return [{"key": scope.key_of(r), "policy": r.policy, "target": r.target, "met": r[-2], "breached": r[-1]} for r in rows]


def sla_in_progress(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """Clocks running or paused now on open cases, per group, policy and target."""
    clock = json_elements(conn.dialect.name, cases.c.sla)
    policy, target = JsonText(clock.c.value, "policy").label("policy"), JsonText(clock.c.value, "name").label("target")
    query = open_first(
        select(*scope.keys(), policy, target, func.count())
        .select_from(cases.join(clock, true()))
        .where(*scope.conditions(), cases.c.status.in_(OPEN), JsonText(clock.c.value, "state").in_(("running", "paused")))
        .group_by(*(k.element for k in scope.keys()), policy, target)
    )
    return [{"key": scope.key_of(r), "policy": r.policy, "target": r.target, "in_progress": r[-1]} for r in conn.execute(query)]


def csat(conn: Connection, period: Period, scope: Scope) -> Grouped:
    """Surveys sent and answered in the period, the answers' average score, and how many were 4 or 5."""
    received = events.c.type == "csat.received"
    score = cast(JsonText(events.c.data, "score"), Float)
    columns = [
        _count_if(events.c.type == "csat.requested"),
        _count_if(received),
        func.avg(case((received, score))),
        _count_if(and_(received, score >= 4)),
    ]
    rows = _run(conn, scope, columns, events.c.type.in_(("csat.requested", "csat.received")),
                _within(events.c.at, period), joined=True)  # fmt: skip
    return {scope.key_of(r): {"surveys": r[-4], "responses": r[-3], "average": r[-2], "satisfied": r[-1]} for r in rows}
