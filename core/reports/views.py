"""What the CLI, the API and the dashboard ask for: the report with the plugins' sections, and the dashboard's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select

from casehub.reports import series
from casehub.reports.parallel import Query, gather
from casehub.reports.period import Period
from casehub.reports.risk import at_risk, breached
from casehub.reports.scope import Scope
from casehub.reports.summary import assemble, queries
from casehub.store.tables import cases

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["FILTERABLE", "TILES", "dashboard", "report"]

# The dashboard's KPI tiles: figure, label, unit, and whether more is better (for the trend's colour).
TILES: list[tuple[str, str, str, bool | None]] = [
    ("created", "New cases", "count", None),
    ("resolved", "Resolved", "count", True),
    ("backlog", "Backlog (open)", "count", False),
    ("frt_median_s", "First response, median", "seconds", False),
    ("ttr_median_s", "Time to resolution, median", "seconds", False),
    ("sla_compliance", "SLA compliance", "share", True),
    ("fcr_rate", "First-contact resolution", "share", True),
    ("csat_average", "CSAT (1-5)", "score", True),
]
FILTERABLE = ("queue", "channel", "priority")


def _choices(conn: Any, name: str, period: Period) -> list[str]:
    """The values cases of this and the previous period have, for the filter's list (not a scan of every case)."""
    column = cases.c[name]
    recent = and_(cases.c.created_at >= period.previous().since, cases.c.created_at < period.until, column.is_not(None))
    return [v for (v,) in conn.execute(select(column).where(recent).group_by(column).order_by(column))]


def report(hub: Hub, period: Period, scope: Scope) -> dict[str, Any]:
    """The full report, with each plugin's ``report_section``."""
    found = gather(hub.engine, {**queries(period, scope, hub.clock()), "sections": _sections(hub, period, scope)})
    return assemble(period, scope, found, found["sections"])


def _sections(hub: Hub, period: Period, scope: Scope) -> Query:
    return lambda conn: hub.plugins.report_sections(conn, period, scope, hub)


def dashboard(hub: Hub, period: Period, scope: Scope) -> dict[str, Any]:
    """Tiles with the previous period's values, daily series, the at-risk and breached lists, filter choices.

    Every query of it (both periods' reports, the series, the lists) runs in
    one :func:`gather`, side by side.
    """
    now = hub.clock()
    scope = Scope(**scope.filters())  # the dashboard filters; it does not split
    before_period = period.previous()
    plan: dict[str, Query] = {
        **queries(period, scope, now),
        **{f"before:{name}": query for name, query in queries(before_period, scope, now).items()},
        **series.queries(period, scope, now),
        "sections": _sections(hub, period, scope),
        "at_risk": lambda conn: at_risk(conn, scope, now),
        "breached": lambda conn: breached(conn, scope),
        **{f"options:{name}": (lambda conn, n=name: _choices(conn, n, period)) for name in FILTERABLE},
    }
    found = gather(hub.engine, plan)
    current = assemble(period, scope, found, found["sections"])
    before = assemble(before_period, scope, {k.removeprefix("before:"): v for k, v in found.items() if k.startswith("before:")})
    before = before["total"]["flat"]
    options = {name: found[f"options:{name}"] for name in FILTERABLE}
    risky, late, series_found = found["at_risk"], found["breached"], series.assemble(period, now, found)
    flat = current["total"]["flat"]
    tiles = [
        {"figure": f, "label": label, "unit": unit, "higher_is_better": better, "value": flat[f], "previous": before[f]}
        for f, label, unit, better in TILES
    ]
    return {
        "period": period.as_json(),
        "previous_period": period.previous().as_json(),
        "filters": scope.filters(),
        "options": options,
        "tiles": tiles,
        "report": current,
        "series": series_found,
        "at_risk": risky,
        "breached": late,
    }
