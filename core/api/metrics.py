"""Prometheus metrics, in a registry per app (never the process-global one, so tests can build many apps)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casehub.store.tables import outbox

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Metrics", "RequestMetrics"]

log = logging.getLogger(__name__)


_OUTBOX_DEPTH = select(outbox.c.status, outbox.c.destination, func.count()).group_by(
    outbox.c.status, outbox.c.destination
)


class _OutboxCollector(Collector):
    """Outbox depth read at scrape time with one GROUP BY, so the figure is never stale."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Without describe() the registry would run collect() (a query) when the app is built.
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        try:
            with self.hub.engine.connect() as conn:
                for status, destination, count in conn.execute(_OUTBOX_DEPTH):
                    family.add_metric([status, destination], count)
        except Exception as exc:  # the request metrics are worth having most when the database is down
            log.warning("outbox depth not available for /metrics: %s", str(exc).splitlines()[0][:200])
            return
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "casehub_outbox_rows", "Outbox rows by status and destination", labels=["status", "destination"]
        )


class Metrics:
    def __init__(self, hub: Hub) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "casehub_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        # By status too: a fast 401 or 404 must not hide how slow the successful requests are.
        self.latency = Histogram(
            "casehub_http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.cases_created = Counter("casehub_cases_created", "Cases created through the API", registry=self.registry)
        self.registry.register(_OutboxCollector(hub))


class RequestMetrics:
    """Counts requests by route template (``/api/v1/cases/{ref}``), not raw path, so label sets stay small."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template, str(status)).observe(time.perf_counter() - start)
