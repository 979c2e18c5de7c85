"""Unauthenticated operational endpoints: health for load balancers, metrics for Prometheus."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from casehub.api.schemas import Health
from casehub.store import migrate

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["system"])


@router.get(
    "/healthz",
    summary="Is casehub able to serve? (checks the database)",
    responses={
        200: {"model": Health, "description": "Healthy"},
        503: {"model": Health, "description": "The database cannot be used"},
    },
)
def healthz(request: Request) -> JSONResponse:
    """Runs a query and checks the schema is current, so a load balancer stops sending work to a
    process whose database is unreachable or not yet migrated (`casehub db upgrade`)."""
    hub = request.app.state.hub
    try:
        with hub.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        migrate.ensure_ready(hub.engine)
    except Exception as exc:
        log.warning("health check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "database": str(exc).splitlines()[0][:200]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    """Request counts and latencies by route template, cases created, and the outbox depth by status
    and destination (counted when scraped, so a stuck destination shows at once)."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
