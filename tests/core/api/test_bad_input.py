"""Hostile and broken requests: each gets a clear 4xx problem document and writes nothing."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from casehub.store.tables import cases, events
from casehub.testing import LiveServer

VALID = {"subject": "Printer on fire", "contact": {"email": "ada@example.com"}}


@pytest.fixture
def nothing_written(live_server: LiveServer):  # type: ignore[no-untyped-def]
    yield
    with live_server.hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 0


def problem_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}
    assert body["status"] == status
    return body


def test_malformed_json_is_400_naming_the_position(api: httpx.Client, nothing_written: None) -> None:
    body = problem_of(api.post("/api/v1/cases", content=b'{"subject": "x",', headers={"content-type": "application/json"}), 400)
    assert body["code"] == "malformed_json" and "at character" in body["detail"]


def test_invalid_utf8_is_400(api: httpx.Client, nothing_written: None) -> None:
    raw = b'{"subject": "caf\xe9 \xff\xfe"}'
    body = problem_of(api.post("/api/v1/cases", content=raw, headers={"content-type": "application/json"}), 400)
    assert "UTF-8" in body["detail"]


def test_unknown_fields_and_wrong_types_name_every_field(api: httpx.Client, nothing_written: None) -> None:
    sent = {"subject": 42, "priorty": "high", "contact": {"email": "not-an-email", "nmae": "Ada"}, "tags": "vip"}
    body = problem_of(api.post("/api/v1/cases", json=sent), 422)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"subject", "priorty", "contact.email", "contact.nmae", "tags"}
    assert fields["priorty"] == "Extra inputs are not permitted"
    assert "not-an-email" not in str(body["errors"])  # rejected input is not echoed back


def test_missing_subject_and_empty_body(api: httpx.Client, nothing_written: None) -> None:
    assert problem_of(api.post("/api/v1/cases", json={}), 422)["errors"][0]["field"] == "subject"
    assert problem_of(api.post("/api/v1/cases", json={"subject": "   "}), 422)["errors"][0]["field"] == "subject"
    problem_of(api.post("/api/v1/cases", content=b"", headers={"content-type": "application/json"}), 422)
    problem_of(api.post("/api/v1/cases", json=["a", "list"]), 422)


def test_nul_bytes_are_refused(api: httpx.Client, nothing_written: None) -> None:
    body = problem_of(api.post("/api/v1/cases", json={"subject": "a\x00b"}), 422)
    assert body["errors"] == [{"field": "subject", "message": "Value error, must not contain NUL characters"}]
    problem_of(api.post("/api/v1/cases", json={**VALID, "custom_fields": {"sku": "x\x00"}}), 422)
    problem_of(api.get("/api/v1/cases", params={"q": "a\x00"}), 422)


def test_oversized_fields_are_422_and_a_10_mb_body_is_413(api: httpx.Client, nothing_written: None) -> None:
    assert problem_of(api.post("/api/v1/cases", json={"subject": "x" * 256}), 422)["errors"][0]["field"] == "subject"
    huge = {"subject": "big", "description": "x" * 10_000_000}
    body = problem_of(api.post("/api/v1/cases", json=huge), 413)
    assert body["code"] == "body_too_large" and "1048576 bytes" in body["detail"]


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(live_server: LiveServer, nothing_written: None) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"subject": "big", "description": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {live_server.token}"}) as client:
        response = client.post("/api/v1/cases", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    problem_of(response, 413)


def test_a_lying_content_length_does_not_hang_or_write(live_server: LiveServer, nothing_written: None) -> None:
    host = urlsplit(live_server.url)
    with socket.create_connection((host.hostname, host.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + live_server.token.encode() + b"\r\n"
                     b"Content-Length: 99999999999\r\n\r\n{}")
        assert sock.recv(100).startswith(b"HTTP/1.1 413")


def test_unknown_routes_and_methods_are_problems_too(api: httpx.Client) -> None:
    assert problem_of(api.get("/api/v1/nope"), 404)["detail"] == "no such endpoint; see /openapi.json"
    problem_of(api.delete("/api/v1/cases"), 405)


def test_patch_needs_the_version(api: httpx.Client) -> None:
    case = api.post("/api/v1/cases", json=VALID).json()
    body = problem_of(api.patch(f"/api/v1/cases/{case['id']}", json={"priority": "high"}), 422)
    assert body["errors"][0]["field"] == "version"
    assert api.get(f"/api/v1/cases/{case['id']}").json()["version"] == 1
