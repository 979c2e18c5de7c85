"""Bearer tokens: who may read, who may write, and what an unauthenticated caller learns."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from casehub.hub import Hub
from casehub.store.cases import CaseFilter
from casehub.testing import run_server

WRITER = "writer-token-0123456789"
READER = "reader-token-0123456789"


def test_tokens_missing_wrong_read_only_and_named_actors(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"api": {"tokens": [
        {"name": "crm-sync", "token": WRITER},
        {"name": "grafana", "token": READER, "read_only": True},
    ]}})
    with run_server(hub) as server, httpx.Client(base_url=server.url) as client:
        anonymous = client.get("/api/v1/cases")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        assert anonymous.json()["code"] == "missing_token"
        wrong = client.get("/api/v1/cases", headers={"Authorization": "Bearer " + WRITER[:-1] + "X"})
        assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_token")
        assert WRITER not in wrong.text

        created = client.post("/api/v1/cases", json={"subject": "hi"}, headers={"Authorization": f"Bearer {WRITER}"})
        assert created.status_code == 201
        read = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {READER}"})
        assert read.status_code == 200 and len(read.json()["items"]) == 1
        refused = client.post("/api/v1/cases", json={"subject": "hi"}, headers={"Authorization": f"Bearer {READER}"})
        assert (refused.status_code, refused.json()["code"]) == (403, "read_only_token")

    assert [e.actor for e in hub.service.events("C-000001")] == ["api:crm-sync"]
    assert len(hub.service.list(CaseFilter()).items) == 1


def test_without_configured_tokens_the_api_says_how_to_add_one(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"api": {"tokens": []}})
    with run_server(hub) as server, httpx.Client(base_url=server.url) as client:
        response = client.get("/api/v1/cases", headers={"Authorization": "Bearer anything-at-all-here"})
    assert response.status_code == 401
    assert "CASEHUB_API__TOKENS" in response.json()["detail"]


def test_health_and_metrics_need_no_token(live_server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
        assert client.get("/metrics").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "casehub"
