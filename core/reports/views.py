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


def _choices(conn: Any, period: Period) -> dict[str, list[str]]:
    """Each filter's values among the cases of this and the previous period (one pass over them, not over every case)."""
    columns = [cases.c[name] for name in FILTERABLE]
    recent = and_(cases.c.created_at >= period.previous().since, cases.c.created_at < period.until)
    found: dict[str, set[str]] = {name: set() for name in FILTERABLE}
    for row in conn.execute(select(*columns).where(recent).group_by(*columns)):
        for name, value in zip(FILTERABLE, row, strict=True):
            if value is not None:
                found[name].add(value)
    return {name: sorted(values) for name, values in found.items()}


def report(hub: Hub, period: Period, scope: Scope) -> dict[str, Any]:
    """The full report, with each plugin's ``report_section``."""
    found = gather(hub.engine, {"sections": _sections(hub, period, scope), **queries(period, scope, hub.clock())})
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
        "sections": _sections(hub, period, scope),
        **queries(period, scope, now),
        # The clocks running now are the same for both periods: asked once.
        **{f"before:{name}": query for name, query in queries(before_period, scope, now).items() if name != "total:sla_in_progress"},
        **series.queries(period, scope, now),
        "at_risk": lambda conn: at_risk(conn, scope, now),
        "breached": lambda conn: breached(conn, scope),
        "options": lambda conn: _choices(conn, period),
    }
    found = gather(hub.engine, plan)
    current = assemble(period, scope, found, found["sections"])
    earlier = {"total:sla_in_progress": found["total:sla_in_progress"],
               **{k.removeprefix("before:"): v for k, v in found.items() if k.startswith("before:")}}
    before = assemble(before_period, scope, earlier)["total"]["flat"]
    options = found["options"]
    risky, late, series_found = found["at_risk"], found["breached"], series.assemble(period, now, found)
    flat = current["total"]["flat"]
    tiles = [
        {"figure": f, "label": label, "unit": unit, "higher_is_better": better, "value": flat[f], "previous": before[f]}
        for f, label, unit, better in TILES
    ]
    return {
        "period": period.as_json(),
        "previous_period": before_period.as_json(),
        "filters": scope.filters(),
        "options": options,
        "tiles": tiles,
        "report": current,
        "series": series_found,
        "at_risk": risky,
        "breached": late,
    }
