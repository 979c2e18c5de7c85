"""Prometheus metrics, in a registry per app (never the process-global one, so tests can build many apps)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casehub import usage
from casehub.delivery import queue
from casehub.outbox import OutboxStatus as S

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Metrics", "RequestMetrics"]

log = logging.getLogger(__name__)


class _OutboxCollector(Collector):
    """The figures of ``casehub outbox stats``, read at scrape time, so they are never stale."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Without describe() the registry would run collect() (a query) when the app is built.
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows_family, age_family = self._families()
        try:
            with self.hub.engine.connect() as conn:
                rows = queue.stats(conn)
        except Exception as exc:  # the request metrics are worth having most when the database is down
            log.warning("outbox figures not available for /metrics: %s", str(exc).splitlines()[0][:200])
            return
        now = self.hub.clock()
        for row in rows:
            for status in (S.PENDING, S.IN_FLIGHT, S.FAILED, S.DEAD):
                rows_family.add_metric([status, row["destination"]], row[status])
            oldest = row["oldest"]
            age_family.add_metric([row["destination"]], (now - oldest).total_seconds() if oldest else 0.0)
        yield rows_family
        yield age_family

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "casehub_outbox_rows",
                "Deliveries not yet delivered, by status (pending, in_flight, failed, dead) and destination",
                labels=["status", "destination"],
            ),
            GaugeMetricFamily(
                "casehub_outbox_oldest_waiting_seconds",
                "Age of the oldest delivery still waiting (pending, in flight or failed), by destination",
                labels=["destination"],
            ),
        )


class _UsageCollector(Collector):
    """Vendors' API allowances as their last responses reported them (see :mod:`casehub.usage`)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        used, limit = self._families()
        try:
            rows = usage.read(self.hub.engine)
        except Exception as exc:
            log.warning("vendor usage not available for /metrics: %s", str(exc).splitlines()[0][:200])
            return
        for row in rows:
            used.add_metric([row.vendor], row.used)
            limit.add_metric([row.vendor], row.limit)
        yield used
        yield limit

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "casehub_vendor_api_requests_used", "API requests used in the vendor's current period", labels=["vendor"]
            ),
            GaugeMetricFamily(
                "casehub_vendor_api_requests_limit", "API requests allowed in the vendor's period", labels=["vendor"]
            ),
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
        self.registry.register(_UsageCollector(hub))


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
