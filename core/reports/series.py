"""Figures per day, for the dashboard's charts: volumes, backlog, FRT/TTR medians, SLA compliance.

Same definitions as the report (docs/reporting.md), each taken per UTC day;
the backlog is the number of open cases at the end of each day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select

from casehub.reports.figures import OPEN, event_source, open_first, percentiles, reopened_since
from casehub.reports.parallel import Query
from casehub.reports.period import Period
from casehub.reports.scope import Scope
from casehub.reports.sql import Day, JsonFlag, Seconds
from casehub.store.tables import cases, events

__all__ = ["assemble", "daily", "queries"]


def _per_day(conn: Connection, scope: Scope, day: Any, columns: list[Any], *where: Any, joined: bool = False) -> dict[str, tuple[Any, ...]]:
    source = event_source(scope, *where, *columns) if joined else cases
    query = select(day.label("day"), *columns).select_from(source).where(*scope.conditions(), *where).group_by(day)
    return {r.day: tuple(r)[1:] for r in conn.execute(query)}


def _day_ends(period: Period, now: datetime) -> list[datetime]:
    """The moment each day's backlog is taken: its end, or now for today; days after today have none."""
    ends = []
    for day in period.days():
        if day > now.date():
            break
        ends.append(min(datetime.combine(day + timedelta(days=1), time(), UTC), now))
    return ends


def _plain_backlog(conn: Connection, period: Period, scope: Scope) -> tuple[list[Any], list[Any]]:
    """Cases never reopened, by creation day ("" before the period): open now; resolved since the period began (by day)."""
    conditions, plain = scope.conditions(), cases.c.reopens == 0
    created = case((cases.c.created_at < period.since, literal("")), else_=Day(cases.c.created_at)).label("cday")
    still_open = conn.execute(
        open_first(select(created, func.count()).where(*conditions, plain, cases.c.status.in_(OPEN)).group_by(created))
    ).all()
    resolved = Day(cases.c.resolved_at).label("rday")
    resolved_later = conn.execute(
        select(created, resolved, func.count()).where(*conditions, plain, cases.c.resolved_at >= period.since).group_by(created, resolved)
    ).all()
    return still_open, resolved_later


def _backlog(period: Period, now: datetime, plain: tuple[list[Any], list[Any]], reopened: list[Any]) -> dict[str, int]:
    """Open cases at the end of each day, by the definition of :func:`figures.backlog`.

    Each case adds one to the days whose end falls in a stretch of time it
    was open: a difference array over the days, so the work grows with the
    cases, not with cases times days.
    """
    ends = _day_ends(period, now)
    if not ends:
        return {}
    keys = [d.isoformat() for d in period.days()][: len(ends)]
    steps = [0] * (len(ends) + 1)
    index = {key: i for i, key in enumerate(keys)}

    def slot(day: str) -> int:
        """A day's position; a day before the first is 0 ("" too), one after the last is past the end."""
        return index.get(day, 0 if day < keys[0] else len(ends))

    def add(first: int, stop: int, n: int) -> None:
        if first < stop:
            steps[first] += n
            steps[stop] -= n

    past = bisect_left(ends, now)  # the days that ended before now: the ones a later resolution concerns
    still_open, resolved_later = plain
    for cday, n in still_open:
        add(slot(cday), len(ends), n)
    for cday, rday, n in resolved_later:  # open at the end of the days from its creation to the one before its resolution
        add(slot(cday), min(slot(rday), past), n)
    for row, changes in reopened:
        # Walking back from now: before a resolution the case was open, before a reopening it was not.
        level, upper = (row.status in OPEN), len(ends)
        for at, n in sorted(changes, reverse=True):
            # Days ending after this change saw the level after it; one ending at its very moment
            # the level before it (figures.open_at counts changes at >= T).
            lower = bisect_right(ends, at)
            if level == 1:
                add(max(lower, bisect_right(ends, row.created_at)), upper, 1)
            level += n
            upper = lower
        if level == 1:
            add(bisect_right(ends, row.created_at), upper, 1)
    found, level = {}, 0
    for i, key in enumerate(keys):
        level += steps[i]
        found[key] = level
    return found


def queries(period: Period, scope: Scope, now: datetime) -> dict[str, Query]:
    """The series' queries, by name; independent of one another and of the report's."""
    return {
        "series:created": lambda c: _per_day(c, scope, Day(cases.c.created_at), [func.count()],
                                             cases.c.created_at >= period.since, cases.c.created_at < period.until),
        "series:resolved": lambda c: _per_day(c, scope, Day(cases.c.resolved_at), [func.count()],
                                              cases.c.resolved_at >= period.since, cases.c.resolved_at < period.until),
        "series:backlog_plain": lambda c: _plain_backlog(c, period, scope),
        "series:backlog_reopened": lambda c: reopened_since(c, scope, period.since, now),
        "series:frt": lambda c: percentiles(c, scope, Seconds(cases.c.first_response_at, cases.c.created_at),
                                            cases.c.first_response_at >= period.since,
                                            cases.c.first_response_at < period.until, key=Day(cases.c.first_response_at)),
        "series:ttr": lambda c: percentiles(c, scope, Seconds(cases.c.resolved_at, cases.c.created_at),
                                            cases.c.resolved_at >= period.since, cases.c.resolved_at < period.until,
                                            key=Day(cases.c.resolved_at)),
        "series:sla": lambda c: _per_day(
            c, scope, Day(events.c.at),
            [func.sum(case((and_(events.c.type == "sla.met", JsonFlag(events.c.data, "within_target")), 1), else_=0)),
             func.sum(case((events.c.type == "sla.breached", 1), else_=0))],
            events.c.type.in_(("sla.met", "sla.breached")), events.c.at >= period.since, events.c.at < period.until, joined=True,
        ),
    }  # fmt: skip


def assemble(period: Period, now: datetime, results: dict[str, Any]) -> dict[str, Any]:
    """The series from the results of :func:`queries`."""
    keys = [d.isoformat() for d in period.days()]
    today = now.date().isoformat()
    created, resolved, sla = results["series:created"], results["series:resolved"], results["series:sla"]
    frt, ttr = results["series:frt"], results["series:ttr"]
    backlog = _backlog(period, now, results["series:backlog_plain"], results["series:backlog_reopened"])

    def compliance(key: str) -> float | None:
        met, breached = sla.get(key, (0, 0))
        return round(met / (met + breached), 4) if met or breached else None

    return {
        "days": keys,
        "created": [created.get(d, (0,))[0] if d <= today else None for d in keys],
        "resolved": [resolved.get(d, (0,))[0] if d <= today else None for d in keys],
        "backlog": [backlog.get(d) for d in keys],
        "frt_median_s": [frt.get(d, {}).get("median_s") for d in keys],
        "ttr_median_s": [ttr.get(d, {}).get("median_s") for d in keys],
        "sla_compliance": [compliance(d) for d in keys],
    }


def daily(conn: Connection, period: Period, scope: Scope, now: datetime) -> dict[str, Any]:
    """The series on one connection (the dashboard runs :func:`queries` side by side instead)."""
    return assemble(period, now, {name: query(conn) for name, query in queries(period, scope, now).items()})
