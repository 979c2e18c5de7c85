"""The Jira fake, driven by the real ``jira`` client (``jira.JIRA``) over real HTTP.

What is checked is what the Jira plugin will rely on: the client's URLs, pagination and error handling
line up with the fake's answers (Cloud and Server/Data Center), and the fake refuses what Jira refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from jira import JIRA, JIRAError

from casehub.fakes.jira import MAX_BULK, JiraFake
from casehub.fakes.jql import JqlError, compile_jql, parse_date, text_matches, tokenize

JIRA_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000"


class Clock:
    """The site's clock: set by the test, moved forward by ``advance``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Receiver:
    """A webhook endpoint on 127.0.0.1 that keeps each request's raw body and headers."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.received.append((dict(self.headers), raw))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/jira"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"expected {count} webhooks, got {len(self.received)}")
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def fake(clock: Clock) -> Iterator[JiraFake]:
    with JiraFake(clock=clock) as jira_fake:
        yield jira_fake


@pytest.fixture
def server_fake(clock: Clock) -> Iterator[JiraFake]:
    with JiraFake(deployment="Server", clock=clock) as jira_fake:
        yield jira_fake


def connect(fake: JiraFake, **options: Any) -> JIRA:
    if fake.deployment == "Server" and "basic_auth" not in options:
        options.setdefault("token_auth", fake.pat)
    else:
        options.setdefault("basic_auth", (fake.email, fake.api_token))
    return JIRA(server=fake.url, **options)


@pytest.fixture
def jira(fake: JiraFake) -> Iterator[JIRA]:
    client = connect(fake, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def server_jira(server_fake: JiraFake) -> Iterator[JIRA]:
    client = connect(server_fake, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def feedback(summary: str, **fields: Any) -> dict[str, Any]:
    """Fields for create_issue(s): project and type as dicts, so the client does not look them up first."""
    return {"project": {"key": "FEED"}, "issuetype": {"name": "Feedback"}, "summary": summary, **fields}


def bulk(jira: JIRA, count: int, prefix: str = "Feedback") -> None:
    for start in range(0, count, MAX_BULK):
        batch = [feedback(f"{prefix} {n}") for n in range(start, min(start + MAX_BULK, count))]
        assert all(r["status"] == "Success" for r in jira.create_issues(batch, prefetch=False))


# -- connecting ---------------------------------------------------------------------------------------------


def test_cloud_basic_auth_and_server_info(fake: JiraFake, jira: JIRA) -> None:
    assert jira.deploymentType == "Cloud" and jira._is_cloud
    first = fake.requests[0]
    assert (first.method, first.path) == ("GET", "/rest/api/2/serverInfo")
    assert (first.header("Authorization") or "").startswith("Basic ")
    me = jira.myself()
    assert me["accountId"] == fake.account_id and me["emailAddress"] == fake.email
    assert jira.current_user() == fake.account_id  # Cloud: accountId, never a username
    assert [p.key for p in jira.projects()] == ["FEED"]
    project = jira.project("FEED")
    assert project.name == "Product feedback"
    assert [t.name for t in project.issueTypes] == ["Task", "Bug", "Story", "Feedback"]
    assert {c.name for c in jira.project_components("FEED")} >= {"Mobile app", "Web app"}


def test_server_token_auth(server_fake: JiraFake, server_jira: JIRA) -> None:
    assert server_jira.deploymentType == "Server"
    assert server_fake.requests[0].header("Authorization") == f"Bearer {server_fake.pat}"
    assert server_jira.myself()["name"] == server_fake.username
    assert server_jira.current_user() == server_fake.username
    # Basic auth with a username (and the password, here the api token) also works on Server.
    basic = connect(server_fake, basic_auth=(server_fake.username, server_fake.api_token))
    assert basic.myself()["name"] == server_fake.username
    basic.close()


def test_bad_credentials_are_401(fake: JiraFake, server_fake: JiraFake) -> None:
    with pytest.raises(JIRAError) as caught:
        JIRA(server=fake.url, basic_auth=(fake.email, "not-the-token"), max_retries=0)
    assert caught.value.status_code == 401
    assert caught.value.text == "Client must be authenticated to access this resource."
    with pytest.raises(JIRAError) as caught:
        JIRA(server=fake.url, token_auth=fake.api_token, max_retries=0)  # Cloud has no bearer PATs
    assert caught.value.status_code == 401
    with pytest.raises(JIRAError) as caught:
        JIRA(server=server_fake.url, token_auth="wrong", max_retries=0)
    assert caught.value.status_code == 401
    assert caught.value.response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


# -- creating issues ------------------------------------------------------------------------------------------


def test_create_issue_with_labels_components_priority_and_custom_field(fake: JiraFake, jira: JIRA,
                                                                       clock: Clock) -> None:  # fmt: skip
    tier = fake.add_custom_field("Customer tier")
    seats = fake.add_custom_field("Seats", type="number")
    issue = jira.create_issue(project="FEED", issuetype="Feedback", summary="Dark mode, please",
                              description="Customer asks for a dark theme.", labels=["casehub", "ui"],
                              components=[{"name": "Web app"}], priority={"name": "High"},
                              **{tier: "gold", seats: 40})  # fmt: skip
    assert issue.key == "FEED-1"
    f = issue.fields
    assert (f.summary, f.description, f.labels) == ("Dark mode, please", "Customer asks for a dark theme.",
                                                    ["casehub", "ui"])  # fmt: skip
    assert [c.name for c in f.components] == ["Web app"] and f.priority.name == "High"
    assert getattr(f, tier) == "gold" and getattr(f, seats) == 40
    assert f.issuetype.name == "Feedback" and f.project.key == "FEED"
    assert f.status.name == "To Do" and f.status.statusCategory.key == "new" and f.resolution is None
    assert re.fullmatch(JIRA_TIME, f.created) and f.created == f.updated == "2026-11-25T09:00:00.000+0000"
    assert f.reporter.accountId == fake.account_id
    assert issue.self == f"{fake.url}/rest/api/2/issue/{issue.id}"
    # The client resolved "FEED" and "Feedback" to ids with two lookups before the POST.
    post = next(r for r in fake.requests if r.method == "POST")
    assert post.body["fields"]["project"] == {"id": "10000"} and post.body["fields"]["issuetype"] == {"id": "10004"}
    assert jira.create_issue(fields=feedback("Second")).key == "FEED-2"
    assert jira.create_issue(fields=feedback("Defaults")).fields.priority.name == "Medium"


def test_create_refuses_missing_unknown_and_invalid_fields(fake: JiraFake, jira: JIRA) -> None:
    with pytest.raises(JIRAError) as caught:
        jira.create_issue(project={"key": "FEED"}, issuetype={"name": "Task"})
    assert caught.value.status_code == 400 and caught.value.text == "You must specify a summary of the issue."
    body = caught.value.response.json()
    assert body == {"errorMessages": [], "errors": {"summary": "You must specify a summary of the issue."}}
    with pytest.raises(JIRAError) as caught:
        jira.create_issue(fields=feedback("x", assignee={"name": "bob"}))
    assert caught.value.text == "Field 'assignee' cannot be set. It is not on the appropriate screen, or unknown."
    for bad, message in [({"labels": ["two words"]}, "The label 'two words' contains spaces which is invalid."),
                         ({"components": [{"name": "Nope"}]}, "Component name 'Nope' is not valid"),
                         ({"summary": "a\nb"}, "The summary is invalid because it contains newline characters."),
                         ({"description": {"type": "doc", "version": 1, "content": []}},
                          "Operation value must be a string")]:  # fmt: skip
        with pytest.raises(JIRAError) as caught:
            jira.create_issue(fields={**feedback("x"), **bad})
        assert caught.value.text == message
    fake.require_field("FEED", "Bug", "components")
    required = fake.add_custom_field("Case link", required=True)
    with pytest.raises(JIRAError) as caught:
        jira.create_issue(fields={**feedback("x"), "issuetype": {"name": "Bug"}})
    assert caught.value.response.json()["errors"] == {"components": "Component/s is required.",
                                                      required: "Case link is required."}  # fmt: skip
    assert fake.issues() == []


def test_bulk_create_50_and_refuse_51(fake: JiraFake, jira: JIRA) -> None:
    results = jira.create_issues([feedback(f"Item {n}") for n in range(MAX_BULK)], prefetch=False)
    assert [r["issue"].key for r in results] == [f"FEED-{n}" for n in range(1, 51)]
    fifty_one = {"issueUpdates": [{"fields": feedback(f"More {n}")} for n in range(51)]}
    with pytest.raises(JIRAError) as caught:
        jira._session.post(jira._get_url("issue/bulk"), data=json.dumps(fifty_one))
    assert caught.value.status_code == 400 and "The maximum is 50" in caught.value.text
    # The client cannot read that refusal: create_issues() crashes looking for "issues". Chunk to 50.
    with pytest.raises(KeyError):
        jira.create_issues([feedback(f"More {n}") for n in range(51)], prefetch=False)
    assert len(fake.issues()) == 50
    # Per-item errors come back with failedElementNumber; the valid items are created anyway.
    mixed = jira.create_issues([feedback("ok"), feedback(""), feedback("also ok")], prefetch=False)
    assert [r["status"] for r in mixed] == ["Success", "Error", "Success"]
    assert mixed[1]["error"] == {"summary": "You must specify a summary of the issue."}
    bulk_reply = fake.requests[-1]
    assert bulk_reply.status == 201


# -- reading and searching --------------------------------------------------------------------------------


def test_unknown_issue_is_404(jira: JIRA) -> None:
    with pytest.raises(JIRAError) as caught:
        jira.issue("FEED-999")
    assert caught.value.status_code == 404
    assert caught.value.text == "Issue does not exist or you do not have permission to see it."


def test_search_updated_since_and_order_by(fake: JiraFake, jira: JIRA, clock: Clock) -> None:
    for summary in ("Crashes on login", "Dark mode", "Export to CSV"):
        jira.create_issue(fields=feedback(summary, labels=["casehub"]))
        clock.advance(minutes=30)  # FEED-1 at 09:00, FEED-2 at 09:30, FEED-3 at 10:00; now 10:30
    fake.edit("FEED-1", summary="Crashes on login (iOS)")  # a product person: FEED-1 updated at 10:30
    since = jira.search_issues('project = FEED AND updated >= "2026-11-25 10:00" ORDER BY updated ASC, key')
    assert [i.key for i in since] == ["FEED-3", "FEED-1"]
    assert [i.key for i in jira.search_issues("project = FEED AND updated >= -45m ORDER BY key DESC")] == [
        "FEED-3", "FEED-1"]  # fmt: skip
    assert [i.key for i in jira.search_issues("project = FEED AND created < 2026-11-25 ORDER BY key")] == []
    assert [i.key for i in jira.search_issues("created >= '2026/11/25 09:30' ORDER BY created DESC")] == [
        "FEED-3", "FEED-2"]  # fmt: skip
    assert [i.key for i in jira.search_issues('text ~ "crash" AND labels = casehub')] == ["FEED-1"]
    assert [i.key for i in jira.search_issues('summary ~ "dark" OR key in (FEED-3) ORDER BY key')] == [
        "FEED-2", "FEED-3"]  # fmt: skip
    fake.transition("FEED-2", "Done")
    fake.transition("FEED-3", "Start progress")
    assert [i.key for i in jira.search_issues("project = FEED AND statusCategory != Done ORDER BY key")] == [
        "FEED-1", "FEED-3"]  # fmt: skip
    assert [i.key for i in jira.search_issues('status in ("In Progress", Done) ORDER BY status DESC')] == [
        "FEED-2", "FEED-3"]  # fmt: skip
    assert [i.key for i in jira.search_issues("resolution is EMPTY AND NOT status = 'To Do'")] == ["FEED-3"]
    # != never matches an empty field, as in Jira: unresolved issues are not "resolution != Duplicate".
    assert [i.key for i in jira.search_issues("project = FEED AND resolution != Duplicate")] == ["FEED-2"]
    search = [r for r in fake.requests if "search" in r.path][0]
    assert search.path == "/rest/api/2/search/jql"  # Cloud: the enhanced search


def test_cloud_pagination_with_next_page_token(fake: JiraFake, jira: JIRA) -> None:
    bulk(jira, 120)
    fake.clear_requests()
    everything = jira.search_issues("project = FEED ORDER BY key", maxResults=False)
    assert [i.key for i in everything] == [f"FEED-{n}" for n in range(1, 121)]
    pages = [r for r in fake.requests if r.path == "/rest/api/2/search/jql"]
    assert [r.query.get("nextPageToken") is None for r in pages] == [True, False]
    first = jira.search_issues("project = FEED ORDER BY key", maxResults=50)
    assert len(first) == 50 and first.nextPageToken
    second = jira.enhanced_search_issues("project = FEED ORDER BY key", nextPageToken=first.nextPageToken,
                                         maxResults=50)  # fmt: skip
    assert second[0].key == "FEED-51"
    raw = jira.enhanced_search_issues("project = FEED ORDER BY key", nextPageToken=second.nextPageToken,
                                      maxResults=50, json_result=True)  # fmt: skip
    assert len(raw["issues"]) == 20 and raw["isLast"] is True and "nextPageToken" not in raw and "total" not in raw
    # Cloud's client refuses startAt: the classic search is not the way there.
    with pytest.raises(JIRAError, match="deprecated"):
        jira.search_issues("project = FEED", startAt=50)
    with pytest.raises(JIRAError) as caught:
        jira.search_issues("ORDER BY created")  # /search/jql refuses unbounded queries
    assert caught.value.status_code == 400 and "Unbounded JQL" in caught.value.text


def test_server_pagination_with_start_at(server_fake: JiraFake, server_jira: JIRA) -> None:
    bulk(server_jira, 120)
    server_fake.clear_requests()
    everything = server_jira.search_issues("project = FEED ORDER BY key", maxResults=False)
    assert len(everything) == 120 and everything.total == 120
    pages = [r for r in server_fake.requests if r.path == "/rest/api/2/search"]
    assert [(r.query.get("startAt"), r.query.get("maxResults")) for r in pages] == [(["0"], ["100"]),
                                                                                  (["100"], ["100"])]  # fmt: skip
    tail = server_jira.search_issues("project = FEED ORDER BY key", startAt=100, maxResults=50)
    assert (len(tail), tail.total, tail[0].key) == (20, 120, "FEED-101")
    capped = server_jira.search_issues("project = FEED", maxResults=500, json_result=True)
    assert capped["maxResults"] == 100 and len(capped["issues"]) == 100  # Jira caps pages silently
    default_order = server_jira.search_issues("project = FEED", maxResults=2)
    assert [i.key for i in default_order] == ["FEED-120", "FEED-119"]


def test_jql_errors_surface_as_400(fake: JiraFake, jira: JIRA) -> None:
    cases = {
        "project = ": "Error in the JQL Query: Expecting either a value, list or function but got end of query.",
        "project FEED": "Error in the JQL Query: Expecting operator but got 'FEED'.",
        "summary ~ a/b": "Error in the JQL Query: The character '/' is a reserved JQL character.",
        "labels = start": "Error in the JQL Query: 'start' is a reserved JQL word.",
        'summary ~ "unfinished': "Error in the JQL Query: The quoted string 'unfinished' has not been completed.",
        "project = FEED ORDER BY": "Error in the JQL Query: Expecting a field name but got end of query.",
        "flavour = vanilla": "Field 'flavour' does not exist or you do not have permission to view it.",
        "status = Nope": "The value 'Nope' does not exist for the field 'status'.",
        "status ~ Done": "The operator '~' is not supported by the 'status' field.",
        "updated > yesterday": "Date value 'yesterday' for field 'updated' is invalid.",
        "key = FEED-404": "An issue with key 'FEED-404' does not exist for field 'key'.",
    }
    for jql, message in cases.items():
        with pytest.raises(JIRAError) as caught:
            jira.search_issues(jql)
        assert caught.value.status_code == 400, jql
        assert caught.value.text.startswith(message), (jql, caught.value.text)
        assert caught.value.response.json()["errors"] == {}


def test_jql_parser_directly(fake: JiraFake) -> None:
    assert [t.text for t in tokenize(r'summary ~ "say \"hi\"" AND cf[10042] != x\\y')] == [
        "summary", "~", 'say "hi"', "AND", "cf[10042]", "!=", "x\\y", ""]  # fmt: skip
    now = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    assert parse_date("-5m", now) == now - timedelta(minutes=5)
    assert parse_date("-1w 2d", now) == now - timedelta(days=9)
    assert parse_date("2026-11-25 10:00", now) == now and parse_date("2026-13-01", now) is None
    assert text_matches("Crashes when switching modes", "crash mode") and not text_matches("Dark theme", "mode")
    assert text_matches("Please add dark mode", '"dark mode"') and not text_matches("mode is dark", '"dark mode"')
    with pytest.raises(JqlError) as caught:
        compile_jql("foo = 1 AND bar = 2", fake_catalog(fake), now)
    assert len(caught.value.messages) == 2  # every semantic error at once, as Jira lists them


def fake_catalog(fake: JiraFake) -> Any:
    from casehub.fakes.jira import _Catalog

    return _Catalog(fake)


# -- workflow, comments, links ----------------------------------------------------------------------------


def test_transitions_and_resolution(fake: JiraFake, jira: JIRA, clock: Clock) -> None:
    issue = jira.create_issue(fields=feedback("Export to CSV"))
    assert [t["name"] for t in jira.transitions(issue)] == ["Start progress", "Done", "Won't do"]
    with_fields = jira.transitions(issue, expand="transitions.fields")
    assert "resolution" in next(t for t in with_fields if t["name"] == "Done")["fields"]
    clock.advance(minutes=5)
    jira.transition_issue(issue, "Done", resolution={"name": "Duplicate"}, comment="Same as FEED-7")
    issue = jira.issue(issue.key, expand="changelog")
    assert issue.fields.status.name == "Done" and issue.fields.resolution.name == "Duplicate"
    assert issue.fields.resolutiondate == issue.fields.updated == "2026-11-25T09:05:00.000+0000"
    assert [c.body for c in jira.comments(issue)] == ["Same as FEED-7"]
    items = issue.raw["changelog"]["histories"][0]["items"]
    assert [(i["field"], i["fromString"], i["toString"]) for i in items] == [("status", "To Do", "Done"),
                                                                            ("resolution", None, "Duplicate")]
    with pytest.raises(JIRAError) as caught:
        jira.transition_issue(issue, "11")  # "Start progress" does not leave Done
    assert caught.value.text == "Transition id '11' is not valid for this issue."
    with pytest.raises(JIRAError) as caught:
        jira.transition_issue(issue, "Reopen", resolution={"name": "Done"})
    assert caught.value.text == "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
    fake.transition(issue.key, "Reopen")  # a product person, in Jira
    reopened = fake.get(issue.key)
    assert reopened is not None and reopened["fields"]["resolution"] is None
    assert reopened["changelog"]["histories"][-1]["author"]["displayName"] == "Priya Product"


def test_comments_public_and_restricted(fake: JiraFake, jira: JIRA, clock: Clock) -> None:
    issue = jira.create_issue(fields=feedback("Slow dashboard"))
    clock.advance(minutes=1)
    public = jira.add_comment(issue, "Thanks, we are on it.")
    internal = jira.add_comment(issue, "Customer is on the Gold plan.", visibility={"type": "role",
                                                                                    "value": "Developers"})
    assert not hasattr(public, "visibility") and internal.visibility.value == "Developers"
    assert public.author.accountId == fake.account_id and re.fullmatch(JIRA_TIME, public.created)
    fake.comment(issue.key, "Shipping next week.")
    fake.comment(issue.key, "Needs a migration.", public=False)
    comments = jira.comments(issue.key)
    assert [(c.body, c.raw.get("visibility", {}).get("value")) for c in comments] == [
        ("Thanks, we are on it.", None), ("Customer is on the Gold plan.", "Developers"),
        ("Shipping next week.", None), ("Needs a migration.", "Developers")]  # fmt: skip
    assert comments[2].author.displayName == "Priya Product"
    assert not hasattr(comments[2].author, "emailAddress")  # Cloud hides other people's email addresses
    assert jira.issue(issue.key).fields.updated == "2026-11-25T09:01:00.000+0000"  # comments bump updated
    with pytest.raises(JIRAError) as caught:
        jira.add_comment(issue, "x", visibility={"type": "role", "value": "Customers"})
    assert caught.value.text == "You are currently not a member of the project role: Customers."
    with pytest.raises(JIRAError) as caught:
        jira.add_comment(issue, "")
    assert caught.value.text == "Comment body can not be empty!"


def test_remote_links(fake: JiraFake, jira: JIRA) -> None:
    issue = jira.create_issue(fields=feedback("Dark mode"))
    link = jira.add_remote_link(issue.key, {"url": "https://casehub.test/cases/C-1", "title": "Case C-1"},
                                globalId="casehub:case:C-1", relationship="customer case")  # fmt: skip
    assert fake.requests[-1].status == 201
    again = jira.add_remote_link(issue.key, {"url": "https://casehub.test/cases/C-1", "title": "Case C-1 (Acme)"},
                                 globalId="casehub:case:C-1")  # fmt: skip
    assert again.id == link.id and fake.requests[-1].status == 200  # same globalId: updated, not duplicated
    links = jira.remote_links(issue.key)
    assert [(lk.globalId, lk.object.url, lk.object.title) for lk in links] == [
        ("casehub:case:C-1", "https://casehub.test/cases/C-1", "Case C-1 (Acme)")]  # fmt: skip
    with pytest.raises(JIRAError) as caught:
        jira.add_simple_link(issue.key, {"url": "https://casehub.test/x"})
    assert caught.value.status_code == 400 and "'title' is required." in caught.value.text


def test_update_fields_and_labels(fake: JiraFake, jira: JIRA, clock: Clock) -> None:
    issue = jira.create_issue(fields=feedback("Dark mode", labels=["ui"]))
    clock.advance(minutes=2)
    issue.update(fields={"summary": "Dark mode everywhere"}, labels=[{"add": "casehub"}, {"remove": "ui"}])
    assert issue.fields.summary == "Dark mode everywhere" and issue.fields.labels == ["casehub"]
    assert issue.fields.updated == "2026-11-25T09:02:00.000+0000"
    # Lists given as keyword arguments become "update" operations: bare strings are refused, as by Jira.
    with pytest.raises(JIRAError) as caught:
        issue.update(labels=["a", "b"])
    assert caught.value.status_code == 400 and "FieldOperation" in caught.value.text
    issue.update(fields={"labels": ["a", "b"]})
    assert issue.fields.labels == ["a", "b"]
    with pytest.raises(JIRAError) as caught:
        issue.update(fields={"status": {"name": "Done"}})
    assert "cannot be set" in caught.value.text


def test_v3_takes_and_gives_atlassian_document_format(fake: JiraFake) -> None:
    v3 = connect(fake, options={"rest_api_version": "3"}, max_retries=0)
    adf = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "Customer asks for "}, {"type": "text", "text": "dark mode", "marks": [
            {"type": "strong"}]}]}]}  # fmt: skip
    issue = v3.create_issue(fields=feedback("Dark mode", description=adf))
    assert issue.raw["fields"]["description"] == adf
    assert fake.get(issue.key)["fields"]["description"] == "Customer asks for dark mode"  # type: ignore[index]
    with pytest.raises(JIRAError) as caught:
        v3.create_issue(fields=feedback("Plain", description="plain text"))
    assert caught.value.text == ("Operation value must be an Atlassian Document (see the Atlassian Document "
                                 "Format)")  # fmt: skip
    comment = v3.add_comment(issue, {"type": "doc", "version": 1, "content": [  # type: ignore[arg-type]
        {"type": "paragraph", "content": [{"type": "text", "text": "On it"}]}]})
    assert comment.raw["body"]["type"] == "doc"
    v2 = connect(fake, max_retries=0)
    assert [c.body for c in v2.comments(issue.key)] == ["On it"]
    v2.close()
    v3.close()


def test_createmeta_both_styles_show_required_fields(fake: JiraFake, jira: JIRA, server_fake: JiraFake,
                                                     server_jira: JIRA) -> None:  # fmt: skip
    for site in (fake, server_fake):
        site.require_field("FEED", "Bug", "priority")
        site.add_custom_field("Case link", required=True)
    meta = jira.createmeta(projectKeys="FEED", issuetypeNames="Bug", expand="projects.issuetypes.fields")
    (project,) = meta["projects"]
    (bug,) = project["issuetypes"]
    required = {fid for fid, f in bug["fields"].items() if f["required"]}
    assert required == {"summary", "issuetype", "project", "priority", "customfield_10042"}
    assert [v["name"] for v in bug["fields"]["priority"]["allowedValues"]][:2] == ["Highest", "High"]
    new_style = jira._get_json("issue/createmeta/FEED/issuetypes")
    assert [t["name"] for t in new_style["issueTypes"]] == ["Task", "Bug", "Story", "Feedback"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        types = server_jira.project_issue_types("FEED")
        bug_id = next(t.id for t in types if t.name == "Bug")
        fields = server_jira.project_issue_fields("FEED", bug_id)
    assert {f.fieldId for f in fields if f.required} == {"summary", "issuetype", "project", "priority",
                                                         "customfield_10042"}  # fmt: skip
    with pytest.raises(JIRAError, match="Unsupported JIRA version"):
        server_jira.createmeta(projectKeys="FEED")  # the client refuses the old endpoint on Server 9+


# -- webhooks ---------------------------------------------------------------------------------------------


def test_webhook_delivered_and_signed(fake: JiraFake, jira: JIRA, receiver: Receiver) -> None:
    fake.add_webhook(receiver.url, events=["jira:issue_updated", "comment_created"], secret="s3cret",
                     jql="project = FEED")  # fmt: skip
    issue = jira.create_issue(fields=feedback("Dark mode"))  # jira:issue_created is not subscribed
    fake.transition(issue.key, "Done", resolution="Won't Do")
    (headers, raw), = receiver.wait_for(1)
    expected = "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Hub-Signature"], expected)
    payload = json.loads(raw)
    assert payload["webhookEvent"] == "jira:issue_updated" and payload["issue_event_type_name"] == "issue_resolved"
    assert payload["user"]["displayName"] == "Priya Product" and isinstance(payload["timestamp"], int)
    assert payload["issue"]["key"] == issue.key and payload["issue"]["fields"]["status"]["name"] == "Done"
    items = payload["changelog"]["items"]
    assert {"field": "status", "fromString": "To Do", "toString": "Done"}.items() <= items[0].items()
    assert items[1]["toString"] == "Won't Do"
    fake.comment(issue.key, "Not planned this year.", public=False)
    received = receiver.wait_for(3)
    events = [json.loads(raw)["webhookEvent"] for _, raw in received]
    assert events == ["jira:issue_updated", "jira:issue_updated", "comment_created"]
    commented = json.loads(received[1][1])
    assert commented["issue_event_type_name"] == "issue_commented"
    assert commented["comment"]["visibility"]["value"] == "Developers"
    deliveries = fake.wait_for_webhooks(3)
    assert [d.status for d in deliveries] == [200, 200, 200] and deliveries[0].body == raw


def test_webhook_failures_are_recorded(fake: JiraFake) -> None:
    fake.add_webhook("http://127.0.0.1:9/nowhere")  # nothing listens on the discard port
    fake.create("From the UI")
    (delivery,) = fake.wait_for_webhooks(1)
    assert delivery.event == "jira:issue_created" and delivery.status is None and delivery.error
    assert "X-Hub-Signature" not in delivery.headers


# -- rate limits and failures -----------------------------------------------------------------------------


def test_429_with_retry_after_surfaces_in_jira_error(fake: JiraFake, jira: JIRA) -> None:
    fake.fail_next(1, status=429, retry_after=7)
    with pytest.raises(JIRAError) as caught:
        jira.myself()  # max_retries=0: the client gives up at once
    assert caught.value.status_code == 429 and caught.value.text == "Rate limit exceeded."
    assert caught.value.response.headers["Retry-After"] == "7"


def test_client_retries_429_by_itself(fake: JiraFake) -> None:
    client = connect(fake, max_retries=1)
    fake.fail_next(1, status=429, retry_after=0)
    started = time.monotonic()
    assert client.myself()["accountId"] == fake.account_id  # slept 2 * max(Retry-After, 1) * U(0.5, 1) s
    assert 0.9 <= time.monotonic() - started < 5
    assert [r.status for r in fake.requests[-2:]] == [429, 200]
    client.close()


def test_requests_per_minute_limit(clock: Clock) -> None:
    with JiraFake(clock=clock, requests_per_minute=3) as limited:
        client = connect(limited, max_retries=0)  # serverInfo: 1
        client.myself()
        client.myself()
        with pytest.raises(JIRAError) as caught:
            client.myself()
        headers = caught.value.response.headers
        assert caught.value.status_code == 429 and 1 <= int(headers["Retry-After"]) <= 60
        assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
        client.close()


# -- running on its own -------------------------------------------------------------------------------------


def test_standalone() -> None:
    command = [sys.executable, "-m", "casehub.fakes.jira", "--deployment", "Server"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(5)]
            url = lines[0].split()[1]
            token = next(line.split()[1] for line in lines if line.startswith("pat:"))
            client = JIRA(server=url, token_auth=token, max_retries=0)
            assert client.server_info()["deploymentType"] == "Server"
            client.close()
        finally:
            process.terminate()
