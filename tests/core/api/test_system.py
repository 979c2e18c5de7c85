"""Operational endpoints: health reflects the database, metrics move with traffic."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from casehub import hookimpl
from casehub.hub import Hub
from casehub.outbox import Delivery


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class Crm:
    @hookimpl
    def plan_deliveries(self, event):  # type: ignore[no-untyped-def]
        return [Delivery(destination="crm", action="upsert")]


def test_metrics_count_requests_by_route_template_cases_and_outbox(
    api: httpx.Client, hub: Hub, register_plugin: Callable[..., object]
) -> None:
    register_plugin(Crm(), "crm")
    for _ in range(3):
        api.post("/api/v1/cases", json={"subject": "hi"})
    api.get("/api/v1/cases/C-000001")
    api.get("/api/v1/cases/C-000002")
    api.get("/api/v1/cases/C-000404")

    text = api.get("/metrics").text
    assert metric(text, "casehub_cases_created_total") == 3
    assert metric(text, "casehub_http_requests_total", method="POST", route="/api/v1/cases", status="201") == 3
    assert metric(text, "casehub_http_requests_total", method="GET", route="/api/v1/cases/{ref}", status="200") == 2
    assert metric(text, "casehub_http_requests_total", method="GET", route="/api/v1/cases/{ref}", status="404") == 1
    assert metric(text, "casehub_outbox_rows", status="pending", destination="crm") == 3
    assert metric(text, "casehub_http_request_duration_seconds_count", method="POST", route="/api/v1/cases") == 3


def test_health_is_503_when_the_schema_is_gone(make_hub: Callable[..., Hub], serve) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub()
    with serve(hub) as client:
        assert client.get("/healthz").status_code == 200
        with hub.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "casehub db upgrade" in response.json()["database"]
