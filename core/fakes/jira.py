"""A fake Jira site: the REST API (Cloud v2/v3, Server/Data Center v2) over plain HTTP on 127.0.0.1.

The Jira plugin is tested with the real ``jira`` client (``jira.JIRA``) against this server, so what the fake
must get right is what that client and Jira agree on: ``serverInfo`` and its ``deploymentType`` (the client
picks its search API by it: ``/search/jql`` with ``nextPageToken`` on Cloud, ``/search`` with ``startAt`` on
Server), the error shape ``{"errorMessages": [...], "errors": {field: message}}`` that the client turns into
``JIRAError.text``, the statuses it retries by itself (429 and 503, honouring ``Retry-After``), ``self`` links
(``issue.update()`` PUTs to the issue's ``self``), Jira's timestamp format, JQL and its error messages, the
bulk-create limit and its per-item errors, Atlassian Document Format in v3, and signed webhooks.

It is strict where Jira is strict (fields not on the screen, required fields, reserved JQL characters and
words, ``!=`` never matching empty fields, unbounded queries on ``/search/jql``), so code that passes here
does not fail on a real site for a reason the fake hid.

``with JiraFake() as jira_fake:`` serves on ``jira_fake.url``; log in with ``basic_auth=(jira_fake.email,
jira_fake.api_token)`` or, with ``deployment="Server"``, ``token_auth=jira_fake.pat``.
``python -m casehub.fakes.jira`` runs one on its own.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import json
import math
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from casehub.fakes.server import Reply as _Reply
from casehub.fakes.server import VendorServer, announce_until_ctrl_c
from casehub.fakes.jql import JqlError, JqlField, compile_jql

__all__ = ["EVENTS", "JiraFake", "JiraFakeError", "RecordedRequest", "WebhookDelivery", "format_time", "main"]

MAX_BULK = 50  # issues per POST /issue/bulk
EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created", "comment_updated",
          "comment_deleted")  # fmt: skip
RESTRICTED_ROLE = "Developers"  # what comment(..., public=False) restricts a comment to
ROLES = ("Administrators", "Developers", "Users")
GROUPS = ("jira-administrators", "jira-software-users")
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
NO_ISSUE = "Issue does not exist or you do not have permission to see it."
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
_VERSIONED = re.compile(r"/rest/api/(2|3|latest)(/.*)?")
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)")
_EXPAND_ALL = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
_CUSTOM_TYPES = {
    "string": ({"type": "string"}, "com.atlassian.jira.plugin.system.customfieldtypes:textfield", ["set"]),
    "number": ({"type": "number"}, "com.atlassian.jira.plugin.system.customfieldtypes:float", ["set"]),
    "labels": ({"type": "array", "items": "string"}, "com.atlassian.jira.plugin.system.customfieldtypes:labels",
               ["add", "set", "remove"]),
}  # fmt: skip


def format_time(value: datetime) -> str:
    """Jira's rendering: ``2026-11-25T10:00:00.000+0000``."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


class JiraFakeError(Exception):
    """One Jira error answer: ``{"errorMessages": [...], "errors": {...}}`` with HTTP ``status``.

    Also raised by the fake's Python-side controls for changes Jira would refuse.
    """

    def __init__(self, status: int, messages: Iterable[str] = (), errors: dict[str, str] | None = None) -> None:
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        super().__init__(f"{status}: {'; '.join([*self.messages, *self.errors.values()])}")

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


class _FieldError(Exception):
    """A value one field refuses; collected into ``errors`` under the field's id."""


# -- the site's configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Status:
    id: str
    name: str
    category: str  # new, indeterminate, done
    description: str


@dataclass(frozen=True)
class _Transition:
    id: str
    name: str
    sources: tuple[str, ...]  # status ids it leaves from
    to: str
    resolution: str | None  # the resolution it sets unless the request names one; None: no resolution screen
    event: str  # issue_event_type_name of the webhook


CATEGORIES = {"new": ("2", "To Do", "blue-gray"), "indeterminate": ("4", "In Progress", "yellow"),
              "done": ("3", "Done", "green")}  # fmt: skip
STATUSES = (
    _Status("10000", "To Do", "new", "Work that has not been started."),
    _Status("3", "In Progress", "indeterminate", "The issue is currently being worked on."),
    _Status("10001", "Done", "done", "Work has been completed on this issue."),
    _Status("10002", "Won't Do", "done", "This issue won't be actioned."),
)
TRANSITIONS = (
    _Transition("11", "Start progress", ("10000",), "3", None, "issue_work_started"),
    _Transition("31", "Done", ("10000", "3"), "10001", "Done", "issue_resolved"),
    _Transition("41", "Won't do", ("10000", "3"), "10002", "Won't Do", "issue_resolved"),
    _Transition("51", "Reopen", ("10001", "10002"), "10000", None, "issue_reopened"),
)
PRIORITIES = (("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest"))
DEFAULT_PRIORITY = "3"
RESOLUTIONS = (("10000", "Done", "Work has been completed on this issue."),
               ("10001", "Won't Do", "This issue won't be actioned."),
               ("10002", "Duplicate", "The problem is a duplicate of an existing issue."))  # fmt: skip
ISSUE_TYPES = (("10001", "Task", "A small, distinct piece of work."), ("10002", "Bug", "A problem or error."),
               ("10003", "Story", "A feature, expressed as a user goal."),
               ("10004", "Feedback", "What a customer told us about the product."))  # fmt: skip
# System fields: id -> (name, clause names, schema); the create/edit screen is _SCREEN plus custom fields.
SYSTEM_FIELDS: dict[str, tuple[str, list[str], dict[str, Any] | None]] = {
    "issuekey": ("Key", ["id", "issue", "issuekey", "key"], None),
    "summary": ("Summary", ["summary"], {"type": "string", "system": "summary"}),
    "description": ("Description", ["description"], {"type": "string", "system": "description"}),
    "issuetype": ("Issue Type", ["issuetype", "type"], {"type": "issuetype", "system": "issuetype"}),
    "project": ("Project", ["project"], {"type": "project", "system": "project"}),
    "labels": ("Labels", ["labels"], {"type": "array", "items": "string", "system": "labels"}),
    "components": ("Component/s", ["component"], {"type": "array", "items": "component", "system": "components"}),
    "priority": ("Priority", ["priority"], {"type": "priority", "system": "priority"}),
    "status": ("Status", ["status"], {"type": "status", "system": "status"}),
    "statusCategory": ("Status Category", ["statusCategory"], {"type": "statusCategory", "system": "statusCategory"}),
    "resolution": ("Resolution", ["resolution"], {"type": "resolution", "system": "resolution"}),
    "resolutiondate": ("Resolved", ["resolutiondate", "resolved"], {"type": "datetime", "system": "resolutiondate"}),
    "created": ("Created", ["created", "createdDate"], {"type": "datetime", "system": "created"}),
    "updated": ("Updated", ["updated", "updatedDate"], {"type": "datetime", "system": "updated"}),
    "reporter": ("Reporter", ["reporter"], {"type": "user", "system": "reporter"}),
    "assignee": ("Assignee", ["assignee"], {"type": "user", "system": "assignee"}),
    "creator": ("Creator", ["creator"], {"type": "user", "system": "creator"}),
    "comment": ("Comment", ["comment"], {"type": "comments-page", "system": "comment"}),
}
_SCREEN = ("summary", "issuetype", "project", "description", "components", "labels", "priority")
_EDITABLE = ("summary", "description", "components", "labels", "priority")
_ALWAYS_REQUIRED = ("summary", "issuetype", "project")


@dataclass
class _User:
    account_id: str
    name: str  # the Server/Data Center username
    email: str
    display_name: str
    email_visible: bool = True  # Cloud hides most people's email addresses from the API


@dataclass
class _CustomField:
    id: str  # customfield_10042
    number: int
    name: str
    type: str  # string, number, labels
    required: bool
    projects: set[str] | None  # project ids; None: every project


@dataclass
class _Project:
    id: str
    key: str
    name: str
    description: str
    lead: str  # account id
    issue_types: list[str]
    components: dict[str, str] = field(default_factory=dict)  # id -> name
    required: dict[str, set[str]] = field(default_factory=dict)  # issue type id -> field ids
    next_number: int = 1


@dataclass
class _Doc:
    """A rich-text value kept in both forms: v2 answers with the text, v3 with the document."""

    text: str
    adf: dict[str, Any]


@dataclass
class _Comment:
    id: str
    author: str
    body: _Doc
    created: datetime
    updated: datetime
    update_author: str
    visibility: dict[str, str] | None
    properties: list[dict[str, Any]]


@dataclass
class _RemoteLink:
    id: int
    global_id: str | None
    application: dict[str, Any]
    relationship: str | None
    object: dict[str, Any]


@dataclass
class _Issue:
    id: str
    key: str
    project: str  # id
    number: int
    issue_type: str
    fields: dict[str, Any]  # the editable ones: summary, description (_Doc | None), labels, components, priority, cf
    status: str
    resolution: str | None
    resolution_date: datetime | None
    created: datetime
    updated: datetime
    status_changed: datetime
    reporter: str
    creator: str
    assignee: str | None = None
    comments: list[_Comment] = field(default_factory=list)
    links: list[_RemoteLink] = field(default_factory=list)
    histories: list[dict[str, Any]] = field(default_factory=list)  # {"id", "author", "created", "items"}


