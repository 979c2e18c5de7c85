"""Figures per day, for the dashboard's charts: volumes, backlog, FRT/TTR medians, SLA compliance.

Same definitions as the report (docs/reporting.md), each taken per UTC day;
the backlog is the number of open cases at the end of each day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, distinct, func, select

from casehub.reports.figures import OPEN, STOPPED, event_source, percentiles
from casehub.reports.period import Period
from casehub.reports.scope import Scope
from casehub.reports.sql import Day, JsonFlag, JsonText, Seconds
from casehub.store.tables import cases, events

__all__ = ["daily"]


def _per_day(conn: Connection, scope: Scope, day: Any, columns: list[Any], *where: Any, joined: bool = False) -> dict[str, tuple[Any, ...]]:
    source = event_source(scope, *where, *columns) if joined else cases
    query = select(day.label("day"), *columns).select_from(source).where(*scope.conditions(), *where).group_by(day)
    return {r.day: tuple(r)[1:] for r in conn.execute(query)}


def daily(conn: Connection, period: Period, scope: Scope, now: datetime) -> dict[str, Any]:
    days = [d.isoformat() for d in period.days()]
    end = max(period.until, now)
    status = and_(events.c.type == "case.status_changed", events.c.at >= period.since, events.c.at < end)
    to, came = JsonText(events.c.data, "to"), JsonText(events.c.data, "from")
    created = _per_day(conn, scope, Day(cases.c.created_at), [func.count()],
                       cases.c.created_at >= period.since, cases.c.created_at < end)  # fmt: skip
    moves = _per_day(
        conn, scope, Day(events.c.at),
        [func.count(distinct(case((to == "resolved", events.c.case_id)))),
         func.sum(case((and_(came.in_(OPEN), to.in_(STOPPED)), 1), else_=0)),
         func.sum(case((and_(came.in_(STOPPED), to.in_(OPEN)), 1), else_=0))],
        status, joined=True,
    )  # fmt: skip
    open_now = conn.execute(select(func.count()).select_from(cases).where(*scope.conditions(), cases.c.status.in_(OPEN))).scalar_one()
    # Walk back from now: each later day's intake is taken off, its resolutions and closures put back.
    backlog: dict[str, int] = {}
    level = open_now
    today = now.date()
    day = today
    while day >= period.since.date():
        key = day.isoformat()
        backlog[key] = level
        _, left, reopened = moves.get(key, (0, 0, 0))
        level = level - (created.get(key, (0,))[0] or 0) + (left or 0) - (reopened or 0)
        day -= timedelta(days=1)
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

    return {
        "days": days,
        "created": [created.get(d, (0,))[0] if d <= today.isoformat() else None for d in days],
        "resolved": [moves.get(d, (0, 0, 0))[0] if d <= today.isoformat() else None for d in days],
        "backlog": [backlog.get(d) for d in days],
        "frt_median_s": [frt.get(d, {}).get("median_s") for d in days],
        "ttr_median_s": [ttr.get(d, {}).get("median_s") for d in days],
        "sla_compliance": [compliance(d) for d in days],
    }
