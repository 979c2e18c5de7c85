"""The case endpoints over real HTTP (uvicorn on 127.0.0.1), as an integration would use them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx

from casehub.hub import Hub

ProblemOf = Callable[[httpx.Response, int], dict[str, Any]]
Serve = Callable[[Hub], AbstractContextManager[httpx.Client]]

NEW = {"subject": "Printer on fire", "priority": "high", "type": "problem",
       "contact": {"name": "Ada Lovelace", "email": "ada@example.com"}}


def create(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/v1/cases", json={**NEW, **overrides})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_returns_201_with_location_number_version_and_a_first_event(api: httpx.Client, hub: Hub) -> None:
    response = api.post("/api/v1/cases", json={**NEW, "tags": ["VIP", "vip"], "custom_fields": {"sku": "A-1"}})

    assert response.status_code == 201
    case = response.json()
    assert (case["number"], case["version"], case["status"], case["priority"]) == ("C-000001", 1, "new", "high")
    assert (case["channel"], case["tags"], case["custom_fields"]) == ("api", ["vip"], {"sku": "A-1"})
    assert case["contact"] == {"name": "Ada Lovelace", "email": "ada@example.com", "phone": None,
                               "language": None, "preferred_channel": None}
    assert response.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert response.headers["etag"] == '"1"'
    assert api.get(response.headers["location"]).json() == case
    [event] = hub.service.events(case["id"])
    assert (event.type, event.actor, event.data["subject"]) == ("case.created", "api", "Printer on fire")


def test_read_by_id_or_number_with_etag(api: httpx.Client, problem_of: ProblemOf) -> None:
    case = create(api)

    for ref in (case["id"], "C-000001", "c-1"):
        response = api.get(f"/api/v1/cases/{ref}")
        assert response.json() == case
        assert response.headers["etag"] == '"1"'
    missing = problem_of(api.get("/api/v1/cases/C-000042"), 404)
    assert (missing["code"], missing["detail"]) == ("not_found", "no case 'C-000042'")
    problem_of(api.get("/api/v1/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404)


def test_patch_changes_and_clears_fields_then_a_stale_version_gets_409_and_changes_nothing(
    api: httpx.Client, problem_of: ProblemOf, hub: Hub
) -> None:
    case = create(api, owner="bob")
    url = f"/api/v1/cases/{case['id']}"

    ok = api.patch(url, json={"version": 1, "priority": "urgent", "tags": ["VIP"], "owner": None})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    changed = ok.json()
    assert (changed["version"], changed["priority"], changed["tags"], changed["owner"]) == (2, "urgent", ["vip"], None)
    assert changed["subject"] == case["subject"]  # fields not sent are kept

    stale = problem_of(api.patch(url, json={"version": 1, "priority": "low"}), 409)
    assert (stale["code"], stale["current_version"]) == ("version_conflict", 2)
    assert "you sent version 1, it is now at version 2" in stale["detail"]
    assert api.get(url).json() == changed
    assert [e.type for e in hub.service.events(case["id"])] == ["case.created", "case.updated", "case.assigned"]


def test_status_changes_follow_the_status_machine(api: httpx.Client, problem_of: ProblemOf) -> None:
    case = create(api)
    url = f"/api/v1/cases/{case['number']}/status"

    resolved = api.post(url, json={"status": "resolved"})
    assert (resolved.status_code, resolved.json()["status"], resolved.headers["etag"]) == (200, "resolved", '"2"')
    assert resolved.json()["resolved_at"] is not None
    refused = problem_of(api.post(url, json={"status": "pending"}), 409)
    assert (refused["code"], refused["current"], refused["requested"], refused["allowed"]) == (
        "invalid_transition", "resolved", "pending", ["closed", "open"])
    assert "allowed from 'resolved': closed, open" in refused["detail"]
    stale = problem_of(api.post(url, json={"status": "closed", "version": 1}), 409)
    assert stale["current_version"] == 2
    assert api.post(url, json={"status": "closed", "version": 2}).json()["closed_at"] is not None
    final = problem_of(api.post(url, json={"status": "open"}), 409)
    assert (final["current"], final["allowed"]) == ("closed", [])
    assert api.get(f"/api/v1/cases/{case['id']}").json()["status"] == "closed"


def test_assign_sets_and_clears_queue_and_owner(api: httpx.Client, problem_of: ProblemOf) -> None:
    ref = create(api)["id"]
    url = f"/api/v1/cases/{ref}/assign"

    both = api.post(url, json={"queue": "billing", "owner": "bob"}).json()
    assert (both["queue"], both["owner"], both["version"]) == ("billing", "bob", 2)
    owner_only = api.post(url, json={"owner": "eve", "version": 2}).json()
    assert (owner_only["queue"], owner_only["owner"]) == ("billing", "eve")
    cleared = api.post(url, json={"owner": None}).json()
    assert (cleared["queue"], cleared["owner"], cleared["version"]) == ("billing", None, 4)

    stale = problem_of(api.post(url, json={"queue": "sales", "version": 2}), 409)
    assert stale["current_version"] == 4
    assert api.get(f"/api/v1/cases/{ref}").json()["queue"] == "billing"
    assert problem_of(api.post(url, json={}), 422)["errors"][0]["message"] == "give queue, owner or both"


def test_comments_and_the_timeline(api: httpx.Client, problem_of: ProblemOf) -> None:
    ref = create(api)["id"]
    api.post(f"/api/v1/cases/{ref}/assign", json={"queue": "billing"})

    note = api.post(f"/api/v1/cases/{ref}/comments", json={"body": "checking logs"})
    reply = api.post(f"/api/v1/cases/{ref}/comments", json={"body": "Fixed!", "public": True, "author": "bob"})
    assert note.status_code == reply.status_code == 201
    assert set(reply.json()) == {"id", "case_id", "body", "public", "author", "at", "case_version"}
    assert (reply.json()["case_id"], reply.json()["case_version"]) == (ref, 4)
    comments = api.get("/api/v1/cases/C-000001/comments").json()
    assert [(c["body"], c["public"], c["author"]) for c in comments] == [
        ("checking logs", False, "api"), ("Fixed!", True, "bob")]
    assert comments[1]["id"] == reply.json()["id"]
    assert api.get(f"/api/v1/cases/{ref}").json()["first_response_at"] == reply.json()["at"]

    timeline = api.get(f"/api/v1/cases/{ref}/events").json()
    assert [e["type"] for e in timeline["items"]] == [
        "case.created", "case.updated", "case.assigned", "comment.added", "comment.added"]
    assert {e["actor"] for e in timeline["items"]} == {"api"}
    assert timeline["next_after"] is None
    first_two = api.get(f"/api/v1/cases/{ref}/events", params={"limit": 2}).json()
    rest = api.get(f"/api/v1/cases/{ref}/events", params={"after": first_two["next_after"]}).json()
    assert [e["id"] for e in first_two["items"] + rest["items"]] == [e["id"] for e in timeline["items"]]
    for path in ("comments", "events"):
        problem_of(api.get(f"/api/v1/cases/C-000404/{path}"), 404)


def walk(api: httpx.Client, params: dict[str, Any], *, by_link: bool) -> list[str]:
    """Every case number of a listing, page after page."""
    seen: list[str] = []
    url, query = "/api/v1/cases", params
    while True:
        page = api.get(url, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [c["number"] for c in body["items"]]
        if body["next_cursor"] is None:
            assert "link" not in page.headers
            return seen
        if by_link:
            url, query = page.headers["link"].removesuffix('; rel="next"').strip("<>"), None
        else:
            query = {**params, "cursor": body["next_cursor"]}


def test_pages_walk_every_case_once_by_cursor_or_link_header(api: httpx.Client) -> None:
    for n in range(25):
        create(api, subject=f"case {n}", priority="urgent" if n % 5 == 0 else "normal")
    everything = [f"C-{n:06d}" for n in range(25, 0, -1)]

    assert walk(api, {"limit": 7}, by_link=False) == everything
    assert walk(api, {"limit": 7}, by_link=True) == everything
    assert walk(api, {"limit": 25}, by_link=False) == everything
    assert walk(api, {"limit": 2, "priority": "urgent"}, by_link=True) == ["C-000021", "C-000016", "C-000011",
                                                                              "C-000006", "C-000001"]
    first = api.get("/api/v1/cases", params={"limit": 10})
    assert first.headers["link"] == f'</api/v1/cases?limit=10&cursor={first.json()["next_cursor"]}>; rel="next"'


def test_a_new_case_arriving_while_paging_neither_repeats_nor_hides_one(api: httpx.Client) -> None:
    for n in range(6):
        create(api, subject=f"case {n}")
    first = api.get("/api/v1/cases", params={"limit": 3}).json()
    create(api, subject="late arrival")
    second = api.get("/api/v1/cases", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [c["number"] for c in first["items"] + second["items"]] == [f"C-{n:06d}" for n in range(6, 0, -1)]


def test_filters_combine_with_and_and_repeat_with_or(api: httpx.Client) -> None:
    create(api, subject="Invoice wrong", type="question", channel="email", queue="billing", owner="bob",
           contact={"email": "Ada@Example.com"}, account={"name": "Acme Corp"})
    create(api, subject="Lamp broken", type="problem", channel="web", queue="support", priority="urgent",
           contact={"email": "grace@example.org"})
    third = create(api, subject="Great app", type="feedback", channel="chat", queue="billing", priority="low",
                   contact={})
    api.post(f"/api/v1/cases/{third['id']}/status", json={"status": "open"})

    def numbers(params: Any) -> list[str]:
        response = api.get("/api/v1/cases", params=params)
        assert response.status_code == 200, response.text
        return [c["number"] for c in response.json()["items"]]

    assert numbers({"queue": "billing"}) == ["C-000003", "C-000001"]
    assert numbers({"queue": "billing", "status": "new"}) == ["C-000001"]
    assert numbers([("status", "new"), ("status", "open")]) == ["C-000003", "C-000002", "C-000001"]
    assert numbers([("priority", "urgent"), ("priority", "low")]) == ["C-000003", "C-000002"]
    assert numbers([("type", "problem"), ("type", "feedback")]) == ["C-000003", "C-000002"]
    assert numbers({"channel": "email"}) == ["C-000001"]
    assert numbers({"owner": "bob"}) == ["C-000001"]
    assert numbers({"contact_email": "ada@EXAMPLE.com"}) == ["C-000001"]
    assert numbers({"q": "acme"}) == ["C-000001"]  # account name
    assert numbers({"q": "lamp"}) == ["C-000002"]
    assert numbers({"q": "100%_"}) == []  # LIKE wildcards are literal
    assert numbers({"queue": "nobody"}) == []


def test_the_default_page_size_comes_from_the_config(make_hub: Callable[..., Hub], serve: Serve) -> None:
    hub = make_hub({"api": {"page_size": 3}})
    with serve(hub) as api:
        for n in range(4):
            create(api, subject=f"case {n}")
        page = api.get("/api/v1/cases").json()
    assert len(page["items"]) == 3 and page["next_cursor"] is not None


def test_every_route_family_on_sqlite_and_postgresql(
    make_hub: Callable[..., Hub], any_database_url: str, serve: Serve, problem_of: ProblemOf
) -> None:
    hub = make_hub(database_url=any_database_url)
    with serve(hub) as api:
        case = create(api)
        for n in range(4):
            create(api, subject=f"other {n}", priority="low")
        ref = case["id"]
        assert api.get("/api/v1/cases/C-000001").json() == case

        url = f"/api/v1/cases/{ref}"
        assert api.patch(url, json={"version": 1, "subject": "Printer still on fire"}).status_code == 200
        assert problem_of(api.patch(url, json={"version": 1, "subject": "x"}), 409)["current_version"] == 2
        assert api.post(f"{url}/assign", json={"queue": "hardware", "owner": "bob"}).json()["version"] == 3
        assert api.post(f"/api/v1/cases/{ref}/status", json={"status": "open", "version": 3}).json()["status"] == "open"
        refused = problem_of(api.post(f"/api/v1/cases/{ref}/status", json={"status": "new"}), 409)
        assert refused["allowed"] == ["closed", "on_hold", "pending", "resolved"]
        assert api.post(f"/api/v1/cases/{ref}/comments", json={"body": "hello", "public": True}).status_code == 201
        assert [c["body"] for c in api.get(f"/api/v1/cases/{ref}/comments").json()] == ["hello"]

        assert walk(api, {"limit": 2}, by_link=True) == [f"C-{n:06d}" for n in range(5, 0, -1)]
        assert walk(api, {"status": "open", "queue": "hardware", "q": "STILL"}, by_link=False) == ["C-000001"]
        assert problem_of(api.get("/api/v1/cases", params={"cursor": "x"}), 400)["code"] == "bad_cursor"
        types = [e["type"] for e in api.get(f"/api/v1/cases/{ref}/events").json()["items"]]
        assert types == ["case.created", "case.updated", "case.updated", "case.assigned", "case.updated",
                         "case.status_changed", "comment.added"]
        assert problem_of(api.get("/api/v1/cases/no%00such"), 404)["code"] == "not_found"
        assert api.get("/healthz").json() == {"status": "ok", "database": "ok"}
