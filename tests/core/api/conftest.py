"""Helpers shared by the API tests: reading problem documents and counting what was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from casehub.hub import Hub
from casehub.store.tables import cases, events

ProblemOf = Callable[[httpx.Response, int], dict[str, Any]]


@pytest.fixture
def problem_of() -> ProblemOf:
    """``problem_of(response, status)``: assert an RFC 9457 document of the stable shape; return its body."""

    def check(response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body: dict[str, Any] = response.json()
        assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}
        assert body["status"] == status and body["detail"] and body["code"]
        assert all(set(e) == {"field", "message"} for e in body["errors"])
        return body

    return check


@pytest.fixture
def rows(hub: Hub) -> Callable[[], tuple[int, int]]:
    """``rows()``: how many cases and events ``hub``'s database holds."""

    def count() -> tuple[int, int]:
        with hub.engine.connect() as conn:
            n_cases = conn.execute(select(func.count()).select_from(cases)).scalar_one()
            n_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
        return n_cases, n_events

    return count
