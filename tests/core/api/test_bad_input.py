"""Hostile and broken requests: each gets a clear 4xx problem document and writes nothing."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from casehub.hub import Hub
from casehub.testing import LiveServer

ProblemOf = Callable[[httpx.Response, int], dict[str, Any]]
Rows = Callable[[], tuple[int, int]]
Serve = Callable[[Hub], AbstractContextManager[httpx.Client]]

VALID = {"subject": "Printer on fire", "contact": {"email": "ada@example.com"}}
JSON = {"content-type": "application/json"}


@pytest.fixture
def nothing_written(live_server: LiveServer, rows: Callable[[], tuple[int, int]]) -> Iterator[None]:
    yield
    assert rows() == (0, 0)


def test_malformed_json_is_400_naming_the_position(
    api: httpx.Client, problem_of: ProblemOf, nothing_written: None
) -> None:
    body = problem_of(api.post("/api/v1/cases", content=b'{"subject": "x",', headers=JSON), 400)
    assert body["code"] == "malformed_json" and "at character" in body["detail"]


def test_invalid_utf8_is_400(api: httpx.Client, problem_of: ProblemOf, nothing_written: None) -> None:
    body = problem_of(api.post("/api/v1/cases", content=b'{"subject": "caf\xe9 \xff\xfe"}', headers=JSON), 400)
    assert body["code"] == "malformed_body" and "UTF-8" in body["detail"]


def test_a_body_that_is_not_declared_json_is_415(
    api: httpx.Client, problem_of: ProblemOf, nothing_written: None
) -> None:
    form = api.post("/api/v1/cases", content=b'{"subject": "x"}',  # what curl -d sends without -H
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert problem_of(form, 415)["detail"] == "send the body as JSON with the header Content-Type: application/json"
    problem_of(api.post("/api/v1/cases", content=b'{"subject": "x"}', headers={"content-type": "text/plain"}), 415)
    problem_of(api.post("/api/v1/cases", content=b'{"subject": "x"}'), 415)


def test_unknown_fields_and_wrong_types_name_every_field(
    api: httpx.Client, problem_of: ProblemOf, nothing_written: None
) -> None:
    sent = {"subject": 42, "priorty": "high", "contact": {"email": "not-an-email", "nmae": "Ada"}, "tags": "vip",
            "priority": "asap"}
    body = problem_of(api.post("/api/v1/cases", json=sent), 422)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"subject", "priorty", "priority", "contact.email", "contact.nmae", "tags"}
    assert fields["priorty"] == "Extra inputs are not permitted"
    assert fields["priority"] == "Input should be 'low', 'normal', 'high' or 'urgent'"
    assert body["code"] == "validation_error" and body["detail"].endswith("; and 1 more in errors[]")
    assert "not-an-email" not in body["detail"] + str(body["errors"])  # rejected input is not echoed back


def test_missing_subject_and_empty_body(api: httpx.Client, problem_of: ProblemOf, nothing_written: None) -> None:
    assert problem_of(api.post("/api/v1/cases", json={}), 422)["errors"][0]["field"] == "subject"
    assert problem_of(api.post("/api/v1/cases", json={"subject": "   "}), 422)["errors"][0]["field"] == "subject"
    assert problem_of(api.post("/api/v1/cases", content=b"", headers=JSON), 422)["errors"][0]["field"] == "body"
    assert problem_of(api.post("/api/v1/cases", json=["a", "list"]), 422)["errors"][0]["field"] == "body"


def test_nul_bytes_are_refused(api: httpx.Client, problem_of: ProblemOf, nothing_written: None) -> None:
    body = problem_of(api.post("/api/v1/cases", json={"subject": "a\x00b"}), 422)
    assert body["errors"] == [{"field": "subject", "message": "must not contain NUL characters"}]
    assert body["code"] == "validation_error"
    assert problem_of(api.get("/api/v1/cases", params={"q": "a\x00"}), 422)["errors"] == [
        {"field": "query.q", "message": "must not contain NUL characters"}]
    assert problem_of(api.get("/api/v1/cases/C-1%00"), 404)["code"] == "not_found"


def test_values_postgresql_cannot_store_are_refused_before_the_write(
    make_hub: Callable[..., Hub], any_database_url: str, serve: Serve, problem_of: ProblemOf
) -> None:
    hub = make_hub(database_url=any_database_url)
    with serve(hub) as api:
        for value in (b"NaN", b"-Infinity", b"1e400"):
            raw = b'{"subject": "x", "custom_fields": {"n": ' + value + b"}}"
            body = problem_of(api.post("/api/v1/cases", content=raw, headers=JSON), 400)
            assert body["code"] == "malformed_json" and "not valid JSON" in body["detail"]
        nul = {"subject": "x", "external_links": [{"system": "jira", "id": "X-1", "url": "https://x/\x00"}],
               "custom_fields": {"sku\x00": 1, "note": "a\x00"}}
        assert problem_of(api.post("/api/v1/cases", json=nul), 422)["errors"] == [
            {"field": field, "message": "must not contain NUL characters"}
            for field in ("external_links.0.url", "custom_fields", "custom_fields.note")]
        big = {"subject": "x", "custom_fields": {"n": 1e300, "big": 10**30}}
        assert api.post("/api/v1/cases", json=big).status_code == 201
        assert api.post("/api/v1/cases", json={"subject": "a\\u0000 is how JSON writes NUL"}).status_code == 201
        assert problem_of(api.patch("/api/v1/cases/C-000001", content=b'{"version": 1, "custom_fields": {"n": NaN}}',
                                    headers=JSON), 400)
        assert [c["version"] for c in api.get("/api/v1/cases").json()["items"]] == [1, 1]


def test_a_reference_that_cannot_name_a_case_is_404(
    api: httpx.Client, problem_of: ProblemOf, nothing_written: None
) -> None:
    for ref in ("C-\u00b9", "\u0663", "C-1%00", "x" * 2000):  # superscript one and Arabic three pass str.isdigit()
        assert problem_of(api.get(f"/api/v1/cases/{ref}"), 404)["code"] == "not_found", ref
        problem_of(api.post(f"/api/v1/cases/{ref}/comments", json={"body": "hi"}), 404)
    assert problem_of(api.get("/api/v1/cases/" + "x" * 2000), 404)["detail"] == "no case with this id or number"


def test_oversized_fields_are_422_and_a_10_mb_body_is_413(
    api: httpx.Client, problem_of: ProblemOf, nothing_written: None
) -> None:
    assert problem_of(api.post("/api/v1/cases", json={"subject": "x" * 256}), 422)["errors"][0]["field"] == "subject"
    huge = {"subject": "big", "description": "x" * 10_000_000}
    body = problem_of(api.post("/api/v1/cases", json=huge), 413)
    assert body["code"] == "body_too_large" and "1048576 bytes" in body["detail"]


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(
    live_server: LiveServer, problem_of: ProblemOf, nothing_written: None
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"subject": "big", "description": "'
        for _ in range(1000):  # 10 MB
            yield b"x" * 10_000
        yield b'"}'

    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {live_server.token}"}) as client:
        response = client.post("/api/v1/cases", content=chunks(), headers=JSON)
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    assert problem_of(response, 413)["code"] == "body_too_large"


def test_a_lying_content_length_does_not_hang_or_write(live_server: LiveServer, nothing_written: None) -> None:
    host = urlsplit(live_server.url)
    with socket.create_connection((host.hostname, host.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + live_server.token.encode() + b"\r\n"
                     b"Content-Length: 99999999999\r\n\r\n{}")
        assert sock.recv(100).startswith(b"HTTP/1.1 413")


def test_unknown_routes_and_methods_are_problems_too(api: httpx.Client, problem_of: ProblemOf) -> None:
    assert problem_of(api.get("/api/v1/nope"), 404)["detail"] == "no such endpoint; see /openapi.json"
    refused = api.delete("/api/v1/cases")
    assert problem_of(refused, 405)["detail"] == "DELETE is not allowed on /api/v1/cases; allowed: GET, POST"
    assert refused.headers["allow"] == "GET, POST"


def test_query_parameters_out_of_range(api: httpx.Client, problem_of: ProblemOf) -> None:
    bad_cursor = problem_of(api.get("/api/v1/cases", params={"cursor": "bogus"}), 400)
    assert bad_cursor["code"] == "bad_cursor" and bad_cursor["errors"][0]["field"] == "query.cursor"
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "ten"}):
        assert problem_of(api.get("/api/v1/cases", params=params), 422)["errors"][0]["field"] == "query.limit"
    bad_status = problem_of(api.get("/api/v1/cases", params={"status": "done"}), 422)
    assert bad_status["errors"][0]["field"] == "query.status.0"
    misspelt = problem_of(api.get("/api/v1/cases", params={"stauts": "open", "queue": "billing"}), 422)
    assert misspelt["errors"] == [{"field": "query.stauts", "message": "Extra inputs are not permitted"}]
    api.post("/api/v1/cases", json=VALID)
    for params in ({"after": -1}, {"after": 2**63}, {"limit": 1001}):
        problem_of(api.get("/api/v1/cases/C-000001/events", params=params), 422)


REJECTED_CHANGES = [
    ("patch", "", {"priority": "high"}, "version"),
    ("patch", "", {"version": 1, "priorty": "high"}, "priorty"),
    ("patch", "", {"version": "one", "priority": "high"}, "version"),
    ("patch", "", {"version": 1, "status": "done"}, "status"),
    ("patch", "", {"version": 1, "contact": {"email": "nope"}}, "contact.email"),
    ("patch", "", {"version": 1, "subject": "a\x00b"}, "subject"),
    ("post", "/assign", {}, "body"),
    ("post", "/assign", {"queue": 5}, "queue"),
    ("post", "/assign", {"queue": "billing", "team": "b"}, "team"),
    ("post", "/status", {"status": "done"}, "status"),
    ("post", "/status", {"status": "open", "version": 0}, "version"),
    ("post", "/comments", {"body": "   "}, "body"),
    ("post", "/comments", {"body": "hi", "public": "maybe"}, "public"),
    ("post", "/comments", {"body": "hi", "internal": True}, "internal"),
]


@pytest.mark.parametrize(("method", "suffix", "sent", "field"), REJECTED_CHANGES)
def test_rejected_changes_name_the_field_and_leave_the_case_alone(
    api: httpx.Client, problem_of: ProblemOf, rows: Rows, method: str, suffix: str, sent: dict, field: str
) -> None:
    case = api.post("/api/v1/cases", json=VALID).json()
    before = rows()

    body = problem_of(api.request(method, f"/api/v1/cases/{case['number']}{suffix}", json=sent), 422)

    assert field in [e["field"] for e in body["errors"]]
    assert rows() == before
    assert api.get(f"/api/v1/cases/{case['id']}").json() == case


@pytest.mark.parametrize(("method", "suffix", "valid"), [
    ("patch", "", {"version": 1, "priority": "high"}),
    ("post", "/assign", {"queue": "billing"}),
    ("post", "/status", {"status": "open"}),
    ("post", "/comments", {"body": "hello"}),
])
def test_broken_and_oversized_bodies_on_a_case_change_nothing(
    api: httpx.Client, problem_of: ProblemOf, rows: Rows, method: str, suffix: str, valid: dict
) -> None:
    case = api.post("/api/v1/cases", json=VALID).json()
    before = rows()
    url = f"/api/v1/cases/{case['id']}{suffix}"

    broken = api.request(method, url, content=b'{"version": 1,', headers=JSON)
    assert problem_of(broken, 400)["code"] == "malformed_json"
    assert problem_of(api.request(method, url, json={**valid, "x": "x" * 2_000_000}), 413)["code"] == "body_too_large"
    assert problem_of(api.request(method, url, content=b"{}", headers={"content-type": "text/plain"}), 415)
    assert problem_of(api.request(method, f"/api/v1/cases/C-000404{suffix}", json=valid), 404)["code"] == "not_found"

    assert rows() == before
    assert api.get(f"/api/v1/cases/{case['id']}").json() == case
    assert api.request(method, url, json=valid).status_code in (200, 201)  # the same request, well-formed, works
