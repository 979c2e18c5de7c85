"""Figures per day, for the dashboard's charts: volumes, backlog, FRT/TTR medians, SLA compliance.

Same definitions as the report (docs/reporting.md), each taken per UTC day;
the backlog is the number of open cases at the end of each day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select

from casehub.reports.figures import OPEN, event_source, open_at, percentiles, reopened_since
from casehub.reports.period import Period
from casehub.reports.scope import Scope
from casehub.reports.sql import Day, JsonFlag, Seconds
from casehub.store.tables import cases, events

__all__ = ["daily"]


def _per_day(conn: Connection, scope: Scope, day: Any, columns: list[Any], *where: Any, joined: bool = False) -> dict[str, tuple[Any, ...]]:
    source = event_source(scope, *where, *columns) if joined else cases
    query = select(day.label("day"), *columns).select_from(source).where(*scope.conditions(), *where).group_by(day)
    return {r.day: tuple(r)[1:] for r in conn.execute(query)}


def _backlog(conn: Connection, period: Period, scope: Scope, now: datetime, days: list[date]) -> dict[str, int]:
    """Open cases at the end of each day (now, for today), by the definition of :func:`figures.backlog`."""
    conditions = scope.conditions()
    plain = cases.c.reopens == 0
    created = case((cases.c.created_at < period.since, literal("")), else_=Day(cases.c.created_at)).label("cday")
    still_open = conn.execute(
        select(created, func.count()).where(*conditions, plain, cases.c.status.in_(OPEN)).group_by(created)
    ).all()
    resolved = Day(cases.c.resolved_at).label("rday")
    resolved_later = conn.execute(
        select(created, resolved, func.count()).where(*conditions, plain, cases.c.resolved_at >= period.since).group_by(created, resolved)
    ).all()
    reopened = reopened_since(conn, scope, period.since, now)
    found: dict[str, int] = {}
    for day in days:
        key = day.isoformat()
        if day > now.date():
            break
        end = min(datetime.combine(day + timedelta(days=1), time(), UTC), now)
        level = sum(n for cday, n in still_open if cday <= key)  # "" (before the period) sorts first
        level += sum(n for cday, rday, n in resolved_later if cday <= key < rday) if end < now else 0
        level += sum(1 for row, changes in reopened if open_at(row, changes, end))
        found[key] = level
    return found


def daily(conn: Connection, period: Period, scope: Scope, now: datetime) -> dict[str, Any]:
    days = period.days()
    today = now.date().isoformat()
    created = _per_day(conn, scope, Day(cases.c.created_at), [func.count()],
                       cases.c.created_at >= period.since, cases.c.created_at < period.until)  # fmt: skip
    resolved = _per_day(conn, scope, Day(cases.c.resolved_at), [func.count()],
                        cases.c.resolved_at >= period.since, cases.c.resolved_at < period.until)  # fmt: skip
    backlog = _backlog(conn, period, scope, now, days)
    frt = percentiles(conn, scope, Seconds(cases.c.first_response_at, cases.c.created_at),
                      cases.c.first_response_at >= period.since, cases.c.first_response_at < period.until,
                      key=Day(cases.c.first_response_at))  # fmt: skip
    ttr = percentiles(conn, scope, Seconds(cases.c.resolved_at, cases.c.created_at),
                      cases.c.resolved_at >= period.since, cases.c.resolved_at < period.until,
                      key=Day(cases.c.resolved_at))  # fmt: skip
    sla = _per_day(
        conn, scope, Day(events.c.at),
        [func.sum(case((and_(events.c.type == "sla.met", JsonFlag(events.c.data, "within_target")), 1), else_=0)),
         func.sum(case((events.c.type == "sla.breached", 1), else_=0))],
        events.c.type.in_(("sla.met", "sla.breached")), events.c.at >= period.since, events.c.at < period.until, joined=True,
    )  # fmt: skip

    def compliance(key: str) -> float | None:
        met, breached = sla.get(key, (0, 0))
        return round(met / (met + breached), 4) if met or breached else None

    keys = [d.isoformat() for d in days]
    return {
        "days": keys,
        "created": [created.get(d, (0,))[0] if d <= today else None for d in keys],
        "resolved": [resolved.get(d, (0,))[0] if d <= today else None for d in keys],
        "backlog": [backlog.get(d) for d in keys],
        "frt_median_s": [frt.get(d, {}).get("median_s") for d in keys],
        "ttr_median_s": [ttr.get(d, {}).get("median_s") for d in keys],
        "sla_compliance": [compliance(d) for d in keys],
    }
