"""``/api/v1/reports/...``: the figures of ``casehub report`` and of the dashboard, as JSON.

Read-only: any token may ask (read-only tokens included). The queries are
aggregations, so a request costs the same for a thousand cases as for a
million, give or take the indexes' depth.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from casehub.api.auth import Principal, reader
from casehub.api.common import hub_of, query_names, reject_unknown_query
from casehub.api.problems import ApiProblem
from casehub.api.schemas import problem_responses
from casehub.reports import Period, Scope, dashboard, report

__all__ = ["parse_query", "router"]

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=problem_responses(401, 422, 500))

_MOMENT = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
Moment = Annotated[
    str | None,
    Query(max_length=40, pattern=_MOMENT, description="`2026-07-01` or an ISO 8601 time (UTC if no offset)."),
]
Value = Annotated[str | None, Query(max_length=255, description="Only cases with this value.")]
By = Literal["queue", "channel", "priority", "type", "owner"]


def parse_query(hub: Any, since: str | None, until: str | None, filters: dict[str, str | None], by: str | None = None) -> tuple[Period, Scope]:
    """The period and scope asked for, or a 422 naming each bad parameter."""
    errors = []
    period = scope = None
    try:
        period = Period.of(since, until, hub.clock())
    except ValueError as exc:
        errors.append({"field": f"query.{'until' if str(exc).startswith('until') else 'since'}", "message": str(exc)})
    bad = [name for name, value in filters.items() if value is not None and "\x00" in value]
    errors += [{"field": f"query.{name}", "message": "must not contain NUL characters"} for name in bad]
    if not errors:
        scope = Scope(**{k: v for k, v in filters.items() if v is not None}, by=by)
    if errors or period is None or scope is None:
        raise ApiProblem(422, "; ".join(e["message"] for e in errors), code="invalid_query", errors=errors)
    return period, scope


@router.get("/summary", summary="Every KPI of a period, in total and split by a case field")
def summary(
    request: Request,
    _: Annotated[Principal, Depends(reader)],
    since: Moment = None,
    until: Moment = None,
    by: Annotated[By | None, Query(description="Split the figures by this case field.")] = None,
    queue: Value = None,
    channel: Value = None,
    priority: Value = None,
    type: Value = None,
    owner: Value = None,
) -> JSONResponse:
    """The document `casehub report --format json` prints; definitions in docs/reporting.md."""
    reject_unknown_query(request, _SUMMARY_PARAMS)
    hub = hub_of(request)
    filters = {"queue": queue, "channel": channel, "priority": priority, "type": type, "owner": owner}
    period, scope = parse_query(hub, since, until, filters, by)
    return JSONResponse(report(hub, period, scope))


@router.get("/dashboard", summary="What /dashboard shows: KPI tiles with trend, daily series, cases at risk")
def dashboard_figures(
    request: Request,
    _: Annotated[Principal, Depends(reader)],
    since: Moment = None,
    until: Moment = None,
    queue: Value = None,
    channel: Value = None,
    priority: Value = None,
) -> JSONResponse:
    """Tiles with the previous period's values, per-day series, the at-risk and breached cases, filter choices."""
    reject_unknown_query(request, _DASHBOARD_PARAMS)
    hub = hub_of(request)
    period, scope = parse_query(hub, since, until, {"queue": queue, "channel": channel, "priority": priority})
    return JSONResponse(dashboard(hub, period, scope))


_SUMMARY_PARAMS, _DASHBOARD_PARAMS = query_names(summary), query_names(dashboard_figures)
