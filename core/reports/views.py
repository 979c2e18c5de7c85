"""What the CLI, the API and the dashboard ask for: the report with the plugins' sections, and the dashboard's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select

from casehub.reports.period import Period
from casehub.reports.risk import at_risk, breached
from casehub.reports.scope import Scope
from casehub.reports.series import daily
from casehub.reports.summary import build
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
    with hub.engine.connect() as conn:
        sections = hub.plugins.report_sections(conn, period, scope, hub)
    return build(hub.engine, period, scope, hub.clock(), sections)


def dashboard(hub: Hub, period: Period, scope: Scope) -> dict[str, Any]:
    """Tiles with the previous period's values, daily series, the at-risk and breached lists, filter choices."""
    now = hub.clock()
    scope = Scope(**scope.filters())  # the dashboard filters; it does not split
    current = report(hub, period, scope)
    before = build(hub.engine, period.previous(), scope, now)["total"]["flat"]
    with hub.engine.connect() as conn:
        series = daily(conn, period, scope, now)
        risky, late = at_risk(conn, scope, now), breached(conn, scope)
        options = {name: _choices(conn, name, period) for name in FILTERABLE}
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
        "series": series,
        "at_risk": risky,
        "breached": late,
    }
