"""Operational endpoints: health reflects the database, metrics move with traffic."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
from sqlalchemy import update

from casehub import hookimpl
from casehub.hub import Hub
from casehub.outbox import Delivery
from casehub.store.tables import outbox

Serve = Callable[[Hub], AbstractContextManager[httpx.Client]]

def metric(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` whose labels include ``labels`` (0 if there is none)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class Crm:
    @hookimpl
    def plan_deliveries(self, event: Any) -> list[Delivery]:
        if event.type != "case.created":
            return []
        return [Delivery(destination="crm", action="upsert"), Delivery(destination="chat", action="post")]


def test_metrics_count_requests_by_route_template_cases_and_outbox(
    make_hub: Callable[..., Hub], any_database_url: str, serve
) -> None:
    hub = make_hub(database_url=any_database_url, plugins={"crm": Crm()})
    with serve(hub) as api:
        for _ in range(3):
            assert api.post("/api/v1/cases", json={"subject": "hi"}).status_code == 201
        api.post("/api/v1/cases", json={"subject": ""})
        api.get("/api/v1/cases/C-000001")
        api.get("/api/v1/cases/C-000002")
        api.get("/api/v1/cases/C-000404")
        api.get("/api/v1/no/such/thing")
        with hub.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == 1).values(status="dead"))

        text = api.get("/metrics").text

    assert metric(text, "casehub_cases_created_total") == 3
    requests = "casehub_http_requests_total"
    assert metric(text, requests, method="POST", route="/api/v1/cases", status="201") == 3
    assert metric(text, requests, method="POST", route="/api/v1/cases", status="422") == 1
    assert metric(text, requests, method="GET", route="/api/v1/cases/{ref}", status="200") == 2
    assert metric(text, requests, method="GET", route="/api/v1/cases/{ref}", status="404") == 1
    assert metric(text, requests, method="GET", route="unmatched", status="404") == 1
    assert "C-000001" not in text  # raw paths never become labels
    latency = "casehub_http_request_duration_seconds_count"
    assert metric(text, latency, method="POST", route="/api/v1/cases", status="201") == 3
    buckets = "casehub_http_request_duration_seconds_bucket"
    assert metric(text, buckets, route="/api/v1/cases", status="201", le="+Inf") == 3
    assert metric(text, "casehub_outbox_rows", status="pending", destination="crm") == 2
    assert metric(text, "casehub_outbox_rows", status="dead", destination="crm") == 1
    assert metric(text, "casehub_outbox_rows", status="pending", destination="chat") == 3
    # The oldest waiting delivery was created by the first request, moments ago.
    assert 0 < metric(text, "casehub_outbox_oldest_waiting_seconds", destination="crm") < 60


def test_metrics_are_per_app_and_survive_a_broken_database(make_hub: Callable[..., Hub], serve: Serve) -> None:
    first, second = make_hub(), make_hub()
    with serve(first) as api:
        api.post("/api/v1/cases", json={"subject": "hi"})
        with first.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE outbox")
        broken = api.get("/metrics")
    assert broken.status_code == 200
    assert broken.headers["content-type"].startswith("text/plain")
    assert metric(broken.text, "casehub_cases_created_total") == 1
    assert "casehub_outbox_rows{" not in broken.text

    with serve(second) as api:
        assert metric(api.get("/metrics").text, "casehub_cases_created_total") == 0


def test_health_needs_no_token_and_is_503_when_the_schema_is_gone(make_hub: Callable[..., Hub], serve: Serve) -> None:
    hub = make_hub()
    with serve(hub) as client, httpx.Client(base_url=str(client.base_url)) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok", "database": "ok"}
        with hub.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
        response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "casehub db upgrade" in response.json()["database"]


def test_openapi_documents_every_operation_with_its_models_and_problems(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    operations = {(m.upper(), path): op for path, ops in spec["paths"].items() for m, op in ops.items()}

    assert set(operations) == {
        ("POST", "/api/v1/cases"), ("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/{ref}"),
        ("PATCH", "/api/v1/cases/{ref}"), ("POST", "/api/v1/cases/{ref}/assign"),
        ("POST", "/api/v1/cases/{ref}/status"), ("POST", "/api/v1/cases/{ref}/comments"),
        ("GET", "/api/v1/cases/{ref}/comments"), ("GET", "/api/v1/cases/{ref}/events"),
        ("GET", "/api/v1/cases/{ref}/attachments/{attachment_id}"), ("GET", "/healthz"), ("GET", "/metrics"),
        ("GET", "/api/v1/reports/summary"), ("GET", "/api/v1/reports/dashboard"),
    }
    for (method, path), op in operations.items():
        assert op["summary"] and op.get("description"), (method, path)
        if path.startswith("/api/"):
            assert op["security"] == [{"bearerAuth": []}]
            assert op["responses"]["401"]["content"]["application/problem+json"]["schema"]["required"] == [
                "type", "title", "status", "detail", "code", "errors"]
    create = operations[("POST", "/api/v1/cases")]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CaseDraft"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Case"}
    assert set(create["responses"]["201"]["headers"]) == {"Location", "ETag"}
    assert "409" in operations[("PATCH", "/api/v1/cases/{ref}")]["responses"]
    assert "409" not in operations[("GET", "/api/v1/cases/{ref}")]["responses"]
