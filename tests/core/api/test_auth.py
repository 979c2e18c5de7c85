"""Bearer tokens: who may read, who may write, and what an unauthenticated caller learns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.store.cases import CaseFilter
from casehub.testing import LiveServer, run_server

ProblemOf = Callable[[httpx.Response, int], dict[str, Any]]

WRITER = "writer-token-0123456789"
READER = "reader-token-0123456789"
PLAIN = "plain-token-0123456789"

READS = [("get", "/api/v1/cases", None), ("get", "/api/v1/cases/C-000001", None),
         ("get", "/api/v1/cases/C-000001/comments", None), ("get", "/api/v1/cases/C-000001/events", None)]
WRITES = [("post", "/api/v1/cases", {"subject": "hi"}),
          ("patch", "/api/v1/cases/C-000001", {"version": 1, "priority": "high"}),
          ("post", "/api/v1/cases/C-000001/assign", {"queue": "billing"}),
          ("post", "/api/v1/cases/C-000001/status", {"status": "open"}),
          ("post", "/api/v1/cases/C-000001/comments", {"body": "hello"})]


@pytest.fixture
def server(make_hub: Callable[..., Hub]) -> Iterator[LiveServer]:
    hub = make_hub({"api": {"tokens": [
        {"name": "crm-sync", "token": WRITER},
        {"name": "grafana", "token": READER, "read_only": True},
        PLAIN,
    ]}})
    with run_server(hub) as server:
        yield server


def as_(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
def test_every_api_route_needs_a_valid_token(
    server: LiveServer, problem_of: ProblemOf, method: str, path: str, body: dict | None
) -> None:
    with httpx.Client(base_url=server.url) as client:
        client.post("/api/v1/cases", json={"subject": "seed"}, headers=as_(WRITER))
        before = client.get("/api/v1/cases/C-000001/events", headers=as_(WRITER)).json()

        for headers, code in [({}, "missing_token"), ({"Authorization": f"Basic {WRITER}"}, "missing_token"),
                              (as_(WRITER[:-1] + "X"), "invalid_token"), (as_(WRITER + "X"), "invalid_token")]:
            refused = client.request(method, path, json=body, headers=headers)
            problem = problem_of(refused, 401)
            assert problem["code"] == code
            assert refused.headers["www-authenticate"] == 'Bearer realm="casehub"'
            assert WRITER not in refused.text

        assert client.get("/api/v1/cases/C-000001/events", headers=as_(WRITER)).json() == before
        assert client.get("/api/v1/cases", headers=as_(WRITER)).json()["items"][0]["number"] == "C-000001"


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_read_only_token_reads_but_every_write_is_403(
    server: LiveServer, problem_of: ProblemOf, method: str, path: str, body: dict
) -> None:
    with httpx.Client(base_url=server.url, headers=as_(READER)) as client:
        server.hub.service.create(CaseDraft(subject="seed"), actor="test")
        for read_method, read_path, _ in READS:
            assert client.request(read_method, read_path).status_code == 200
        before = client.get("/api/v1/cases/C-000001/events").json()

        refused = problem_of(client.request(method, path, json=body), 403)

        assert (refused["code"], refused["detail"]) == (
            "read_only_token", "api:grafana has a read-only token and cannot change cases")
        assert client.get("/api/v1/cases/C-000001/events").json() == before
        assert [c["number"] for c in client.get("/api/v1/cases").json()["items"]] == ["C-000001"]


def test_callers_are_refused_on_their_token_before_their_body_is_read(
    server: LiveServer, problem_of: ProblemOf
) -> None:
    json = {"content-type": "application/json"}
    with httpx.Client(base_url=server.url) as client:
        for body in (b'{"subject":', b'{"subject": "a\\u0000"}', b"x" * 10_000_000):
            assert problem_of(client.post("/api/v1/cases", content=body, headers=json), 401)["code"] == "missing_token"
            refused = client.post("/api/v1/cases", content=body, headers={**json, **as_(READER)})
            assert problem_of(refused, 403)["code"] == "read_only_token"
        assert problem_of(client.get("/api/v1/no-such-route"), 401)["code"] == "missing_token"
    assert server.hub.service.list(CaseFilter()).items == []


def test_events_name_the_token_that_made_them(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        case = client.post("/api/v1/cases", json={"subject": "hi"}, headers=as_(WRITER)).json()
        client.post(f"/api/v1/cases/{case['id']}/comments", json={"body": "noted"}, headers=as_(PLAIN))
        events = client.get(f"/api/v1/cases/{case['id']}/events", headers=as_(READER)).json()["items"]
    assert [(e["type"], e["actor"]) for e in events] == [("case.created", "api:crm-sync"), ("comment.added", "api")]


def test_without_configured_tokens_the_api_says_how_to_add_one(
    make_hub: Callable[..., Hub], problem_of: ProblemOf
) -> None:
    hub = make_hub({"api": {"tokens": []}})
    with run_server(hub) as server, httpx.Client(base_url=server.url) as client:
        response = client.get("/api/v1/cases", headers=as_("anything-at-all-here"))
        created = client.post("/api/v1/cases", json={"subject": "hi"}, headers=as_("anything-at-all-here"))
        health = client.get("/healthz")
    body = problem_of(response, 401)
    assert body["code"] == "no_tokens_configured"
    assert "[api] tokens" in body["detail"] and "CASEHUB_API__TOKENS" in body["detail"]
    assert problem_of(created, 401)["code"] == "no_tokens_configured"
    assert health.status_code == 200
    assert hub.service.list(CaseFilter()).items == []


def test_health_metrics_and_the_schema_need_no_token(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
        assert client.get("/metrics").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "casehub"
