"""The case endpoints over real HTTP (uvicorn on 127.0.0.1), as an integration would use them."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from casehub.hub import Hub

NEW = {"subject": "Printer on fire", "priority": "high", "type": "problem",
       "contact": {"name": "Ada Lovelace", "email": "ada@example.com"}}


def create(api: httpx.Client, **overrides: object) -> dict:
    response = api.post("/api/v1/cases", json={**NEW, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_201_with_location_number_and_version(api: httpx.Client) -> None:
    response = api.post("/api/v1/cases", json=NEW)

    assert response.status_code == 201
    case = response.json()
    assert (case["number"], case["version"], case["status"], case["priority"]) == ("C-000001", 1, "new", "high")
    assert case["contact"] == {"name": "Ada Lovelace", "email": "ada@example.com", "phone": None,
                               "language": None, "preferred_channel": None}
    assert response.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert api.get(response.headers["location"]).json()["subject"] == "Printer on fire"


def test_read_by_id_or_number_with_etag(api: httpx.Client) -> None:
    case = create(api)

    by_number = api.get("/api/v1/cases/C-000001")
    assert by_number.json()["id"] == case["id"]
    assert by_number.headers["etag"] == '"1"'
    missing = api.get("/api/v1/cases/C-000042")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no case 'C-000042'"


def test_patch_with_version_then_stale_version_gets_409_and_changes_nothing(api: httpx.Client) -> None:
    case = create(api)

    ok = api.patch(f"/api/v1/cases/{case['id']}", json={"version": 1, "priority": "urgent", "tags": ["VIP"]})
    assert ok.status_code == 200
    assert (ok.json()["version"], ok.json()["priority"], ok.json()["tags"]) == (2, "urgent", ["vip"])

    stale = api.patch(f"/api/v1/cases/{case['id']}", json={"version": 1, "priority": "low"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current_version"] == 2
    assert api.get(f"/api/v1/cases/{case['id']}").json()["priority"] == "urgent"


def test_status_changes_follow_the_status_machine(api: httpx.Client) -> None:
    case = create(api)
    url = f"/api/v1/cases/{case['number']}/status"

    assert api.post(url, json={"status": "resolved"}).json()["status"] == "resolved"
    refused = api.post(url, json={"status": "pending"})
    assert refused.status_code == 409
    body = refused.json()
    assert (body["code"], body["current"], body["requested"], body["allowed"]) == (
        "invalid_transition", "resolved", "pending", ["closed", "open"])
    assert "allowed from 'resolved': closed, open" in body["detail"]
    assert api.post(url, json={"status": "closed", "version": 2}).json()["closed_at"] is not None
    assert api.post(url, json={"status": "open", "version": 1}).status_code == 409


def test_assign_and_comment_and_the_timeline(api: httpx.Client) -> None:
    case = create(api)
    ref = case["id"]

    assigned = api.post(f"/api/v1/cases/{ref}/assign", json={"queue": "billing", "owner": "bob"})
    assert (assigned.json()["queue"], assigned.json()["owner"]) == ("billing", "bob")
    assert api.post(f"/api/v1/cases/{ref}/assign", json={}).status_code == 422

    note = api.post(f"/api/v1/cases/{ref}/comments", json={"body": "checking logs"})
    reply = api.post(f"/api/v1/cases/{ref}/comments", json={"body": "Fixed!", "public": True, "author": "bob"})
    assert note.status_code == reply.status_code == 201
    assert reply.json()["case_version"] == 4
    comments = api.get(f"/api/v1/cases/{ref}/comments").json()
    assert [(c["body"], c["public"], c["author"]) for c in comments] == [
        ("checking logs", False, "api"), ("Fixed!", True, "bob")]
    assert api.get(f"/api/v1/cases/{ref}").json()["first_response_at"] is not None

    timeline = api.get(f"/api/v1/cases/{ref}/events").json()
    assert [e["type"] for e in timeline["items"]] == [
        "case.created", "case.updated", "case.assigned", "comment.added", "comment.added"]
    assert timeline["next_after"] is None
    first_two = api.get(f"/api/v1/cases/{ref}/events", params={"limit": 2}).json()
    rest = api.get(f"/api/v1/cases/{ref}/events", params={"after": first_two["next_after"]}).json()
    assert [e["id"] for e in first_two["items"] + rest["items"]] == [e["id"] for e in timeline["items"]]


def test_list_filters_and_walks_pages_by_cursor_and_link_header(api: httpx.Client) -> None:
    for n in range(25):
        create(api, subject=f"case {n}", priority="urgent" if n % 5 == 0 else "normal", queue=f"q{n % 2}")

    seen, url, params = [], "/api/v1/cases", {"limit": 7}
    while True:
        page = api.get(url, params=params)
        seen += [c["number"] for c in page.json()["items"]]
        if "link" not in page.headers:
            assert page.json()["next_cursor"] is None
            break
        url, params = page.headers["link"].split(";")[0].strip("<>"), None
        assert "limit=7" in url
    assert seen == [f"C-{n:06d}" for n in range(25, 0, -1)]

    urgent = api.get("/api/v1/cases", params={"priority": "urgent", "queue": "q0"}).json()["items"]
    assert [c["subject"] for c in urgent] == ["case 20", "case 10", "case 0"]
    both = api.get("/api/v1/cases", params=[("status", "new"), ("status", "open"), ("q", "case 1")]).json()["items"]
    assert len(both) == 11  # case 1, case 10..19
    assert api.get("/api/v1/cases", params={"cursor": "bogus"}).json()["errors"][0]["field"] == "query.cursor"
    assert api.get("/api/v1/cases", params={"limit": 1000}).status_code == 422
    bad_status = api.get("/api/v1/cases", params={"status": "done"})
    assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["field"] == "query.status.0"


def test_the_same_journey_on_postgresql(make_hub: Callable[..., Hub], any_database_url: str, serve) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub(database_url=any_database_url)
    with serve(hub) as api:
        case = create(api)
        api.patch(f"/api/v1/cases/{case['id']}", json={"version": 1, "status": "open"})
        assert api.patch(f"/api/v1/cases/{case['id']}", json={"version": 1, "status": "pending"}).status_code == 409
        api.post(f"/api/v1/cases/{case['id']}/comments", json={"body": "hello", "public": True})
        assert [c["number"] for c in api.get("/api/v1/cases", params={"status": "open"}).json()["items"]] == ["C-000001"]
        types = [e["type"] for e in api.get(f"/api/v1/cases/{case['id']}/events").json()["items"]]
        assert types == ["case.created", "case.updated", "case.status_changed", "comment.added"]
