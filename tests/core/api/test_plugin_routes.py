"""Routes plugins mount get the app's limits, metrics and error shape, but no core authentication."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from casehub import hookimpl
from casehub.errors import IntakeRejected
from casehub.hub import Hub
from casehub.model import CaseDraft

ProblemOf = Callable[[httpx.Response, int], dict[str, Any]]
Serve = Callable[[Hub], AbstractContextManager[httpx.Client]]

SECRET = "postgres://admin:hunter2@db"


class Forms:
    @hookimpl
    def routes(self) -> APIRouter:
        router = APIRouter(prefix="/forms/contact")

        @router.post("")
        def submit(fields: dict[str, str]) -> dict[str, int]:
            return {"received": len(fields)}

        @router.get("/{form_id}/broken")
        def broken(form_id: str) -> None:
            raise RuntimeError(f"cannot reach {SECRET}")

        return router


def test_plugin_routes_are_public_but_limited_counted_and_fail_safely(
    make_hub: Callable[..., Hub], serve: Serve, problem_of: ProblemOf, caplog: pytest.LogCaptureFixture
) -> None:
    hub = make_hub({"server": {"max_body_bytes": 4096}}, plugins={"forms": Forms()})
    with serve(hub) as client, httpx.Client(base_url=str(client.base_url)) as anonymous:
        assert anonymous.post("/forms/contact", json={"name": "Ada"}).json() == {"received": 1}
        problem_of(anonymous.post("/forms/contact", json={"name": "x" * 5000}), 413)

        with caplog.at_level(logging.ERROR, logger="casehub.api"):
            failed = anonymous.get("/forms/contact/f1/broken")
            body = problem_of(failed, 500)
            assert body["detail"] == "something went wrong on our side; it has been logged"
            assert "hunter2" not in failed.text and "RuntimeError" not in failed.text
            # the connection survives the error: the next request on it is answered
            assert anonymous.post("/forms/contact", json={}).json() == {"received": 0}
        [record] = [r for r in caplog.records if r.name == "casehub.api"]
        assert record.getMessage() == "unhandled error on GET /forms/contact/f1/broken"
        assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])

        metrics = client.get("/metrics").text
    route = "/forms/contact/{form_id}/broken"
    assert f'casehub_http_requests_total{{method="GET",route="{route}",status="500"}} 1.0' in metrics
    assert 'route="unmatched",status="413"' in metrics  # refused before routing: the limit is the outermost layer


class NoSpam:
    @hookimpl
    def intake(self, draft: CaseDraft) -> CaseDraft | None:
        if "casino" in draft.subject.lower():
            raise IntakeRejected("nospam", "the subject looks like spam")
        return draft.model_copy(update={"tags": [*draft.tags, "checked"]})


def test_an_intake_plugin_changes_or_refuses_a_case_created_over_http(
    make_hub: Callable[..., Hub], serve: Serve, problem_of: ProblemOf
) -> None:
    hub = make_hub(plugins={"nospam": NoSpam()})
    with serve(hub) as api:
        refused = problem_of(api.post("/api/v1/cases", json={"subject": "Win at the CASINO"}), 422)
        assert (refused["code"], refused["detail"]) == (
            "intake_rejected", "rejected by plugin 'nospam': the subject looks like spam")
        assert api.get("/api/v1/cases").json()["items"] == []
        assert api.post("/api/v1/cases", json={"subject": "Lamp broken"}).json()["tags"] == ["checked"]