# -- what tests look at -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string, as sent
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON, raw text if it did not parse, or None
    status: int  # what the fake answered
    at: float  # time.time() when it arrived

    def header(self, name: str) -> str | None:
        """A request header by name, case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class WebhookDelivery:
    webhook_id: int
    url: str
    event: str  # webhookEvent
    payload: dict[str, Any]
    body: bytes  # exactly what was signed and sent
    headers: dict[str, str]
    status: int | None  # the receiver's HTTP status; None when the request failed
    error: str | None  # why it failed (connection refused, timeout)
    at: float


@dataclass
class _Webhook:
    id: int
    url: str
    events: frozenset[str]
    secret: str | None
    jql: str | None


@dataclass(frozen=True)
class _Failure:
    status: int
    message: str
    retry_after: int | None


# -- documents --------------------------------------------------------------------------------------------------


def text_to_adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian document: a paragraph per line (as Jira converts wiki text, roughly)."""
    content = []
    for line in text.split("\n"):
        content.append({"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []})
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(node: Any) -> str:
    """The text of an Atlassian document: blocks on their own lines, mentions and emoji by their text."""
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date"):
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind == "inlineCard":
        return str(attrs.get("url", ""))
    children = node.get("content") if isinstance(node.get("content"), list) else []
    parts = [adf_to_text(child) for child in children]
    if kind in ("doc", "bulletList", "orderedList", "listItem", "blockquote", "panel", "table", "tableRow"):
        return "\n".join(parts)
    return "".join(parts)


def _is_adf(value: Any) -> bool:
    return (isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1
            and isinstance(value.get("content"), list))  # fmt: skip


def _doc(value: Any, version: str) -> _Doc | None:
    """A description or comment body as this API version takes it: v2 a string, v3 a document."""
    if value is None:
        return None
    if version == "3":
        if not _is_adf(value):
            raise _FieldError(NOT_ADF)
        text = adf_to_text(value)
        return _Doc(text, value) if text.strip() else None
    if not isinstance(value, str):
        raise _FieldError("Operation value must be a string")
    return _Doc(value, text_to_adf(value)) if value.strip() else None


def _rendered(doc: _Doc | None) -> str | None:
    if doc is None:
        return None
    return "".join(f"<p>{html.escape(line)}</p>" for line in doc.text.split("\n"))


# -- the fake -------------------------------------------------------------------------------------------------


class JiraFake:
    """``with JiraFake() as jira_fake:`` serves a Jira site on ``jira_fake.url`` until the block ends.

    ``deployment`` is ``"Cloud"`` (REST v2 and v3, ``/search/jql``) or ``"Server"`` (Server/Data Center 9: v2
    only, personal access tokens, no ``/search/jql``). ``requests_per_minute`` turns on Jira's rate limit (429
    with ``Retry-After``). ``legacy_search=False`` makes Cloud answer the classic ``/search`` with 410 Gone, as
    Atlassian has been removing it. ``max_results`` caps a search page, as Jira silently does.
    """

    def __init__(self, *, deployment: str = "Cloud", port: int = 0, requests_per_minute: int | None = None,
                 clock: Callable[[], datetime] | None = None, api_token: str | None = None, pat: str | None = None,
                 max_results: int = 100, legacy_search: bool = True, webhook_timeout: float = 2.0) -> None:  # fmt: skip
        if deployment not in ("Cloud", "Server"):
            raise ValueError("deployment is 'Cloud' or 'Server'")
        self.deployment = deployment
        self.requests_per_minute = requests_per_minute
        self.max_results = max_results
        self.legacy_search = legacy_search
        self.webhook_timeout = webhook_timeout
        self.requests: list[RecordedRequest] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.RLock()
        self._delivered = threading.Condition(self._lock)
        self._failures: deque[_Failure] = deque()
        self._recent: deque[float] = deque()  # monotonic times of the last minute's requests (rate limit)
        self._counter = 10000
        self._custom_number = 10041
        self._link_id = 10000
        self._users: dict[str, _User] = {}
        self._projects: dict[str, _Project] = {}  # by id
        self._custom: dict[str, _CustomField] = {}
        self._issues: dict[str, _Issue] = {}  # by id, in creation order
        self._webhooks: dict[int, _Webhook] = {}
        self._outbox: queue.Queue[tuple[_Webhook, str, dict[str, Any]] | None] = queue.Queue()

        self.api_token = api_token or "ATATT3x" + secrets.token_urlsafe(32)
        self.pat = pat or secrets.token_urlsafe(33)
        self.user = self._add_user("casehub", "integration@casehub.test", "Casehub Integration")
        self.product_person = self._add_user("priya", "priya@casehub.test", "Priya Product", email_visible=False)
        self.add_project("FEED", "Product feedback", components=("Mobile app", "Web app", "API", "Billing"),
                         description="Feedback from customers, triaged by product.")  # fmt: skip

        self._server = VendorServer(port, self._serve, name="jira-fake")
        self._worker = threading.Thread(target=self._deliver_loop, name="jira-fake-webhooks", daemon=True)

    @property
    def url(self) -> str:
        """The site's base URL: ``http://127.0.0.1:PORT``."""
        return self._server.url

    @property
    def email(self) -> str:
        """The API user's login: with :attr:`api_token` for basic auth (on Server, also :attr:`username`)."""
        return self.user.email

    @property
    def username(self) -> str:
        return self.user.name

    @property
    def account_id(self) -> str:
        return self.user.account_id

    def start(self) -> JiraFake:
        self._server.start()
        self._worker.start()
        return self

    def close(self) -> None:
        self._server.stop()
        if self._worker.is_alive():
            self._outbox.put(None)
            self._worker.join(timeout=self.webhook_timeout + 1)

    def __enter__(self) -> JiraFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- test controls: configuration ---------------------------------------------------------------------

    def add_project(self, key: str, name: str, *, issue_types: Iterable[str] = ("Task", "Bug", "Story", "Feedback"),
                    components: Iterable[str] = (), description: str = "") -> str:  # fmt: skip
        """A project with these issue types (by name) and components; returns its id."""
        with self._lock:
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,9}", key):
                raise ValueError(f"{key!r} is not a valid project key")
            if self._project(key):
                raise ValueError(f"project {key} exists")
            by_name = {name.lower(): tid for tid, name, _ in ISSUE_TYPES}
            types = [by_name[t.lower()] for t in issue_types]
            project = _Project(str(10000 + len(self._projects)), key, name, description, self.user.account_id, types)
            self._projects[project.id] = project
            for component in components:
                self.add_component(key, component)
            return project.id

    def add_component(self, project: str, name: str) -> str:
        """A component of ``project`` (key or id); returns its id."""
        with self._lock:
            p = self._project_or_fail(project)
            component_id = self._next_id()
            p.components[component_id] = name
            return component_id

    def add_custom_field(self, name: str, type: str = "string", required: bool = False,  # noqa: A002
                         projects: Iterable[str] | None = None) -> str:  # fmt: skip
        """A custom field (``string``, ``number`` or ``labels``) on the create and edit screens of ``projects``
        (keys; default every project), required on create if ``required``; returns ``customfield_NNNNN``."""
        if type not in _CUSTOM_TYPES:
            raise ValueError(f"custom field type is one of {sorted(_CUSTOM_TYPES)}")
        with self._lock:
            ids = {self._project_or_fail(p).id for p in projects} if projects is not None else None
            self._custom_number += 1
            cf = _CustomField(f"customfield_{self._custom_number}", self._custom_number, name, type, required, ids)
            self._custom[cf.id] = cf
            return cf.id

    def require_field(self, project: str, issue_type: str, field_id: str) -> None:
        """Make a screen field (``priority``, ``components``, ``description``, ``labels``, a custom field's id or
        name) required when creating issues of ``issue_type`` (name) in ``project``."""
        with self._lock:
            p = self._project_or_fail(project)
            type_id = self._issue_type_id(issue_type, p)
            if type_id is None:
                raise ValueError(f"project {p.key} has no issue type {issue_type!r}")
            fid = self._screen_field_id(field_id, p)
            if fid is None:
                raise ValueError(f"{field_id!r} is not on the screens of {p.key}")
            p.required.setdefault(type_id, set()).add(fid)

    def add_webhook(self, url: str, events: Iterable[str] | None = None, secret: str | None = None,
                    jql: str | None = None) -> int:  # fmt: skip
        """Jira POSTs ``events`` (default all of :data:`EVENTS`) about issues matching ``jql`` to ``url``, signed
        with ``secret`` like Cloud's admin webhooks (``X-Hub-Signature: sha256=<hex>``); returns its id."""
        chosen = frozenset(events) if events is not None else frozenset(EVENTS)
        unknown = chosen - set(EVENTS)
        if unknown:
            raise ValueError(f"unknown webhook events {sorted(unknown)}; known: {list(EVENTS)}")
        with self._lock:
            if jql:
                compile_jql(jql, _Catalog(self), self._now())  # refuse a bad filter now, not at delivery
            webhook_id = len(self._webhooks) + 1
            self._webhooks[webhook_id] = _Webhook(webhook_id, url, chosen, secret, jql)
            return webhook_id

    def remove_webhook(self, webhook_id: int) -> None:
        with self._lock:
            self._webhooks.pop(webhook_id, None)

    def wait_for_webhooks(self, count: int, *, event: str | None = None, timeout: float = 5.0) -> list[WebhookDelivery]:
        """Block until ``count`` deliveries (of ``event``) were attempted; fail with what was."""
        deadline = time.monotonic() + timeout
        with self._delivered:
            while True:
                got = [d for d in self.webhook_deliveries if event is None or d.event == event]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} webhook deliveries{f' of {event}' if event else ''}, "
                                       f"got {[(d.event, d.status, d.error) for d in got]}")  # fmt: skip
                self._delivered.wait(left)

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """What "now" is for ``created``/``updated``, relative JQL dates and webhook timestamps (aware datetimes)."""
        with self._lock:
            self._clock = clock

    # -- test controls: failures and what was asked -------------------------------------------------------

    def fail_next(self, n: int, status: int = 429, retry_after: int | None = 2, message: str | None = None) -> None:
        """The next ``n`` requests get this error (with ``Retry-After: retry_after`` seconds) instead of an answer."""
        default = {429: "Rate limit exceeded.", 503: "Service Unavailable"}.get(status, "Internal server error")
        with self._lock:
            self._failures.extend([_Failure(status, message or default, retry_after)] * n)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- test controls: people in Jira ----------------------------------------------------------------------

    def issues(self, project: str | None = None) -> list[dict[str, Any]]:
        """Every issue (of ``project``) in creation order, as REST v2 renders it with all fields."""
        with self._lock:
            p = self._project_or_fail(project) if project else None
            return [self._issue_json(i, "2", _fields_filter(None, "*all"), {"changelog"})
                    for i in self._issues.values() if p is None or i.project == p.id]  # fmt: skip

    def get(self, key: str) -> dict[str, Any] | None:
        """One issue as REST v2 renders it (all fields and the changelog), or None."""
        with self._lock:
            issue = self._find_issue(key)
            return self._issue_json(issue, "2", _fields_filter(None, "*all"), {"changelog"}) if issue else None

    def create(self, summary: str, *, project: str = "FEED", issue_type: str = "Task", description: str | None = None,
               **fields: Any) -> str:  # fmt: skip
        """A product person creates an issue in Jira's UI (webhooks fire); ``fields`` as REST v2 takes them."""
        with self._lock:
            body = {"fields": {"project": {"key": project}, "issuetype": {"name": issue_type}, "summary": summary,
                               **({"description": description} if description is not None else {}), **fields}}
            return self._create(body, self.product_person, "2").key

    def edit(self, key: str, **fields: Any) -> None:
        """A product person edits fields (as REST v2 takes them) in Jira's UI: ``updated`` moves, webhooks fire."""
        with self._lock:
            self._edit(self._issue_or_fail(key), {"fields": fields}, self.product_person, "2")

    def transition(self, key: str, name: str, resolution: str | None = None, comment: str | None = None) -> None:
        """A product person moves an issue through the workflow: ``name`` is a transition ("Start progress",
        "Done", "Won't do", "Reopen") or its target status; ``resolution`` by name."""
        with self._lock:
            issue = self._issue_or_fail(key)
            available = [t for t in TRANSITIONS if issue.status in t.sources]
            chosen = next((t for t in available if t.name.lower() == name.lower()), None) or next(
                (t for t in available if self._status(t.to).name.lower() == name.lower()), None)
            if chosen is None:
                names = [t.name for t in available]
                raise JiraFakeError(400, [f"No transition {name!r} from {self._status(issue.status).name}: {names}"])
            fields = {"resolution": {"name": resolution}} if resolution else {}
            update = {"comment": [{"add": {"body": comment}}]} if comment else {}
            self._transition(issue, {"transition": {"id": chosen.id}, "fields": fields, "update": update},
                             self.product_person, "2")  # fmt: skip

    def comment(self, key: str, body: str, public: bool = True) -> str:
        """A product person comments on an issue; not ``public``: visible to the Developers role only.
        Returns the comment's id."""
        with self._lock:
            issue = self._issue_or_fail(key)
            visibility = None if public else {"type": "role", "value": RESTRICTED_ROLE}
            data: dict[str, Any] = {"body": body, **({"visibility": visibility} if visibility else {})}
            return self._add_comment(issue, data, self.product_person, "2").id

    # -- HTTP -------------------------------------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        lower = {k.lower(): v for k, v in headers.items()}
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        with self._lock:
            reply = self._answer(method, path, query, lower, body)
            self.requests.append(RecordedRequest(method, path, query, headers, body, reply.status, time.time()))
            return reply

    def _answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
                body: Any) -> _Reply:  # fmt: skip
        if self._failures:
            failure = self._failures.popleft()
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return _Reply(failure.status, JiraFakeError(failure.status, [failure.message]).body(), extra)
        if self.requests_per_minute is not None:
            now = time.monotonic()
            while self._recent and self._recent[0] <= now - 60:
                self._recent.popleft()
            if len(self._recent) >= self.requests_per_minute:
                wait = max(1, math.ceil(60 - (now - self._recent[0])))
                reset = format_time(datetime.now(timezone.utc) + timedelta(seconds=wait))
                return _Reply(429, JiraFakeError(429, ["Rate limit exceeded."]).body(),
                              {"Retry-After": str(wait), "X-RateLimit-Limit": str(self.requests_per_minute),
                               "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset,
                               "RateLimit-Reason": "jira-quota-tenant-based"})  # fmt: skip
            self._recent.append(now)
        user, denied = self._authenticate(headers)
        if denied is not None:
            return denied
        m = _VERSIONED.fullmatch(path)
        if path.rstrip("/") == "/rest/auth/1/session" and method == "GET" and user is not None:
            return _Reply(200, {"self": f"{self.url}/rest/api/2/user?username={user.name}", "name": user.name,
                                "loginInfo": {"failedLoginCount": 0, "loginCount": 1}})  # fmt: skip
        if path.rstrip("/") == "/rest/applinks/latest/listApplicationlinks" and user is not None:
            return _Reply(200, {"list": []})
        if m is None or (m.group(1) == "3" and self.deployment == "Server"):
            return _not_found(self.url + path)
        version = "2" if m.group(1) == "latest" else m.group(1)
        parts = [unquote(p) for p in (m.group(2) or "").strip("/").split("/") if p]
        if user is None and parts != ["serverInfo"]:
            return _Reply(401, JiraFakeError(401, ["You are not authenticated. Authentication required to perform "
                                                   "this operation."]).body())  # fmt: skip
        try:
            if isinstance(body, str):
                raise JiraFakeError(400, [f"Unexpected character in the JSON body: {body[:40]!r}"])
            return self._route(method, version, parts, query, body, user)
        except JiraFakeError as error:
            return _Reply(error.status, error.body() if error.status != 405 else None)
        except JqlError as error:
            return _Reply(400, {"errorMessages": error.messages, "errors": {}})

    def _authenticate(self, headers: dict[str, str]) -> tuple[_User | None, _Reply | None]:
        """The user a request authenticates as (None: anonymous), or the 401 for credentials Jira refuses."""
        authorization = headers.get("authorization", "").strip()
        if not authorization:
            return None, None
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(credentials.strip()).decode().partition(":")
            except ValueError:
                login, secret = "", ""
            logins = {self.user.email.lower()} | ({self.user.name.lower()} if self.deployment == "Server" else set())
            if login.lower() in logins and hmac.compare_digest(secret, self.api_token):
                return self.user, None
        elif scheme.lower() == "bearer" and self.deployment == "Server":  # Cloud has no personal access tokens
            if hmac.compare_digest(credentials.strip(), self.pat):
                return self.user, None
        extra = {"WWW-Authenticate": 'Basic realm="protected-area"'}
        if self.deployment == "Server":
            extra.update({"X-Seraph-LoginReason": "AUTHENTICATED_FAILED", "X-AUSERNAME": "anonymous"})
        error = JiraFakeError(401, ["Client must be authenticated to access this resource."])
        return None, _Reply(401, error.body(), extra)

    def _route(self, method: str, version: str, parts: list[str], query: dict[str, list[str]], body: Any,
               user: _User | None) -> _Reply:  # fmt: skip
        n = len(parts)
        head = parts[0] if parts else ""
        if head == "serverInfo" and n == 1:
            _allow(method, "GET")
            return _Reply(200, self._server_info())
        assert user is not None
        if head == "myself" and n == 1:
            _allow(method, "GET")
            return _Reply(200, {**self._user_json(user, version, full=True), "groups": {"size": 1, "items": []},
                                "locale": "en_US"})  # fmt: skip
        if head == "user" and n == 1:
            _allow(method, "GET")
            wanted = _q(query, "accountId") or _q(query, "username") or _q(query, "key") or ""
            found = next((u for u in self._users.values() if wanted in (u.account_id, u.name)), None)
            if found is None:
                raise JiraFakeError(404, [f"The user with account ID '{wanted}' does not exist"])
            return _Reply(200, self._user_json(found, version, full=True))
        if head == "field" and n == 1:
            _allow(method, "GET")
            return _Reply(200, self._fields_json())
        if head in ("issuetype", "priority", "resolution", "status", "statuscategory"):
            _allow(method, "GET")
            return self._lookup(head, parts[1] if n == 2 else None, version)
        if head == "project":
            return self._project_routes(method, version, parts[1:], query)
        if head == "search" and n == 1:
            _allow(method, "GET", "POST")
            if self.deployment == "Cloud" and not self.legacy_search:
                raise JiraFakeError(410, ["The requested API has been removed. Please migrate to the /rest/api/3/"
                                          "search/jql API. A full migration guideline is available at "
                                          "https://developer.atlassian.com/changelog/#CHANGE-2046"])  # fmt: skip
            return self._classic_search(version, _params(query, body, method))
        if head == "search" and n == 2 and parts[1] == "jql" and self.deployment == "Cloud":
            _allow(method, "GET", "POST")
            return self._enhanced_search(version, _params(query, body, method))
        if head == "issue":
            return self._issue_routes(method, version, parts[1:], query, body, user)
        return _not_found(f"{self.url}/rest/api/{version}/{'/'.join(parts)}")

    # -- metadata -------------------------------------------------------------------------------------------

    def _server_info(self) -> dict[str, Any]:
        now = format_time(self._now())
        if self.deployment == "Cloud":
            return {"baseUrl": self.url, "displayUrl": self.url, "version": "1001.0.0-SNAPSHOT",
                    "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud", "buildNumber": 100294,
                    "buildDate": "2026-11-01T00:00:00.000+0000", "serverTime": now, "scmInfo": "fake",
                    "serverTitle": "Jira", "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC"}
        return {"baseUrl": self.url, "version": "9.12.15", "versionNumbers": [9, 12, 15], "deploymentType": "Server",
                "buildNumber": 9120015, "buildDate": "2024-10-01T00:00:00.000+0000", "serverTime": now,
                "scmInfo": "fake", "serverTitle": "Jira"}  # fmt: skip

    def _fields_json(self) -> list[dict[str, Any]]:
        out = []
        for fid, (name, clauses, schema) in SYSTEM_FIELDS.items():
            out.append({"id": fid, "key": fid, "name": name, "custom": False, "orderable": fid in _SCREEN,
                        "navigable": fid != "comment", "searchable": True, "clauseNames": clauses,
                        **({"schema": schema} if schema else {})})  # fmt: skip
        for cf in self._custom.values():
            out.append({"id": cf.id, "key": cf.id, "name": cf.name, "untranslatedName": cf.name, "custom": True,
                        "orderable": True, "navigable": True, "searchable": True,
                        "clauseNames": [f"cf[{cf.number}]", cf.name], "schema": self._custom_schema(cf)})  # fmt: skip
        return out

    def _custom_schema(self, cf: _CustomField) -> dict[str, Any]:
        schema, custom, _ops = _CUSTOM_TYPES[cf.type]
        return {**schema, "custom": custom, "customId": cf.number}

    def _lookup(self, kind: str, wanted: str | None, version: str) -> _Reply:
        items: list[tuple[str, str, dict[str, Any]]]  # (id, name, json)
        if kind == "issuetype":
            items = [(t, n, self._issue_type_json(t, version)) for t, n, _ in ISSUE_TYPES]
        elif kind == "priority":
            items = [(p, n, self._priority_json(p, version)) for p, n in PRIORITIES]
        elif kind == "resolution":
            items = [(r, n, self._resolution_json(r, version)) for r, n, _ in RESOLUTIONS]
        elif kind == "status":
            items = [(s.id, s.name, self._status_json(s.id, version)) for s in STATUSES]
        else:
            items = [(v[0], v[1], self._category_json(k, version)) for k, v in CATEGORIES.items()]
        if wanted is None:
            return _Reply(200, [j for _, _, j in items])
        found = next((j for i, n, j in items if wanted in (i, n) or wanted.lower() == n.lower()), None)
        if found is None:
            raise JiraFakeError(404, [f"The {kind} with id '{wanted}' does not exist"])
        return _Reply(200, found)

    def _project_routes(self, method: str, version: str, parts: list[str], query: dict[str, list[str]]) -> _Reply:
        _allow(method, "GET")
        expand = _expand(query)
        if not parts:
            return _Reply(200, [self._project_json(p, version, full="issueTypes" in expand or "lead" in expand)
                                for p in self._projects.values()])  # fmt: skip
        if parts == ["search"]:
            values = [self._project_json(p, version) for p in self._projects.values()]
            return _Reply(200, {"self": f"{self.url}/rest/api/{version}/project/search", "maxResults": 50,
                                "startAt": 0, "total": len(values), "isLast": True, "values": values})  # fmt: skip
        p = self._project(parts[0])
        if p is None:
            raise JiraFakeError(404, [f"No project could be found with key '{parts[0]}'."])
        if len(parts) == 1:
            return _Reply(200, self._project_json(p, version, full=True))
        if parts[1:] == ["components"]:
            return _Reply(200, [self._component_json(p, c, version) for c in p.components])
        if parts[1:] == ["statuses"]:
            statuses = [self._status_json(s.id, version) for s in STATUSES]
            return _Reply(200, [{**self._issue_type_json(t, version), "statuses": statuses} for t in p.issue_types])
        return _not_found(f"{self.url}/rest/api/{version}/project/{'/'.join(parts)}")

    # -- issues: routes -----------------------------------------------------------------------------------

    def _issue_routes(self, method: str, version: str, parts: list[str], query: dict[str, list[str]], body: Any,
                      user: _User) -> _Reply:  # fmt: skip
        n = len(parts)
        if n == 0:
            _allow(method, "POST")
            issue = self._create(_object(body), user, version)
            return _Reply(201, {"id": issue.id, "key": issue.key, "self": self._issue_self(issue, version)})
        if parts == ["bulk"]:
            _allow(method, "POST")
            return self._bulk_create(_object(body), user, version)
        if parts[0] == "createmeta":
            _allow(method, "GET")
            return self._createmeta(version, parts[1:], query)
        issue = self._find_issue(parts[0])
        if issue is None:
            raise JiraFakeError(404, [NO_ISSUE])
        if n == 1:
            _allow(method, "GET", "PUT", "DELETE")
            if method == "GET":
                wanted = _fields_filter(query.get("fields"), "*all")
                return _Reply(200, self._issue_json(issue, version, wanted, _expand(query)))
            if method == "DELETE":
                self._delete(issue, user)
                return _Reply(204)
            self._edit(issue, _object(body), user, version)
            return _Reply(204)
        sub = parts[1]
        if sub == "transitions" and n == 2:
            _allow(method, "GET", "POST")
            if method == "GET":
                return _Reply(200, self._transitions_json(issue, version, _q(query, "transitionId"),
                                                          "transitions.fields" in _expand(query)))  # fmt: skip
            self._transition(issue, _object(body), user, version)
            return _Reply(204)
        if sub == "comment" and n == 2:
            _allow(method, "GET", "POST")
            if method == "POST":
                comment = self._add_comment(issue, _object(body), user, version)
                return _Reply(201, self._comment_json(issue, comment, version, "properties" in _expand(query)))
            return _Reply(200, self._comments_page(issue, version, query))
        if sub == "comment" and n == 3:
            _allow(method, "GET", "PUT", "DELETE")
            comment = next((c for c in issue.comments if c.id == parts[2]), None)
            if comment is None:
                raise JiraFakeError(404, [f"Can not find a comment for the id: {parts[2]}."])
            if method == "GET":
                return _Reply(200, self._comment_json(issue, comment, version, "properties" in _expand(query)))
            if method == "DELETE":
                self._delete_comment(issue, comment, user)
                return _Reply(204)
            self._update_comment(issue, comment, _object(body), user, version)
            return _Reply(200, self._comment_json(issue, comment, version, False))
        if sub == "remotelink":
            return self._remote_links(method, version, issue, parts[2:], query, body)
        if sub == "changelog" and n == 2:
            _allow(method, "GET")
            values = [self._history_json(h, version) for h in issue.histories]
            return _Reply(200, {"self": f"{self._issue_self(issue, version)}/changelog", "maxResults": 100,
                                "startAt": 0, "total": len(values), "isLast": True, "values": values})  # fmt: skip
        if sub == "editmeta" and n == 2:
            _allow(method, "GET")
            p = self._projects[issue.project]
            fids = [f for f in self._screen(p) if f in _EDITABLE or f.startswith("customfield_")]
            return _Reply(200, {"fields": {f: self._field_meta(p, issue.issue_type, f, version) for f in fids}})
        return _not_found(f"{self.url}/rest/api/{version}/issue/{'/'.join(parts)}")

    # -- issues: create, edit, delete -------------------------------------------------------------------------

    def _create(self, body: dict[str, Any], user: _User, version: str) -> _Issue:
        fields = body.get("fields")
        if not isinstance(fields, dict):
            fields = {}
        update = body.get("update") if isinstance(body.get("update"), dict) else {}
        errors: dict[str, str] = {}
        project = self._project_ref(fields.get("project"))
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        type_id = self._issue_type_ref(fields.get("issuetype"), project)
        if "issuetype" not in fields:
            errors["issuetype"] = "Specify an issue type"
        elif type_id is None:
            errors["issuetype"] = "The issue type selected is invalid."
        if "summary" not in fields and not update.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if project is None or type_id is None:
            raise JiraFakeError(400, errors=errors)
        values: dict[str, Any] = {"summary": None, "description": None, "labels": [], "components": [],
                                  "priority": DEFAULT_PRIORITY}  # fmt: skip
        values.update({cf.id: ([] if cf.type == "labels" else None) for cf in self._customs(project)})
        changes = self._collect(project, fields, update, values, version, errors, creating=True)
        values.update(changes)
        comments = self._comment_adds(update, version, errors)
        self._check_required(project, type_id, values, errors)
        if errors:
            raise JiraFakeError(400, errors=errors)
        now = self._now()
        issue_id = self._next_id()
        number = project.next_number
        project.next_number += 1
        issue = _Issue(issue_id, f"{project.key}-{number}", project.id, number, type_id, values, STATUSES[0].id, None,
                       None, now, now, now, user.account_id, user.account_id)  # fmt: skip
        self._issues[issue_id] = issue
        self._fire("jira:issue_created", "issue_created", issue, user)
        for comment_body in comments:
            self._add_comment(issue, {"body": comment_body}, user, version)
        return issue

    def _bulk_create(self, body: dict[str, Any], user: _User, version: str) -> _Reply:
        updates = body.get("issueUpdates")
        if not isinstance(updates, list):
            raise JiraFakeError(400, ["issueUpdates is required"])
        if len(updates) > MAX_BULK:
            raise JiraFakeError(400, [f"Too many issues to create in one request: {len(updates)}. The maximum is "
                                      f"{MAX_BULK}."])  # fmt: skip
        issues, errors = [], []
        for number, item in enumerate(updates):
            try:
                issue = self._create(item if isinstance(item, dict) else {}, user, version)
            except JiraFakeError as error:
                errors.append({"status": error.status, "elementErrors": error.body(), "failedElementNumber": number})
                continue
            issues.append({"id": issue.id, "key": issue.key, "self": self._issue_self(issue, version)})
        return _Reply(201 if issues else 400, {"issues": issues, "errors": errors})

    def _edit(self, issue: _Issue, body: dict[str, Any], user: _User, version: str) -> None:
        fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
        update = body.get("update") if isinstance(body.get("update"), dict) else {}
        project = self._projects[issue.project]
        errors: dict[str, str] = {}
        for fid in fields:
            if fid in ("project", "issuetype", "status", "resolution"):
                errors[fid] = NOT_ON_SCREEN.format(fid)
        changes = self._collect(project, {k: v for k, v in fields.items() if k not in errors}, update, issue.fields,
                                version, errors, creating=False)  # fmt: skip
        comments = self._comment_adds(update, version, errors)
        self._check_required(project, issue.issue_type, changes, errors)  # on edit, only what changes
        if errors:
            raise JiraFakeError(400, errors=errors)
        items = self._apply(issue, changes)
        if items:
            history = self._history(issue, user, items)
            self._fire("jira:issue_updated", "issue_updated", issue, user, history)
        for comment_body in comments:
            self._add_comment(issue, {"body": comment_body}, user, version)

    def _delete(self, issue: _Issue, user: _User) -> None:
        self._fire("jira:issue_deleted", "issue_deleted", issue, user)
        del self._issues[issue.id]

    def _collect(self, project: _Project, fields: dict[str, Any], update: dict[str, Any], current: dict[str, Any],
                 version: str, errors: dict[str, str], creating: bool) -> dict[str, Any]:  # fmt: skip
        """The new canonical values that ``fields`` and ``update`` (Jira's add/set/remove operations) ask for."""
        screen = set(self._screen(project)) - ({"project", "issuetype"} if not creating else set())
        changes: dict[str, Any] = {}
        for fid, raw in fields.items():
            if fid in ("project", "issuetype") and creating:
                continue
            if fid not in screen:
                errors[fid] = NOT_ON_SCREEN.format(fid)
                continue
            if fid in update:
                errors[fid] = f"Field '{fid}' cannot be set in both 'fields' and 'update'."
                continue
            try:
                changes[fid] = self._convert(project, fid, raw, version)
            except _FieldError as error:
                errors[fid] = str(error)
        for fid, operations in update.items():
            if fid == "comment" or fid in errors:
                continue
            if fid not in screen or fid in ("project", "issuetype"):
                errors[fid] = NOT_ON_SCREEN.format(fid)
                continue
            if not isinstance(operations, list) or not all(isinstance(o, dict) and len(o) == 1 for o in operations):
                raise JiraFakeError(400, ["Can not deserialize instance of com.atlassian.jira.rest.api.issue."
                                          f"FieldOperation out of {type(operations).__name__} token: each operation "
                                          f"on '{fid}' must be an object such as {{\"add\": ...}}"])  # fmt: skip
            value = current.get(fid)
            try:
                for operation in operations:
                    (verb, raw), = operation.items()
                    value = self._operate(project, fid, value, verb, raw, version)
                changes[fid] = value
            except _FieldError as error:
                errors[fid] = str(error)
        return changes

    def _operate(self, project: _Project, fid: str, value: Any, verb: str, raw: Any, version: str) -> Any:
        multi = fid in ("labels", "components") or (fid in self._custom and self._custom[fid].type == "labels")
        if verb == "set":
            return self._convert(project, fid, raw, version)
        if verb not in ("add", "remove") or not multi:
            raise _FieldError(f"Field '{fid}' does not support operation '{verb}'")
        item = self._convert(project, fid, [raw], version)[0]
        values = list(value or [])
        if verb == "add" and item not in values:
            values.append(item)
        if verb == "remove" and item in values:
            values.remove(item)
        return values

    def _convert(self, project: _Project, fid: str, raw: Any, version: str) -> Any:
        """One field's value as the API takes it -> the canonical value; raises _FieldError as Jira refuses it."""
        if fid == "summary":
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                return None
            if not isinstance(raw, str):
                raise _FieldError("Operation value must be a string")
            if "\n" in raw or "\r" in raw:
                raise _FieldError("The summary is invalid because it contains newline characters.")
            if len(raw) > 255:
                raise _FieldError("Summary must be less than 255 characters.")
            return raw
        if fid == "description":
            return _doc(raw, version)
        if fid in ("labels",) or (fid in self._custom and self._custom[fid].type == "labels"):
            if raw is None:
                return []
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                raise _FieldError("data was not an array of strings")
            for label in raw:
                if not label or re.search(r"\s", label):
                    raise _FieldError(f"The label '{label}' contains spaces which is invalid.")
                if len(label) > 255:
                    raise _FieldError(f"The label '{label[:40]}...' exceeds the 255 character limit.")
            return list(dict.fromkeys(raw))
        if fid == "components":
            if raw is None:
                return []
            if not isinstance(raw, list):
                raise _FieldError("data was not an array")
            out = []
            for ref in raw:
                ref = ref if isinstance(ref, dict) else {}
                if "id" in ref:
                    if str(ref["id"]) not in project.components:
                        raise _FieldError(f"Component with id '{ref['id']}' does not exist.")
                    out.append(str(ref["id"]))
                else:
                    name = str(ref.get("name", ""))
                    found = next((c for c, n in project.components.items() if n.lower() == name.lower()), None)
                    if found is None:
                        raise _FieldError(f"Component name '{name}' is not valid")
                    out.append(found)
            return list(dict.fromkeys(out))
        if fid == "priority":
            if raw is None:
                return None
            if not isinstance(raw, dict):
                raise _FieldError("Specify the Priority (id or name) in the string format")
            if "id" in raw:
                found = next((p for p, _ in PRIORITIES if p == str(raw["id"])), None)
                if found is None:
                    raise _FieldError(f"Priority with id '{raw['id']}' does not exist")
                return found
            name = str(raw.get("name", ""))
            found = next((p for p, n in PRIORITIES if n.lower() == name.lower()), None)
            if found is None:
                raise _FieldError(f"Priority name '{name}' is not valid")
            return found
        cf = self._custom[fid]
        if raw is None:
            return None
        if cf.type == "number":
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise _FieldError("Operation value must be a number")
            return float(raw)
        if not isinstance(raw, str):
            raise _FieldError("Operation value must be a string")
        if len(raw) > 255:
            raise _FieldError("The entered text is too long. It exceeds the allowed limit of 255 characters.")
        return raw or None

    def _check_required(self, project: _Project, type_id: str, values: dict[str, Any], errors: dict[str, str]) -> None:
        for fid in self._required(project, type_id):
            if fid in ("project", "issuetype") or fid in errors or fid not in values:
                continue
            if values[fid] in (None, [], ""):
                errors[fid] = ("You must specify a summary of the issue." if fid == "summary"
                               else f"{self._field_name(fid)} is required.")  # fmt: skip

    def _apply(self, issue: _Issue, changes: dict[str, Any]) -> list[dict[str, Any]]:
        """Store the changed values; the changelog items for them."""
        items: list[dict[str, Any]] = []
        project = self._projects[issue.project]
        for fid, new in changes.items():
            old = issue.fields.get(fid)
            if _same(old, new):
                continue
            issue.fields[fid] = new
            if fid == "components":
                for cid in [c for c in old or [] if c not in new]:
                    items.append(_item("Component", "components", cid, project.components.get(cid), None, None))
                for cid in [c for c in new if c not in (old or [])]:
                    items.append(_item("Component", "components", None, None, cid, project.components.get(cid)))
            elif fid == "priority":
                names = dict(PRIORITIES)
                items.append(_item("priority", "priority", old, names.get(old or ""), new, names.get(new or "")))
            elif fid == "labels" or isinstance(new, list):
                name = "labels" if fid == "labels" else self._custom[fid].name
                items.append(_item(name, fid, None, " ".join(old or []) or None, None, " ".join(new) or None,
                                   custom=fid in self._custom))  # fmt: skip
            else:
                before, after = _display(old), _display(new)
                name = self._custom[fid].name if fid in self._custom else fid
                items.append(_item(name, fid, None, before, None, after, custom=fid in self._custom))
        if items:
            issue.updated = self._now()
        return items

    def _history(self, issue: _Issue, user: _User, items: list[dict[str, Any]]) -> dict[str, Any]:
        history = {"id": self._next_id(), "author": user.account_id, "created": issue.updated, "items": items}
        issue.histories.append(history)
        return history

    # -- issues: workflow, comments, links --------------------------------------------------------------------

    def _available(self, issue: _Issue) -> list[_Transition]:
        return [t for t in TRANSITIONS if issue.status in t.sources]

    def _transition(self, issue: _Issue, body: dict[str, Any], user: _User, version: str) -> None:
        ref = body.get("transition") if isinstance(body.get("transition"), dict) else {}
        wanted = str(ref.get("id", ""))
        chosen = next((t for t in self._available(issue) if t.id == wanted), None)
        if chosen is None:
            raise JiraFakeError(400, [f"Transition id '{wanted}' is not valid for this issue."])
        fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
        update = body.get("update") if isinstance(body.get("update"), dict) else {}
        errors: dict[str, str] = {}
        resolution = None
        for fid, raw in fields.items():
            if fid != "resolution" or chosen.resolution is None:
                errors[fid] = NOT_ON_SCREEN.format(fid)
                continue
            ref = raw if isinstance(raw, dict) else {}
            resolution = next((r for r, n, _ in RESOLUTIONS if r == str(ref.get("id")) or
                               n.lower() == str(ref.get("name", "")).lower()), None)  # fmt: skip
            if resolution is None:
                errors["resolution"] = f"Resolution '{ref.get('name') or ref.get('id')}' is not valid"
        for fid in update:
            if fid != "comment":
                errors[fid] = NOT_ON_SCREEN.format(fid)
        comments = self._comment_adds(update, version, errors)
        if errors:
            raise JiraFakeError(400, errors=errors)
        if chosen.resolution is not None and resolution is None:
            resolution = next(r for r, n, _ in RESOLUTIONS if n == chosen.resolution)
        now = self._now()
        old_status, old_resolution = issue.status, issue.resolution
        items = [_item("status", "status", old_status, self._status(old_status).name, chosen.to,
                       self._status(chosen.to).name)]  # fmt: skip
        names = {r: n for r, n, _ in RESOLUTIONS}
        if resolution != old_resolution:
            items.append(_item("resolution", "resolution", old_resolution, names.get(old_resolution or ""),
                               resolution, names.get(resolution or "")))  # fmt: skip
        if self._status(old_status).category != self._status(chosen.to).category:
            issue.status_changed = now
        issue.status, issue.resolution = chosen.to, resolution
        issue.resolution_date = (issue.resolution_date or now) if resolution else None
        issue.updated = now
        history = self._history(issue, user, items)
        comment = None
        for comment_body in comments:
            comment = self._add_comment(issue, {"body": comment_body}, user, version, fire=False)
        self._fire("jira:issue_updated", chosen.event, issue, user, history, comment)
        if comment is not None:
            self._fire("comment_created", None, issue, user, comment=comment)

    def _comment_adds(self, update: dict[str, Any], version: str, errors: dict[str, str]) -> list[Any]:
        adds = []
        for operation in update.get("comment") or []:
            add = operation.get("add") if isinstance(operation, dict) else None
            if not isinstance(add, dict) or add.get("body") in (None, ""):
                errors["comment"] = "Comment body can not be empty!"
                continue
            try:
                _doc(add["body"], version)
            except _FieldError as error:
                errors["comment"] = str(error)
                continue
            adds.append(add["body"])
        return adds

    def _add_comment(self, issue: _Issue, data: dict[str, Any], user: _User, version: str,
                     fire: bool = True) -> _Comment:  # fmt: skip
        try:
            body = _doc(data.get("body"), version)
        except _FieldError as error:
            raise JiraFakeError(400, errors={"comment": str(error)})
        if body is None:
            raise JiraFakeError(400, errors={"comment": "Comment body can not be empty!"})
        visibility = self._visibility(data.get("visibility"))
        properties = data.get("properties") if isinstance(data.get("properties"), list) else []
        now = self._now()
        comment = _Comment(self._next_id(), user.account_id, body, now, now, user.account_id, visibility, properties)
        issue.comments.append(comment)
        issue.updated = now
        if fire:
            self._fire("jira:issue_updated", "issue_commented", issue, user, comment=comment)
            self._fire("comment_created", None, issue, user, comment=comment)
        return comment

    def _update_comment(self, issue: _Issue, comment: _Comment, data: dict[str, Any], user: _User,
                        version: str) -> None:  # fmt: skip
        try:
            body = _doc(data.get("body"), version)
        except _FieldError as error:
            raise JiraFakeError(400, errors={"comment": str(error)})
        if body is None:
            raise JiraFakeError(400, errors={"comment": "Comment body can not be empty!"})
        comment.body = body
        if "visibility" in data:
            comment.visibility = self._visibility(data.get("visibility"))
        comment.updated = issue.updated = self._now()
        comment.update_author = user.account_id
        self._fire("jira:issue_updated", "issue_comment_edited", issue, user, comment=comment)
        self._fire("comment_updated", None, issue, user, comment=comment)

    def _delete_comment(self, issue: _Issue, comment: _Comment, user: _User) -> None:
        issue.comments.remove(comment)
        issue.updated = self._now()
        self._fire("jira:issue_updated", "issue_comment_deleted", issue, user, comment=comment)
        self._fire("comment_deleted", None, issue, user, comment=comment)

    def _visibility(self, raw: Any) -> dict[str, str] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict) or raw.get("type") not in ("role", "group"):
            raise JiraFakeError(400, errors={"commentLevel": "Visibility type must be 'role' or 'group'."})
        value = str(raw.get("value") or raw.get("identifier") or "")
        known = ROLES if raw["type"] == "role" else GROUPS
        if value not in known:
            kind = "project role" if raw["type"] == "role" else "group"
            raise JiraFakeError(400, errors={"commentLevel": f"You are currently not a member of the {kind}: {value}."})
        return {"type": raw["type"], "value": value}

    def _remote_links(self, method: str, version: str, issue: _Issue, parts: list[str], query: dict[str, list[str]],
                      body: Any) -> _Reply:  # fmt: skip
        base = f"{self._issue_self(issue, version)}/remotelink"
        if not parts:
            _allow(method, "GET", "POST", "DELETE")
            global_id = _q(query, "globalId")
            if method == "GET":
                if global_id is None:
                    return _Reply(200, [self._link_json(issue, link, version) for link in issue.links])
                link = next((lk for lk in issue.links if lk.global_id == global_id), None)
                if link is None:
                    raise JiraFakeError(404, [f"No remote link with globalId '{global_id}' on {issue.key}"])
                return _Reply(200, self._link_json(issue, link, version))
            if method == "DELETE":
                if global_id is None:
                    raise JiraFakeError(400, ["globalId is required"])
                issue.links = [lk for lk in issue.links if lk.global_id != global_id]
                return _Reply(204)
            data = _object(body)
            existing = next((lk for lk in issue.links if data.get("globalId") and lk.global_id == data["globalId"]),
                            None)  # fmt: skip
            link = self._save_link(issue, existing, data)
            return _Reply(200 if existing else 201, {"id": link.id, "self": f"{base}/{link.id}"})
        link = next((lk for lk in issue.links if str(lk.id) == parts[0]), None)
        if link is None or len(parts) > 1:
            raise JiraFakeError(404, [f"No remote link with id '{parts[0]}' on {issue.key}"])
        _allow(method, "GET", "PUT", "DELETE")
        if method == "GET":
            return _Reply(200, self._link_json(issue, link, version))
        if method == "DELETE":
            issue.links.remove(link)
            return _Reply(204)
        self._save_link(issue, link, _object(body))
        return _Reply(204)

    def _save_link(self, issue: _Issue, link: _RemoteLink | None, data: dict[str, Any]) -> _RemoteLink:
        obj = data.get("object") if isinstance(data.get("object"), dict) else {}
        errors = {k: f"'{k}' is required." for k in ("url", "title") if not isinstance(obj.get(k), str) or not obj[k]}
        if errors:
            raise JiraFakeError(400, errors=errors)
        application = data.get("application") if isinstance(data.get("application"), dict) else {}
        if link is None:
            self._link_id += 1
            link = _RemoteLink(self._link_id, data.get("globalId"), application, data.get("relationship"), obj)
            issue.links.append(link)
        else:
            link.global_id = data.get("globalId", link.global_id)
            link.application, link.relationship, link.object = application, data.get("relationship"), obj
        issue.updated = self._now()
        return link

    # -- search ---------------------------------------------------------------------------------------------

    def _search(self, jql: str) -> tuple[list[_Issue], bool]:
        compiled = compile_jql(jql, _Catalog(self), self._now())
        rows = [self._row(i) for i in self._issues.values()]
        hits = [r for r in rows if compiled.matches(r)]
        key_field = JqlField("key", "key", "key", nullable=False)
        ordered = compiled.sort(hits, default=[(key_field, True)])  # no ORDER BY: newest key first
        return [r["__issue__"] for r in ordered], compiled.restricted

    def _classic_search(self, version: str, params: dict[str, Any]) -> _Reply:
        jql = str(params.get("jql") or "")
        start = _int(params.get("startAt"), "startAt", 0)
        asked = _int(params.get("maxResults"), "maxResults", 50)
        page_size = max(0, min(asked, self.max_results))
        issues, _ = self._search(jql)
        wanted = _fields_filter(_list(params.get("fields")), "*navigable")
        expand = _expand_value(params.get("expand"))
        page = [self._issue_json(i, version, wanted, expand) for i in issues[start : start + page_size]]
        return _Reply(200, {"expand": "schema,names", "startAt": start, "maxResults": page_size,
                            "total": len(issues), "issues": page})  # fmt: skip

    def _enhanced_search(self, version: str, params: dict[str, Any]) -> _Reply:
        jql = str(params.get("jql") or "")
        issues, restricted = self._search(jql)
        if not restricted:
            raise JiraFakeError(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction "
                                      "to your query."])  # fmt: skip
        fields = _list(params.get("fields"))
        only_ids = not fields or all(f in ("id", "key") for f in fields)
        asked = _int(params.get("maxResults"), "maxResults", 50)
        page_size = max(1, min(asked, 5000 if only_ids else self.max_results))
        digest = hashlib.sha256(jql.encode()).hexdigest()[:16]
        start = 0
        token = params.get("nextPageToken")
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
                if decoded["q"] != digest:
                    raise ValueError("token of another query")
                start = int(decoded["o"])
            except (ValueError, KeyError, TypeError):
                raise JiraFakeError(400, ["The provided next page token is invalid or expired."])
        wanted = _fields_filter(fields or ["id"], "id")
        expand = _expand_value(params.get("expand"))
        page = []
        for issue in issues[start : start + page_size]:
            rendered = self._issue_json(issue, version, wanted, expand)
            if not fields:  # the default is ids only
                rendered = {"id": issue.id}
            page.append(rendered)
        out: dict[str, Any] = {"issues": page}
        if start + page_size < len(issues):
            raw = json.dumps({"q": digest, "o": start + page_size}).encode()
            out["nextPageToken"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        out["isLast"] = "nextPageToken" not in out
        return _Reply(200, out)

    def _row(self, issue: _Issue) -> dict[str, Any]:
        """The issue as the JQL evaluator sees it: canonical values by JqlField id."""
        project = self._projects[issue.project]
        description = issue.fields.get("description")
        comments = "\n".join(c.body.text for c in issue.comments)
        texts = [v for fid, v in issue.fields.items() if fid in self._custom and self._custom[fid].type == "string"]
        row: dict[str, Any] = {
            "__issue__": issue, "project": issue.project, "key": (project.key, issue.number),
            "status": issue.status, "statusCategory": self._status(issue.status).category,
            "resolution": issue.resolution, "issuetype": issue.issue_type, "priority": issue.fields.get("priority"),
            "components": [project.components[c].lower() for c in issue.fields.get("components") or []],
            "labels": [label.casefold() for label in issue.fields.get("labels") or []],
            "summary": issue.fields.get("summary") or "", "description": description.text if description else None,
            "comment": comments or None,
            "text": "\n".join(t for t in [issue.fields.get("summary") or "",
                                          description.text if description else "", comments, *texts] if t),
            "created": issue.created, "updated": issue.updated, "resolutiondate": issue.resolution_date,
            "reporter": issue.reporter, "assignee": issue.assignee, "creator": issue.creator,
        }  # fmt: skip
        for cf in self._customs(project):
            value = issue.fields.get(cf.id)
            row[cf.id] = [v.casefold() for v in value or []] if cf.type == "labels" else value
        return row

    # -- createmeta ---------------------------------------------------------------------------------------------

    def _createmeta(self, version: str, parts: list[str], query: dict[str, list[str]]) -> _Reply:
        cloud = self.deployment == "Cloud"
        if not parts:  # the old, all-in-one endpoint
            keys = {k.strip().upper() for v in query.get("projectKeys", []) for k in v.split(",") if k.strip()}
            ids = {i.strip() for v in query.get("projectIds", []) for i in v.split(",") if i.strip()}
            type_ids = {i.strip() for v in query.get("issuetypeIds", []) for i in v.split(",") if i.strip()}
            type_names = {n.strip().lower() for v in query.get("issuetypeNames", []) for n in v.split(",")
                          if n.strip()}  # fmt: skip
            with_fields = "projects.issuetypes.fields" in _expand(query)
            projects = []
            for p in self._projects.values():
                if (keys or ids) and p.key not in keys and p.id not in ids:
                    continue
                types = []
                for tid in p.issue_types:
                    name = self._issue_type_name(tid)
                    if (type_ids or type_names) and tid not in type_ids and name.lower() not in type_names:
                        continue
                    entry = {**self._issue_type_json(tid, version), "expand": "fields"}
                    if with_fields:
                        entry["fields"] = {f: self._field_meta(p, tid, f, version) for f in self._screen(p)}
                    types.append(entry)
                projects.append({**self._project_json(p, version), "expand": "issuetypes", "issuetypes": types})
            return _Reply(200, {"expand": "projects", "projects": projects})
        p = self._project(parts[0])
        if p is None or parts[1:2] != ["issuetypes"] or len(parts) > 3:
            raise JiraFakeError(404, [f"No project could be found with key '{parts[0]}'."])
        start = _int(_q(query, "startAt"), "startAt", 0)
        size = _int(_q(query, "maxResults"), "maxResults", 50)
        if len(parts) == 2:
            values = [self._issue_type_json(t, version) for t in p.issue_types]
            key = "issueTypes" if cloud else "values"
        else:
            if parts[2] not in p.issue_types:
                raise JiraFakeError(404, [f"Issue type with id '{parts[2]}' does not exist in project {p.key}."])
            values = [{**self._field_meta(p, parts[2], f, version), "fieldId": f} for f in self._screen(p)]
            key = "fields" if cloud else "values"
        page = values[start : start + size]
        out: dict[str, Any] = {"maxResults": size, "startAt": start, "total": len(values), key: page}
        if not cloud:
            out["isLast"] = start + size >= len(values)
        return _Reply(200, out)

    def _field_meta(self, p: _Project, type_id: str, fid: str, version: str) -> dict[str, Any]:
        required = fid in self._required(p, type_id)
        meta: dict[str, Any] = {"required": required, "name": self._field_name(fid), "key": fid,
                                "hasDefaultValue": False, "operations": ["set"]}  # fmt: skip
        if fid in self._custom:
            cf = self._custom[fid]
            return {**meta, "schema": self._custom_schema(cf), "operations": _CUSTOM_TYPES[cf.type][2]}
        meta["schema"] = SYSTEM_FIELDS[fid][2]
        if fid == "issuetype":
            meta["allowedValues"] = [self._issue_type_json(type_id, version)]
        elif fid == "project":
            meta["allowedValues"] = [self._project_json(p, version)]
        elif fid == "labels":
            meta.update(operations=["add", "set", "remove"],
                        autoCompleteUrl=f"{self.url}/rest/api/1.0/labels/suggest?query=")  # fmt: skip
        elif fid == "components":
            meta.update(operations=["add", "set", "remove"],
                        allowedValues=[self._component_json(p, c, version) for c in p.components])  # fmt: skip
        elif fid == "priority":
            meta.update(hasDefaultValue=True, defaultValue=self._priority_json(DEFAULT_PRIORITY, version),
                        allowedValues=[self._priority_json(pid, version) for pid, _ in PRIORITIES])  # fmt: skip
        return meta

    # -- webhooks ---------------------------------------------------------------------------------------------

    def _fire(self, event: str, type_name: str | None, issue: _Issue, user: _User,
              history: dict[str, Any] | None = None, comment: _Comment | None = None) -> None:  # fmt: skip
        """Queue ``event`` about ``issue`` for each webhook that wants it; the payload is built now."""
        hooks = [h for h in self._webhooks.values() if event in h.events]
        if not hooks:
            return
        row = None
        payload: dict[str, Any] = {"timestamp": int(self._now().timestamp() * 1000), "webhookEvent": event}
        if event.startswith("comment_"):
            slim = ("summary", "issuetype", "project", "assignee", "priority", "status")
            payload["comment"] = self._comment_json(issue, comment, "2", False) if comment else None
            payload["issue"] = self._issue_json(issue, "2", _fields_filter(list(slim), ""), set())
        else:
            payload.update(issue_event_type_name=type_name, user=self._user_json(self._users[user.account_id], "2"),
                           issue=self._issue_json(issue, "2", _fields_filter(None, "*navigable"), set()))
            if history is not None:
                payload["changelog"] = {"id": history["id"], "items": history["items"]}
            if comment is not None:
                payload["comment"] = self._comment_json(issue, comment, "2", False)
        for hook in hooks:
            if hook.jql:
                try:
                    compiled = compile_jql(hook.jql, _Catalog(self), self._now())
                except JqlError:
                    continue
                row = row or self._row(issue)
                if not compiled.matches(row):
                    continue
            self._outbox.put((hook, event, payload))

    def _deliver_loop(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy
        while True:
            item = self._outbox.get()
            if item is None:
                return
            hook, event, payload = item
            body = json.dumps(payload).encode()
            headers = {"Content-Type": "application/json; charset=UTF-8", "User-Agent": "Atlassian Webhook HTTP Client",
                       "X-Atlassian-Webhook-Identifier": secrets.token_hex(8)}  # fmt: skip
            if hook.secret:
                digest = hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
                headers["X-Hub-Signature"] = f"sha256={digest}"
            status: int | None = None
            error: str | None = None
            try:
                request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
                with opener.open(request, timeout=self.webhook_timeout) as response:
                    status = response.status
            except urllib.error.HTTPError as http_error:
                status = http_error.code
            except (OSError, ValueError) as failure:
                error = f"{type(failure).__name__}: {failure}"
            with self._delivered:
                self.webhook_deliveries.append(WebhookDelivery(hook.id, hook.url, event, payload, body, headers,
                                                               status, error, time.time()))  # fmt: skip
                self._delivered.notify_all()

    # -- lookups ----------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock().astimezone(timezone.utc)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _next_id(self) -> str:
        self._counter += 1
        return str(self._counter)

    def _add_user(self, name: str, email: str, display_name: str, email_visible: bool = True) -> _User:
        account_id = "712020:" + hashlib.sha256(email.encode()).hexdigest()[:8] + "-" + secrets.token_hex(12)
        user = _User(account_id, name, email, display_name, email_visible)
        self._users[account_id] = user
        return user

    def _project(self, ref: str) -> _Project | None:
        return next((p for p in self._projects.values() if ref in (p.id, p.key) or ref.upper() == p.key), None)

    def _project_or_fail(self, ref: str) -> _Project:
        p = self._project(ref)
        if p is None:
            raise ValueError(f"no project {ref!r}")
        return p

    def _project_ref(self, raw: Any) -> _Project | None:
        if isinstance(raw, dict):
            ref = raw.get("id") or raw.get("key")
            return self._project(str(ref)) if ref is not None else None
        return None

    def _issue_type_ref(self, raw: Any, project: _Project | None) -> str | None:
        if not isinstance(raw, dict):
            return None
        if "id" in raw:
            tid = str(raw["id"])
        else:
            tid = next((t for t, n, _ in ISSUE_TYPES if n.lower() == str(raw.get("name", "")).lower()), "")
        if project is not None and tid not in project.issue_types:
            return None
        return tid or None

    def _issue_type_id(self, name: str, project: _Project) -> str | None:
        return next((t for t in project.issue_types if self._issue_type_name(t).lower() == name.lower()), None)

    def _issue_type_name(self, tid: str) -> str:
        return next(n for t, n, _ in ISSUE_TYPES if t == tid)

    def _status(self, sid: str) -> _Status:
        return next(s for s in STATUSES if s.id == sid)

    def _customs(self, project: _Project) -> list[_CustomField]:
        return [cf for cf in self._custom.values() if cf.projects is None or project.id in cf.projects]

    def _screen(self, project: _Project) -> list[str]:
        return [*_SCREEN, *(cf.id for cf in self._customs(project))]

    def _screen_field_id(self, ref: str, project: _Project) -> str | None:
        for fid in self._screen(project):
            if ref == fid or ref.lower() == self._field_name(fid).lower():
                return fid
        return None

    def _required(self, project: _Project, type_id: str) -> set[str]:
        custom = {cf.id for cf in self._customs(project) if cf.required}
        return {*_ALWAYS_REQUIRED, *project.required.get(type_id, set()), *custom}

    def _field_name(self, fid: str) -> str:
        return self._custom[fid].name if fid in self._custom else SYSTEM_FIELDS[fid][0]

    def _find_issue(self, ref: str) -> _Issue | None:
        if ref.isdigit():
            return self._issues.get(ref)
        return next((i for i in self._issues.values() if i.key == ref.upper()), None)

    def _issue_or_fail(self, key: str) -> _Issue:
        issue = self._find_issue(key)
        if issue is None:
            raise JiraFakeError(404, [NO_ISSUE])
        return issue

    # -- rendering ----------------------------------------------------------------------------------------------

    def _api(self, version: str) -> str:
        return f"{self.url}/rest/api/{version}"

    def _issue_self(self, issue: _Issue, version: str) -> str:
        return f"{self._api(version)}/issue/{issue.id}"

    def _avatars(self, kind: str, ident: str) -> dict[str, str]:
        return {f"{s}x{s}": f"{self.url}/secure/{kind}avatar?size={s}&id={quote(ident)}" for s in (48, 24, 16, 32)}

    def _user_json(self, user: _User | None, version: str, full: bool = False) -> dict[str, Any] | None:
        if user is None:
            return None
        out: dict[str, Any]
        if self.deployment == "Cloud":
            out = {"self": f"{self._api(version)}/user?accountId={user.account_id}", "accountId": user.account_id}
            if user.email_visible or full and user is self.user:
                out["emailAddress"] = user.email
            out.update(avatarUrls=self._avatars("user", user.account_id), displayName=user.display_name, active=True,
                       timeZone="Etc/UTC", accountType="atlassian")  # fmt: skip
            return out
        return {"self": f"{self._api(version)}/user?username={user.name}", "name": user.name, "key": user.name,
                "emailAddress": user.email, "avatarUrls": self._avatars("user", user.name),
                "displayName": user.display_name, "active": True, "timeZone": "Etc/UTC"}  # fmt: skip

    def _user_by_id(self, account_id: str | None, version: str) -> dict[str, Any] | None:
        return self._user_json(self._users.get(account_id or ""), version)

    def _project_json(self, p: _Project, version: str, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                               "self": f"{self._api(version)}/project/{p.id}", "id": p.id, "key": p.key,
                               "name": p.name, "avatarUrls": self._avatars("project", p.id),
                               "projectTypeKey": "software", "simplified": False, "style": "classic",
                               "isPrivate": False, "properties": {}}  # fmt: skip
        if full:
            out.update(description=p.description, lead=self._user_by_id(p.lead, version),
                       components=[self._component_json(p, c, version) for c in p.components],
                       issueTypes=[self._issue_type_json(t, version) for t in p.issue_types], assigneeType="UNASSIGNED",
                       versions=[], roles={r: f"{self._api(version)}/project/{p.id}/role/{10000 + i}"
                                           for i, r in enumerate(ROLES)})  # fmt: skip
        return out

    def _component_json(self, p: _Project, cid: str, version: str) -> dict[str, Any]:
        return {"self": f"{self._api(version)}/component/{cid}", "id": cid, "name": p.components[cid],
                "isAssigneeTypeValid": False, "project": p.key, "projectId": int(p.id)}  # fmt: skip

    def _issue_type_json(self, tid: str, version: str) -> dict[str, Any]:
        name, description = next((n, d) for t, n, d in ISSUE_TYPES if t == tid)
        out = {"self": f"{self._api(version)}/issuetype/{tid}", "id": tid, "description": description,
               "iconUrl": f"{self.url}/images/icons/issuetypes/{name.lower()}.svg", "name": name,
               "untranslatedName": name, "subtask": False}  # fmt: skip
        if self.deployment == "Cloud":
            out.update(avatarId=10300 + int(tid) % 100, hierarchyLevel=0)
        return out

    def _priority_json(self, pid: str, version: str) -> dict[str, Any]:
        name = dict(PRIORITIES)[pid]
        return {"self": f"{self._api(version)}/priority/{pid}", "iconUrl": f"{self.url}/images/icons/priorities/"
                f"{name.lower()}.svg", "name": name, "id": pid}  # fmt: skip

    def _resolution_json(self, rid: str, version: str) -> dict[str, Any]:
        name, description = next((n, d) for r, n, d in RESOLUTIONS if r == rid)
        return {"self": f"{self._api(version)}/resolution/{rid}", "id": rid, "description": description, "name": name}

    def _category_json(self, key: str, version: str) -> dict[str, Any]:
        cid, name, color = CATEGORIES[key]
        return {"self": f"{self._api(version)}/statuscategory/{cid}", "id": int(cid), "key": key, "colorName": color,
                "name": name}  # fmt: skip

    def _status_json(self, sid: str, version: str) -> dict[str, Any]:
        s = self._status(sid)
        return {"self": f"{self._api(version)}/status/{sid}", "description": s.description,
                "iconUrl": f"{self.url}/images/icons/statuses/generic.png", "name": s.name, "id": sid,
                "statusCategory": self._category_json(s.category, version)}  # fmt: skip

    def _doc_json(self, doc: _Doc | None, version: str) -> Any:
        if doc is None:
            return None
        return doc.adf if version == "3" else doc.text

    def _comment_json(self, issue: _Issue, c: _Comment, version: str, with_properties: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"self": f"{self._issue_self(issue, version)}/comment/{c.id}", "id": c.id,
                               "author": self._user_by_id(c.author, version), "body": self._doc_json(c.body, version),
                               "updateAuthor": self._user_by_id(c.update_author, version),
                               "created": format_time(c.created), "updated": format_time(c.updated)}  # fmt: skip
        if self.deployment == "Cloud":
            out["jsdPublic"] = True
        if c.visibility:
            out["visibility"] = {**c.visibility, **({"identifier": c.visibility["value"]}
                                                    if self.deployment == "Cloud" else {})}  # fmt: skip
        if with_properties:
            out["properties"] = c.properties
        return out

    def _comments_page(self, issue: _Issue, version: str, query: dict[str, list[str]]) -> dict[str, Any]:
        comments = list(issue.comments)
        if (_q(query, "orderBy") or "").startswith("-"):
            comments.reverse()
        start = _int(_q(query, "startAt"), "startAt", 0)
        size = _int(_q(query, "maxResults"), "maxResults", 5000)
        properties = "properties" in _expand(query)
        page = [self._comment_json(issue, c, version, properties) for c in comments[start : start + size]]
        return {"startAt": start, "maxResults": size, "total": len(comments), "comments": page}

    def _link_json(self, issue: _Issue, link: _RemoteLink, version: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": link.id, "self": f"{self._issue_self(issue, version)}/remotelink/{link.id}"}
        if link.global_id is not None:
            out["globalId"] = link.global_id
        out["application"] = link.application
        if link.relationship is not None:
            out["relationship"] = link.relationship
        out["object"] = {"icon": {}, "status": {"icon": {}}, **link.object}
        return out

    def _history_json(self, history: dict[str, Any], version: str) -> dict[str, Any]:
        return {"id": history["id"], "author": self._user_by_id(history["author"], version),
                "created": format_time(history["created"]), "items": history["items"]}  # fmt: skip

    def _transitions_json(self, issue: _Issue, version: str, only: str | None, with_fields: bool) -> dict[str, Any]:
        out = []
        for t in self._available(issue):
            if only is not None and t.id != only:
                continue
            entry: dict[str, Any] = {"id": t.id, "name": t.name, "to": self._status_json(t.to, version),
                                     "hasScreen": t.resolution is not None, "isGlobal": False, "isInitial": False,
                                     "isAvailable": True, "isConditional": False, "isLooped": False}  # fmt: skip
            if with_fields:
                entry["fields"] = {} if t.resolution is None else {"resolution": {
                    "required": False, "schema": SYSTEM_FIELDS["resolution"][2], "name": "Resolution",
                    "key": "resolution", "operations": ["set"], "hasDefaultValue": True,
                    "allowedValues": [self._resolution_json(r, version) for r, _, _ in RESOLUTIONS]}}  # fmt: skip
            out.append(entry)
        return {"expand": "transitions", "transitions": out}

    def _issue_fields(self, issue: _Issue, version: str) -> dict[str, Any]:
        project = self._projects[issue.project]
        f = issue.fields
        comments = [self._comment_json(issue, c, version, False) for c in issue.comments]
        out: dict[str, Any] = {
            "summary": f.get("summary"), "description": self._doc_json(f.get("description"), version),
            "issuetype": self._issue_type_json(issue.issue_type, version),
            "project": self._project_json(project, version), "labels": list(f.get("labels") or []),
            "components": [self._component_json(project, c, version) for c in f.get("components") or []],
            "priority": self._priority_json(f["priority"], version) if f.get("priority") else None,
            "status": self._status_json(issue.status, version),
            "resolution": self._resolution_json(issue.resolution, version) if issue.resolution else None,
            "resolutiondate": format_time(issue.resolution_date) if issue.resolution_date else None,
            "created": format_time(issue.created), "updated": format_time(issue.updated),
            "statuscategorychangedate": format_time(issue.status_changed),
            "reporter": self._user_by_id(issue.reporter, version), "creator": self._user_by_id(issue.creator, version),
            "assignee": self._user_by_id(issue.assignee, version), "lastViewed": None, "issuelinks": [],
            "subtasks": [], "attachment": [],
            "comment": {"comments": comments, "self": f"{self._issue_self(issue, version)}/comment",
                        "maxResults": len(comments), "total": len(comments), "startAt": 0},
        }  # fmt: skip
        if self.deployment == "Cloud":
            out["statusCategory"] = self._category_json(self._status(issue.status).category, version)
        for cf in self._customs(project):
            value = f.get(cf.id)
            if cf.type == "number" and value is not None and float(value).is_integer():
                value = float(value)
            out[cf.id] = list(value) if isinstance(value, list) else value
        return out

    def _issue_json(self, issue: _Issue, version: str, wanted: Callable[[str], bool],
                    expand: set[str]) -> dict[str, Any]:  # fmt: skip
        fields = {k: v for k, v in self._issue_fields(issue, version).items() if wanted(k)}
        out: dict[str, Any] = {"expand": _EXPAND_ALL, "id": issue.id, "self": self._issue_self(issue, version),
                               "key": issue.key, "fields": fields}  # fmt: skip
        if "renderedFields" in expand:
            out["renderedFields"] = {"description": _rendered(issue.fields.get("description"))}
        if "names" in expand:
            out["names"] = {k: self._field_name(k) if k in SYSTEM_FIELDS or k in self._custom else k for k in fields}
        if "changelog" in expand:
            histories = [self._history_json(h, version) for h in issue.histories]
            out["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                                "histories": histories}  # fmt: skip
        if "transitions" in expand:
            out["transitions"] = self._transitions_json(issue, version, None, False)["transitions"]
        return out


# -- JQL catalog ----------------------------------------------------------------------------------------------


class _Catalog:
    """The site as :mod:`casehub.fakes.jql` asks for it."""

    _SYSTEM = {
        "project": JqlField("project", "project", "choice", nullable=False),
        "key": JqlField("key", "key", "key", nullable=False),
        "issuekey": JqlField("key", "issuekey", "key", nullable=False),
        "id": JqlField("key", "id", "key", nullable=False),
        "issue": JqlField("key", "issue", "key", nullable=False),
        "status": JqlField("status", "status", "choice", nullable=False),
        "statuscategory": JqlField("statusCategory", "statusCategory", "choice", nullable=False),
        "resolution": JqlField("resolution", "resolution", "choice"),
        "issuetype": JqlField("issuetype", "issuetype", "choice", nullable=False),
        "type": JqlField("issuetype", "type", "choice", nullable=False),
        "priority": JqlField("priority", "priority", "choice"),
        "component": JqlField("components", "component", "multi"),
        "labels": JqlField("labels", "labels", "multi"),
        "summary": JqlField("summary", "summary", "text"),
        "description": JqlField("description", "description", "text", sortable=False),
        "comment": JqlField("comment", "comment", "text", sortable=False),
        "text": JqlField("text", "text", "text", sortable=False),
        "created": JqlField("created", "created", "date"),
        "createddate": JqlField("created", "createdDate", "date"),
        "updated": JqlField("updated", "updated", "date"),
        "updateddate": JqlField("updated", "updatedDate", "date"),
        "resolved": JqlField("resolutiondate", "resolved", "date"),
        "resolutiondate": JqlField("resolutiondate", "resolutiondate", "date"),
        "reporter": JqlField("reporter", "reporter", "user"),
        "assignee": JqlField("assignee", "assignee", "user"),
        "creator": JqlField("creator", "creator", "user"),
    }

    def __init__(self, fake: JiraFake) -> None:
        self.fake = fake

    def field(self, name: str) -> JqlField | None:
        found = self._SYSTEM.get(name.lower())
        if found is not None:
            return found
        m = re.fullmatch(r"cf\[(\d+)\]", name, re.IGNORECASE)
        for cf in self.fake._custom.values():
            if (m and int(m.group(1)) == cf.number) or cf.name.lower() == name.lower():
                kind = {"string": "text", "number": "number", "labels": "multi"}[cf.type]
                return JqlField(cf.id, f"cf[{cf.number}]" if m else cf.name, kind)
        return None

    def resolve(self, field: JqlField, value: str) -> Any:
        fake = self.fake
        lowered = value.lower()
        found: Any = None
        if field.id == "project":
            found = next((p.id for p in fake._projects.values() if lowered in (p.id, p.key.lower(), p.name.lower())),
                         None)  # fmt: skip
        elif field.id == "key":
            issue = fake._find_issue(value) if (value.isdigit() or _KEY.fullmatch(value)) else None
            if issue is None:
                if value.isdigit() or _KEY.fullmatch(value):
                    raise JqlError(f"An issue with key '{value}' does not exist for field '{field.name}'.")
                raise JqlError(f"The issue key '{value}' for field '{field.name}' is invalid.")
            return fake._projects[issue.project].key, issue.number
        elif field.id == "status":
            found = next((s.id for s in STATUSES if lowered in (s.id, s.name.lower())), None)
        elif field.id == "statusCategory":
            found = next((k for k, (cid, name, _) in CATEGORIES.items() if lowered in (k, cid, name.lower())), None)
        elif field.id == "resolution":
            if lowered == "unresolved":
                return None
            found = next((r for r, n, _ in RESOLUTIONS if lowered in (r, n.lower())), None)
        elif field.id == "issuetype":
            found = next((t for t, n, _ in ISSUE_TYPES if lowered in (t, n.lower())), None)
        elif field.id == "priority":
            found = next((p for p, n in PRIORITIES if lowered in (p, n.lower())), None)
        elif field.id == "components":
            names = {n.lower() for p in fake._projects.values() for n in p.components.values()}
            ids = {c: n.lower() for p in fake._projects.values() for c, n in p.components.items()}
            found = lowered if lowered in names else ids.get(value)
        elif field.kind == "multi":  # labels: any label may be searched for
            return value.casefold()
        elif field.kind == "user":
            found = next((u.account_id for u in fake._users.values()
                          if lowered in (u.account_id.lower(), u.name.lower(), u.email.lower(),
                                         u.display_name.lower())), None)  # fmt: skip
        if found is None:
            raise JqlError(f"The value '{value}' does not exist for the field '{field.name}'.")
        return found

    def current_user(self) -> str:
        return self.fake.user.account_id

    def sort_key(self, field: JqlField, value: Any) -> Any:
        if field.id == "status":
            return [s.id for s in STATUSES].index(value)
        if field.id == "statusCategory":
            return list(CATEGORIES).index(value)
        if field.id == "priority":  # ORDER BY priority DESC: Highest first
            return len(PRIORITIES) - [p for p, _ in PRIORITIES].index(value)
        if field.id == "resolution":
            return [r for r, _, _ in RESOLUTIONS].index(value)
        if field.id == "issuetype":
            return self.fake._issue_type_name(value).casefold()
        if field.id == "project":
            return self.fake._projects[value].key
        if field.kind == "user":
            user = self.fake._users.get(value)
            return user.display_name.casefold() if user else value
        return value


# -- helpers --------------------------------------------------------------------------------------------------


def _item(name: str, fid: str, before: Any, before_text: str | None, after: Any, after_text: str | None,
          custom: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"field": name, "fieldtype": "custom" if custom else "jira", "fieldId": fid, "from": before,
            "fromString": before_text, "to": after, "toString": after_text}  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, _Doc) or isinstance(b, _Doc):
        return isinstance(a, _Doc) and isinstance(b, _Doc) and a.text == b.text
    return bool(a == b)


def _display(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, _Doc):
        return value.text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise JiraFakeError(405)


def _not_found(uri: str) -> _Reply:
    return _Reply(404, {"message": f"null for uri: {uri}", "status-code": 404})


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise JiraFakeError(400, ["The request body must be a JSON object."])
    return body


def _q(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int(raw: Any, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise JiraFakeError(400, [f"The value '{raw}' for parameter '{name}' is not a valid integer."])


def _list(raw: Any) -> list[str] | None:
    """A ``fields``-style parameter: repeated, comma-separated, or a JSON list."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [raw]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def _expand(query: dict[str, list[str]]) -> set[str]:
    return _expand_value(query.get("expand"))


def _expand_value(raw: Any) -> set[str]:
    return set(_list(raw) or [])


def _params(query: dict[str, list[str]], body: Any, method: str) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST)."""
    if method == "POST":
        return _object(body) if body is not None else {}
    return {k: (v if k in ("fields", "expand") else v[0]) for k, v in query.items()}


def _fields_filter(specs: list[str] | None, default: str) -> Callable[[str], bool]:
    """Jira's ``fields`` parameter: ``*all``, ``*navigable``, names, ``-name`` to leave one out."""
    tokens = _list(specs) if specs is not None else _list(default) or []
    everything = "*all" in tokens
    navigable = "*navigable" in tokens
    names = {t for t in tokens if not t.startswith(("-", "*"))}
    excluded = {t[1:] for t in tokens if t.startswith("-")}

    def wanted(fid: str) -> bool:
        if fid in excluded:
            return False
        return everything or (navigable and fid != "comment") or fid in names

    return wanted


def main(argv: list[str] | None = None) -> None:
    """``python -m casehub.fakes.jira [--port N] [--deployment Server]``: a fake Jira site for demos and scripts."""
    parser = argparse.ArgumentParser(prog="python -m casehub.fakes.jira", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--deployment", choices=("Cloud", "Server"), default="Cloud")
    parser.add_argument("--requests-per-minute", type=int, default=None, help="rate limit (default: none)")
    args = parser.parse_args(argv)
    with JiraFake(port=args.port, deployment=args.deployment, requests_per_minute=args.requests_per_minute) as fake:
        lines = [f"url:        {fake.url}  (Jira {fake.deployment})", f"email:      {fake.email}",
                 f"api token:  {fake.api_token}"]  # fmt: skip
        if fake.deployment == "Server":
            lines += [f"username:   {fake.username}  (basic auth with the api token as password also works)",
                      f"pat:        {fake.pat}  (token_auth=)"]  # fmt: skip
        announce_until_ctrl_c([*lines, "project:    FEED (Product feedback)"])


if __name__ == "__main__":
    main()
