"""A fake Salesforce org: the REST API over real HTTPS on 127.0.0.1, records kept in memory.

The Salesforce plugin is tested with the real ``simple_salesforce`` client against this server, so what
the fake must get right is what that client and Salesforce agree on: URLs under ``/services/data/vNN.N/``,
the error list ``[{"message", "errorCode", "fields"}]`` and its HTTP statuses (which the client turns
into its exception classes), the ``Sforce-Limit-Info`` header, 401 ``INVALID_SESSION_ID`` when a session
expires, 18-character ids, Salesforce's datetime format, SOQL's quoting rules and the assignment-rule
header. It is strict where Salesforce is strict (unknown fields, read-only fields, restricted picklists,
string literals in SOQL) so code that passes here does not fail on a real org for a reason the fake hid.

``with SalesforceFake() as sf_fake:`` serves on ``sf_fake.url``; trust ``sf_fake.ca_path`` and use
``sf_fake.token`` as the session id. ``python -m casehub.fakes.salesforce`` runs one on its own.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import trustme

from casehub.fakes.server import Reply as _Reply
from casehub.fakes.server import VendorServer, announce_until_ctrl_c
from casehub.fakes.soql import SoqlError, compile_query, format_datetime, id_checksum, normalize_id, parse_datetime

__all__ = ["Field", "RecordedRequest", "SalesforceFake", "SalesforceFakeError", "main"]

ORG_ID = "00D000000000001" + id_checksum("00D000000000001")
MAX_COLLECTION = 200
STRING_TYPES = {"string", "textarea", "picklist", "email", "phone", "url"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_VERSIONED = re.compile(r"/services/data/v(\d+\.\d+)(/.*)?")
ROLLED_BACK = "Record rolled back because not all records were valid and the request was using AllOrNone header"


class SalesforceFakeError(Exception):
    """One Salesforce error: answered as ``[{"message", "errorCode", "fields"}]`` with ``status``.

    Also raised by the fake's Python-side controls (``insert``, ``agent_edit``) for data Salesforce would refuse.
    """

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields or []

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.error_code, "fields": self.fields}]

    def save_error(self) -> dict[str, Any]:
        """The same error inside a collection result (``statusCode`` rather than ``errorCode``)."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields}


# -- schema -----------------------------------------------------------------------------------------------------


@dataclass
class Field:
    """One field as ``describe`` reports it; ``type`` is Salesforce's (string, picklist, reference, datetime, ...)."""

    name: str
    type: str = "string"
    label: str = ""
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: Any = None
    defaulted: bool = False  # Salesforce fills it on create (OwnerId, checkboxes)
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    calculated: bool = False
    auto_number: bool = False

    def __post_init__(self) -> None:
        self.label = self.label or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", self.name.removesuffix("__c")).replace("_", " ")
        if not self.length and self.type in STRING_TYPES:
            self.length = 255
        if self.type == "boolean":
            self.nillable, self.defaulted = False, True
            self.default = bool(self.default)

    @property
    def filterable(self) -> bool:
        return not (self.type == "textarea" and self.length > 255)  # long text areas can't be filtered or sorted

    sortable = filterable

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "type": self.type, "length": self.length,
            "createable": self.createable, "updateable": self.updateable, "nillable": self.nillable,
            "externalId": self.external_id, "unique": self.unique, "idLookup": self.name == "Id" or self.external_id,
            "custom": self.name.endswith("__c"), "calculated": self.calculated, "autoNumber": self.auto_number,
            "defaultedOnCreate": self.defaulted or self.default is not None,
            "defaultValue": self.default if self.type in STRING_TYPES | {"boolean"} else None,
            "filterable": self.filterable, "sortable": self.sortable, "caseSensitive": False,
            "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": v == self.default,
                                "validFor": None} for v in self.picklist],
            "restrictedPicklist": self.restricted, "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name, "nameField": self.name == "Name",
        }  # fmt: skip


@dataclass
class SObjectType:
    name: str
    prefix: str
    fields: dict[str, Field] = field(default_factory=dict)  # by lower-case name, in definition order

    def field(self, name: str) -> Field | None:
        return self.fields.get(name.lower())

    def add(self, f: Field) -> None:
        self.fields[f.name.lower()] = f


def _ref(name: str, *targets: str, relationship: str | None = None, **options: Any) -> Field:
    rel = relationship if relationship is not None else name.removesuffix("Id")
    return Field(name, "reference", length=18, reference_to=targets, relationship_name=rel, **options)


def _sobject(name: str, prefix: str, *fields: Field, owned: bool = False) -> SObjectType:
    readonly = {"createable": False, "updateable": False, "nillable": False}
    t = SObjectType(name, prefix)
    for f in (Field("Id", "id", length=18, **readonly),
              Field("IsDeleted", "boolean", createable=False, updateable=False), *fields,
              *([_ref("OwnerId", "User", "Group", nillable=False, defaulted=True)] if owned else []),
              Field("CreatedDate", "datetime", **readonly), _ref("CreatedById", "User", **readonly),
              Field("LastModifiedDate", "datetime", **readonly), _ref("LastModifiedById", "User", **readonly),
              Field("SystemModstamp", "datetime", **readonly)):  # fmt: skip
        t.add(f)
    return t


def _standard_objects() -> dict[str, SObjectType]:
    def picklist(name: str, values: tuple[str, ...], default: str | None = None) -> Field:
        return Field(name, "picklist", picklist=values, restricted=True, default=default)

    computed = {"createable": False, "updateable": False, "calculated": True}
    objects = [
        _sobject("Case", "500",
                 Field("CaseNumber", length=30, createable=False, updateable=False, nillable=False, auto_number=True),
                 _ref("ContactId", "Contact"), _ref("AccountId", "Account"),
                 Field("SuppliedName", label="Name", length=80),
                 Field("SuppliedEmail", "email", label="Email", length=80),
                 Field("SuppliedPhone", "phone", label="Phone", length=40),
                 Field("SuppliedCompany", label="Company", length=80),
                 picklist("Type", ("Problem", "Feature Request", "Question", "Other")),
                 picklist("Status", ("New", "Working", "Escalated", "Closed"), "New"),
                 picklist("Reason", ("Installation", "Performance", "Breakdown", "Feedback", "Complex functionality",
                                     "Existing problem", "Instructions not clear", "New problem", "Other")),
                 picklist("Origin", ("Phone", "Email", "Web")),
                 Field("Subject"), picklist("Priority", ("High", "Medium", "Low"), "Medium"),
                 Field("Description", "textarea", length=32000),
                 Field("IsClosed", "boolean", label="Closed", createable=False, updateable=False),
                 Field("ClosedDate", "datetime", updateable=False), Field("IsEscalated", "boolean", label="Escalated"),
                 Field("Casehub_Id__c", label="Casehub Id", external_id=True, unique=True), owned=True),  # fmt: skip
        _sobject("Contact", "003", _ref("AccountId", "Account"), Field("LastName", length=80, nillable=False),
                 Field("FirstName", length=40), Field("Name", length=121, **computed),
                 Field("Phone", "phone", length=40), Field("Email", "email", length=80), owned=True),  # fmt: skip
        _sobject("Account", "001", Field("Name", nillable=False), Field("Phone", "phone", length=40),
                 Field("Website", "url"), owned=True),  # fmt: skip
        _sobject("CaseComment", "00a",
                 _ref("ParentId", "Case", relationship="Parent", nillable=False, updateable=False),
                 Field("IsPublished", "boolean", label="Published"), Field("CommentBody", "textarea", length=4000)),
        _sobject("User", "005", Field("Username", length=80, nillable=False, unique=True),
                 Field("LastName", length=80, nillable=False), Field("FirstName", length=40),
                 Field("Name", length=121, **computed), Field("Email", "email", length=128, nillable=False),
                 Field("IsActive", "boolean", label="Active", default=True)),  # fmt: skip
        _sobject("Group", "00G", Field("Name", length=40, nillable=False), Field("DeveloperName", length=80),
                 picklist("Type", ("Regular", "Queue", "Role", "Organization"), "Regular")),
    ]
    return {t.name.lower(): t for t in objects}


class _Catalog:
    """The org's objects as :mod:`casehub.fakes.soql` asks for them."""

    def __init__(self, objects: dict[str, SObjectType]) -> None:
        self.objects = objects

    def object_name(self, name: str) -> str | None:
        t = self.objects.get(name.lower())
        return t.name if t else None

    def field(self, sobject: str, name: str) -> Field | None:
        return self.objects[sobject.lower()].field(name)

    def relationship(self, sobject: str, name: str) -> tuple[str, str, tuple[str, ...]] | None:
        for f in self.objects[sobject.lower()].fields.values():
            if f.relationship_name and f.relationship_name.lower() == name.lower():
                return f.relationship_name, f.name, f.reference_to
        return None


# -- requests as the fake saw them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string, as sent (not unquoted)
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON, the form fields of an OAuth request, raw text if neither parsed, or None
    status: int  # what the fake answered
    at: float  # time.time() when it arrived

    def header(self, name: str) -> str | None:
        """A request header by name, case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class _Failure:
    status: int
    error_code: str
    message: str
    retry_after: float | None


# -- the fake -------------------------------------------------------------------------------------------------


class SalesforceFake:
    """``with SalesforceFake() as sf_fake:`` serves a Salesforce org on ``sf_fake.url`` until the block ends."""

    def __init__(self, *, port: int = 0, page_size: int = 2000, api_limit: int = 15000, assign_on_update: bool = True,
                 clock: Callable[[], datetime] | None = None) -> None:  # fmt: skip
        self.page_size = page_size  # records per query page before nextRecordsUrl
        # Salesforce applies the default assignment rule on API *updates* of Cases too, unless the request says
        # ``Sforce-Auto-Assign: FALSE``; set False to apply it only on create.
        self.assign_on_update = assign_on_update
        self.requests: list[RecordedRequest] = []
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.RLock()
        self._objects = _standard_objects()
        self._catalog = _Catalog(self._objects)
        self._rows: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self._objects}
        self._type_of: dict[str, str] = {}  # record id -> object key
        self._pod = "".join(secrets.choice(_BASE62) for _ in range(2))  # ids differ between fakes
        self._next_id = 0
        self._case_number = 1000
        self._sessions: dict[str, str] = {}  # token -> user id
        self._token: str | None = None
        self._passwords: dict[str, tuple[str, str]] = {}  # lower username -> (password, security token)
        self._clients: dict[str, tuple[str, str]] = {}  # client id -> (secret, run-as user id)
        self._jwt_keys: dict[str, bytes] = {}
        self._api_limit, self._api_used = api_limit, 0
        self._failures: deque[_Failure] = deque()
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._index: dict[tuple[str, str], dict[str, set[str]]] = {}  # (object, field) -> value -> record ids

        self.api_username = "integration@casehub.test"
        self.agent_username = "agent@casehub.test"
        self.api_user_id = ""  # the API user creates itself
        self.api_user_id = self.add_user(self.api_username, secrets.token_urlsafe(16), last_name="Integration")
        self._rows["user"][self.api_user_id].update(CreatedById=self.api_user_id, LastModifiedById=self.api_user_id)
        self.agent_user_id = self.add_user(self.agent_username, secrets.token_urlsafe(16), first_name="Ada",
                                           last_name="Agent")  # fmt: skip
        self.default_queue_id = self.insert("Group", Name="Support Queue", DeveloperName="Support_Queue", Type="Queue")

        self._tmp = Path(tempfile.mkdtemp(prefix="casehub-sf-fake-"))
        ca = trustme.CA()
        server_cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = str(self._tmp / "ca.pem")  # the CA to trust: requests' ``verify=``
        ca.cert_pem.write_to_path(self.ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(context)
        self._server = VendorServer(port, self._serve, tls=context, name="sf-fake")

    @property
    def url(self) -> str:
        """The instance URL: ``https://127.0.0.1:PORT``."""
        return self._server.url

    @property
    def token(self) -> str:
        """A valid session id for the API user (a new one after :meth:`expire_sessions`)."""
        with self._lock:
            if self._token not in self._sessions:
                self._token = self.issue_token()
            return self._token

    def start(self) -> SalesforceFake:
        self._server.start()
        return self

    def close(self) -> None:
        self._server.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> SalesforceFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- test controls: identities -------------------------------------------------------------------------

    def add_user(self, username: str, password: str, security_token: str = "", *, first_name: str | None = None,
                 last_name: str | None = None, email: str | None = None) -> str:  # fmt: skip
        """A user who can log in with ``password + security_token``; returns the User id."""
        with self._lock:
            self._passwords[username.lower()] = (password, security_token)
            existing = self._find("user", "Username", username)
            if existing:
                return str(existing[0]["Id"])
            return self.insert("User", Username=username, FirstName=first_name,
                               LastName=last_name or username.split("@")[0], Email=email or username)  # fmt: skip

    def add_client(self, client_id: str, client_secret: str, run_as: str | None = None) -> None:
        """A connected app; the client-credentials flow runs as ``run_as`` (a username; default the API user)."""
        with self._lock:
            user = self._find("user", "Username", run_as) if run_as else None
            if run_as and not user:
                raise ValueError(f"no user {run_as!r}: add_user() first")
            self._clients[client_id] = (client_secret, str(user[0]["Id"]) if user else self.api_user_id)

    def register_jwt_key(self, consumer_key: str, public_pem: str | bytes) -> None:
        """The certificate (public key, PEM) of a connected app that signs JWT-bearer assertions."""
        pem = public_pem.encode() if isinstance(public_pem, str) else public_pem
        if b"BEGIN CERTIFICATE" in pem:  # what a connected app is given: take the key out of the certificate
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

            key = x509.load_pem_x509_certificate(pem).public_key()
            pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        with self._lock:
            self._jwt_keys[consumer_key] = pem

    def issue_token(self, username: str | None = None) -> str:
        """A new session id for ``username`` (default the API user), as if it had logged in."""
        with self._lock:
            user = self._find("user", "Username", username) if username else None
            if username and not user:
                raise ValueError(f"no user {username!r}")
            token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
            self._sessions[token] = str(user[0]["Id"]) if user else self.api_user_id
            return token

    def expire_sessions(self) -> None:
        """Every session id issued so far stops working (401 INVALID_SESSION_ID): clients must log in again."""
        with self._lock:
            self._sessions.clear()

    # -- test controls: limits, failures, what was asked -----------------------------------------------------

    def set_api_limit(self, limit: int, used: int | None = None) -> None:
        """The org's daily API request limit (and optionally how much of it is used up already)."""
        with self._lock:
            self._api_limit = limit
            if used is not None:
                self._api_used = used

    @property
    def api_usage(self) -> tuple[int, int]:
        """``(used, limit)``, as ``Sforce-Limit-Info`` reports them."""
        with self._lock:
            return self._api_used, self._api_limit

    def fail_next(self, n: int, status: int = 503, error_code: str = "SERVER_UNAVAILABLE",
                  message: str = "Server is temporarily unavailable",
                  retry_after: float | None = None) -> None:  # fmt: skip
        """The next ``n`` REST requests (not OAuth) get this error instead of an answer; they don't count as usage."""
        with self._lock:
            self._failures.extend([_Failure(status, error_code, message, retry_after)] * n)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- test controls: schema and data ----------------------------------------------------------------------

    def add_field(self, sobject: str, name: str, type: str = "string", **options: Any) -> Field:  # noqa: A002
        """A custom field: ``add_field("Case", "Product__c", type="picklist", picklist=("Lamp",), restricted=True)``.

        Options are :class:`Field`'s: ``label, length, createable, updateable, nillable, external_id, unique,
        picklist, restricted, default, reference_to, relationship_name``.
        """
        with self._lock:
            f = Field(name, type, **options)
            self._type(sobject).add(f)
            return f

    def set_picklist(self, sobject: str, name: str, values: tuple[str, ...] | list[str],
                     restricted: bool = True) -> None:  # fmt: skip
        with self._lock:
            t = self._type(sobject)
            f = t.field(name)
            if f is None or f.type != "picklist":
                raise ValueError(f"{sobject}.{name} is not a picklist")
            t.add(replace(f, picklist=tuple(values), restricted=restricted))

    def insert(self, sobject: str, **fields: Any) -> str:
        """Create a record directly (as the API user, no assignment rule); returns its id.

        Values are JSON-style, as the API takes them; read-only fields (CreatedDate, ...) are refused.
        """
        with self._lock:
            return self._create(self._type(sobject), fields, self.api_user_id, "false")

    def records(self, sobject: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """All records of ``sobject`` in creation order, as the REST API renders them."""
        with self._lock:
            t = self._type(sobject)
            rows = self._rows[t.name.lower()].values()
            return [self._render(t, row) for row in rows if include_deleted or not row["IsDeleted"]]

    def get(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        """One record as the REST API renders it, or None (also when deleted)."""
        with self._lock:
            t = self._type(sobject)
            row = self._rows[t.name.lower()].get(normalize_id(record_id) or "")
            return self._render(t, row) if row and not row["IsDeleted"] else None

    def agent_edit(self, sobject: str, record_id: str, **fields: Any) -> dict[str, Any]:
        """Change a record as an agent in the Salesforce UI would: LastModifiedById is the agent, stamps move."""
        with self._lock:
            t = self._type(sobject)
            self._update(t, self._existing(t, record_id), fields, self.agent_user_id, "false")
            return self._render(t, self._rows[t.name.lower()][normalize_id(record_id) or ""])

    def agent_comment(self, case_id: str, body: str, public: bool = True) -> str:
        """An agent adds a CaseComment (``public``: IsPublished) to a Case; returns the comment's id.

        The Case itself is not touched (its SystemModstamp stays): poll CaseComment to see new comments.
        """
        with self._lock:
            self._existing(self._type("Case"), case_id)
            return self._create(self._type("CaseComment"), {"ParentId": case_id, "CommentBody": body,
                                                             "IsPublished": public}, self.agent_user_id, "false")

    # -- HTTP -----------------------------------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        lower = {k.lower(): v for k, v in headers.items()}
        text = raw.decode("utf-8", "replace")
        body: Any = None
        if path == "/services/oauth2/token" or "form-urlencoded" in lower.get("content-type", ""):
            body = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()} if raw else None
        elif raw:
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        with self._lock:
            if path.startswith("/services/oauth2/"):
                reply = self._oauth(method, path, body, lower)
            else:
                reply = self._rest(method, path, query, lower, body, raw)
            self.requests.append(RecordedRequest(method, path, query, headers, body, reply.status, time.time()))
            return reply

    def _rest(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any,
              raw: bytes) -> _Reply:  # fmt: skip
        m = _VERSIONED.fullmatch(path.rstrip("/") or "/")
        if path.rstrip("/") == "/services/data" and method == "GET":
            reply = _Reply(200, [{"label": "Fake", "url": "/services/data/v59.0", "version": "59.0"}])
        elif self._failures:
            failure = self._failures.popleft()
            extra = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            reply = _Reply(failure.status, SalesforceFakeError(0, failure.error_code, failure.message).body(), extra)
        elif self._sessions.get(_bearer(headers.get("authorization", ""))) is None:
            error = SalesforceFakeError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            reply = _Reply(401, error.body(), {"WWW-Authenticate": "Token"})
        elif self._api_used >= self._api_limit:
            error = SalesforceFakeError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            reply = _Reply(403, error.body())
        elif m is None:
            self._api_used += 1
            reply = _not_found()
        else:
            self._api_used += 1
            user = self._sessions[_bearer(headers["authorization"])]
            rest = m.group(2) or ""
            parts = [unquote(p) for p in rest.strip("/").split("/")] if rest.strip("/") else []
            try:
                if raw and isinstance(body, str):
                    raise SalesforceFakeError(400, "JSON_PARSER_ERROR", f"Unexpected character in JSON: {body[:40]!r}")
                reply = self._route(method, m.group(1), parts, query, headers, body, user)
            except SalesforceFakeError as error:
                reply = _Reply(error.status, error.body())
            except SoqlError as error:
                reply = _Reply(400, SalesforceFakeError(400, error.error_code, error.message).body())
        reply.headers["Sforce-Limit-Info"] = f"api-usage={self._api_used}/{self._api_limit}"
        return reply

    def _route(self, method: str, version: str, parts: list[str], query: dict[str, list[str]],
               headers: dict[str, str], body: Any, user: str) -> _Reply:  # fmt: skip
        assign = headers.get("sforce-auto-assign", "TRUE").strip().lower()
        assign = assign if assign in ("true", "false") else "rule"  # an AssignmentRule id
        n = len(parts)
        head = parts[0] if parts else ""
        if n == 0:
            _allow(method, "GET")
            base = f"/services/data/v{version}"
            return _Reply(200, {k: f"{base}/{k}" for k in ("sobjects", "query", "queryAll", "limits", "composite")})
        if head == "limits" and n == 1:
            _allow(method, "GET")
            remaining = max(self._api_limit - self._api_used, 0)
            return _Reply(200, {"DailyApiRequests": {"Max": self._api_limit, "Remaining": remaining},
                                "DataStorageMB": {"Max": 5, "Remaining": 5},
                                "FileStorageMB": {"Max": 20, "Remaining": 20}})  # fmt: skip
        if head in ("query", "queryAll") and n in (1, 2):
            _allow(method, "GET")
            if n == 2:
                return self._query_more(version, parts[1])
            return self._query(version, (query.get("q") or [""])[0], include_deleted=head == "queryAll")
        if head == "sobjects":
            return self._sobjects(method, version, parts[1:], query, body, user, assign)
        if parts[:2] == ["composite", "sobjects"]:
            return self._collections(method, version, parts[2:], query, body, user, assign)
        if parts == ["composite", "batch"]:
            _allow(method, "POST")
            return self._composite_batch(version, body, headers, user)
        return _not_found()

    def _composite_batch(self, version: str, body: Any, headers: dict[str, str], user: str) -> _Reply:
        """Composite batch: up to 25 independent subrequests in one round trip, each answered on its own.

        Each subrequest counts against the API allowance, as Salesforce counts them.
        """
        requests = _object_body(body).get("batchRequests")
        if not isinstance(requests, list) or not requests:
            raise SalesforceFakeError(400, "JSON_PARSER_ERROR", "batchRequests: expected a list of subrequests")
        if len(requests) > 25:
            raise SalesforceFakeError(400, "INVALID_BATCH_REQUEST", "A batch can contain a maximum of 25 requests")
        self._api_used += len(requests) - 1
        results = []
        for sub in requests:
            url = urlsplit("/" + str(sub.get("url", "")).lstrip("/"))
            path = url.path if url.path.startswith("/services/data/") else f"/services/data{url.path}"
            m = _VERSIONED.fullmatch(path.rstrip("/"))
            try:
                if m is None:
                    raise SalesforceFakeError(404, "NOT_FOUND", "The requested resource does not exist")
                rest = m.group(2) or ""
                sub_parts = [unquote(p) for p in rest.strip("/").split("/")] if rest.strip("/") else []
                sub_query = parse_qs(url.query, keep_blank_values=True)
                reply = self._route(str(sub.get("method", "GET")).upper(), m.group(1), sub_parts, sub_query, headers,
                                    sub.get("richInput"), user)  # fmt: skip
            except SalesforceFakeError as error:
                reply = _Reply(error.status, error.body())
            except SoqlError as error:
                reply = _Reply(400, SalesforceFakeError(400, error.error_code, error.message).body())
            results.append({"statusCode": reply.status, "result": reply.body})
        return _Reply(200, {"hasErrors": any(r["statusCode"] >= 400 for r in results), "results": results})

    def _sobjects(self, method: str, version: str, parts: list[str], query: dict[str, list[str]], body: Any,
                  user: str, assign: str) -> _Reply:  # fmt: skip
        if not parts:
            _allow(method, "GET")
            return _Reply(200, {"encoding": "UTF-8", "maxBatchSize": 200,
                                "sobjects": [self._summary(t, version) for t in self._objects.values()]})
        t = self._objects.get(parts[0].lower())
        if t is None:
            return _not_found()
        base = f"/services/data/v{version}/sobjects/{t.name}"
        if len(parts) == 1:
            _allow(method, "GET", "POST")
            if method == "GET":
                return _Reply(200, {"objectDescribe": self._summary(t, version), "recentItems": []})
            new_id = self._create(t, _object_body(body), user, assign)
            return _Reply(201, {"id": new_id, "success": True, "errors": []}, {"Location": f"{base}/{new_id}"})
        if len(parts) == 2 and parts[1].lower() == "describe":
            _allow(method, "GET")
            summary = self._summary(t, version)
            return _Reply(200, {**summary, "fields": [f.describe() for f in t.fields.values()]})
        if len(parts) == 2:
            _allow(method, "GET", "PATCH", "DELETE")
            row = self._existing(t, parts[1])
            if method == "GET":
                return _Reply(200, self._render(t, row, version, _field_list(t, query)))
            if method == "DELETE":
                self._delete(t, row)
                return _Reply(204)
            self._update(t, row, _object_body(body), user, assign)
            return _Reply(204)
        if len(parts) == 3:
            _allow(method, "GET", "PATCH", "DELETE")
            ext = self._external_field(t, parts[1])
            matches = self._find(t.name.lower(), ext.name, parts[2])
            if len(matches) > 1:
                return _Reply(300, [f"{base}/{row['Id']}" for row in matches])
            if method == "PATCH":
                record_id, created = self._upsert(t, ext, parts[2], _object_body(body), user, assign)
                return _Reply(201 if created else 200, {"id": record_id, "success": True, "errors": [],
                                                        "created": created})  # fmt: skip
            if not matches:
                raise SalesforceFakeError(404, "NOT_FOUND",
                                          f"Provided external ID field does not exist or is not accessible: {parts[2]}")
            if method == "DELETE":
                self._delete(t, matches[0])
                return _Reply(204)
            return _Reply(200, self._render(t, matches[0], version, _field_list(t, query)))
        return _not_found()

    def _summary(self, t: SObjectType, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{t.name}"
        return {"name": t.name, "label": t.name, "labelPlural": t.name + "s", "keyPrefix": t.prefix,
                "custom": t.name.endswith("__c"), "createable": True, "updateable": True, "deletable": True,
                "queryable": True,
                "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}}

    # -- queries ----------------------------------------------------------------------------------------------

    def _query(self, version: str, soql: str, include_deleted: bool) -> _Reply:
        compiled = compile_query(soql, self._catalog)
        t = self._objects[compiled.sobject.lower()]
        rows = [r for r in self._rows[t.name.lower()].values() if include_deleted or not r["IsDeleted"]]
        hits = compiled.run(rows, self._deref)
        if compiled.count_only:
            return _Reply(200, {"totalSize": len(hits), "done": True, "records": []})
        records = [self._render_selected(t, row, compiled.select, version) for row in hits]
        return self._page(version, records, 0, None)

    def _page(self, version: str, records: list[dict[str, Any]], start: int, locator: str | None) -> _Reply:
        end = start + max(self.page_size, 1)
        page: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records)}
        if end < len(records):
            if locator is None:
                locator = self._new_id("01g")
                self._cursors[locator] = records
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        page["records"] = records[start:end]
        return _Reply(200, page)

    def _query_more(self, version: str, cursor: str) -> _Reply:
        locator, _, offset = cursor.partition("-")
        records = self._cursors.get(locator)
        if records is None or not offset.isdigit() or int(offset) > len(records):
            raise SalesforceFakeError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(version, records, int(offset), locator)

    def _deref(self, record_id: Any) -> tuple[str, dict[str, Any]] | None:
        key = self._type_of.get(record_id) if isinstance(record_id, str) else None
        row = self._rows[key].get(record_id) if key else None
        return (self._objects[key].name, row) if key and row and not row["IsDeleted"] else None

    def _render_selected(self, t: SObjectType, row: dict[str, Any], paths: list[Any], version: str) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": _attributes(t.name, row["Id"], version)}
        for path in paths:
            node, current, ok = out, row, True
            for name, (fk, _targets) in zip(path.names[:-1], path.hops):
                target = self._deref(current.get(fk))
                if target is None:
                    node.setdefault(name, None)
                    ok = False
                    break
                if not isinstance(node.get(name), dict):
                    node[name] = {"attributes": _attributes(target[0], target[1]["Id"], version)}
                node, current = node[name], target[1]
            if ok:
                node[path.names[-1]] = _json_value(current.get(path.names[-1]))
        return out

    # -- sObject collections ----------------------------------------------------------------------------------

    def _collections(self, method: str, version: str, parts: list[str], query: dict[str, list[str]], body: Any,
                     user: str, assign: str) -> _Reply:  # fmt: skip
        if not parts and method == "DELETE":
            ids = [i for i in (query.get("ids") or [""])[0].split(",") if i]
            all_or_none = (query.get("allOrNone") or ["false"])[0].lower() == "true"
            return _Reply(200, self._batch(ids, all_or_none, lambda i: self._delete_by_id(i)))
        if parts and len(parts) != 2:
            return _not_found()
        _allow(method, "PATCH", *(() if parts else ("POST", "DELETE")))
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise SalesforceFakeError(400, "JSON_PARSER_ERROR", "The request body must hold a 'records' list")
        records, all_or_none = body["records"], bool(body.get("allOrNone", False))
        if len(records) > MAX_COLLECTION:
            raise SalesforceFakeError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than "
                                      f"{MAX_COLLECTION} records into this call")  # fmt: skip
        types = [self._record_type(r) for r in records]
        if parts:
            t = self._objects.get(parts[0].lower())
            if t is None:
                return _not_found()
            ext = self._external_field(t, parts[1])
            if any(rt is not t for rt in types):
                raise SalesforceFakeError(400, "INVALID_TYPE", f"Only {t.name} records may be upserted in this call")
            def ext_key(record: dict[str, Any]) -> str | None:
                value = next((v for k, v in record.items() if k.lower() == ext.name.lower()), None)
                return None if value in (None, "") else str(value).casefold()

            keys = [ext_key(r) for r in records]
            repeated = {k for k in keys if k is not None and keys.count(k) > 1}

            def upsert(i: int) -> dict[str, Any]:
                record = records[i]
                key = next((k for k in record if k.lower() == ext.name.lower()), None)
                if key is None or record[key] in (None, ""):
                    raise SalesforceFakeError(400, "MISSING_ARGUMENT", f"{ext.name} not specified", [ext.name])
                if keys[i] in repeated:
                    raise SalesforceFakeError(400, "DUPLICATE_EXTERNAL_ID",
                                              f"Duplicate external id specified: {record[key]}", [ext.name])
                values = {k: v for k, v in record.items() if k != key}
                record_id, created = self._upsert(t, ext, str(record[key]), values, user, assign)
                return {"id": record_id, "success": True, "errors": [], "created": created}

            return _Reply(200, self._batch(list(range(len(records))), all_or_none, upsert))
        if method == "POST":

            def create(i: int) -> dict[str, Any]:
                if any(k.lower() == "id" for k in records[i]):
                    raise SalesforceFakeError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                                              "cannot specify Id in an insert call", ["Id"])
                return {"id": self._create(types[i], records[i], user, assign), "success": True, "errors": []}

            return _Reply(200, self._batch(list(range(len(records))), all_or_none, create))

        def update(i: int) -> dict[str, Any]:
            key = next((k for k in records[i] if k.lower() == "id"), None)
            if key is None:
                raise SalesforceFakeError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            row = self._existing(types[i], str(records[i][key]))
            self._update(types[i], row, {k: v for k, v in records[i].items() if k != key}, user, assign)
            return {"id": row["Id"], "success": True, "errors": []}

        return _Reply(200, self._batch(list(range(len(records))), all_or_none, update))

    def _record_type(self, record: Any) -> SObjectType:
        attributes = record.get("attributes") if isinstance(record, dict) else None
        name = attributes.get("type") if isinstance(attributes, dict) else None
        t = self._objects.get(name.lower()) if isinstance(name, str) else None
        if t is None:
            raise SalesforceFakeError(400, "INVALID_TYPE", "Must send a concrete entity type.")
        return t

    def _batch(self, items: list[Any], all_or_none: bool, op: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
        """Run ``op`` per item; with ``all_or_none`` one failure rolls every change back."""
        saved = (copy.deepcopy(self._rows), dict(self._type_of)) if all_or_none else None
        results: list[dict[str, Any]] = []
        for item in items:
            try:
                results.append(op(item))
            except SalesforceFakeError as error:
                result: dict[str, Any] = {"success": False, "errors": [error.save_error()]}
                if isinstance(item, str):
                    result = {"id": item, **result}
                results.append(result)
        if saved is not None and not all(r["success"] for r in results):
            self._rows, self._type_of = saved
            rolled_back = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": ROLLED_BACK, "fields": []}
            for r in results:
                if r["success"]:
                    r.update(success=False, errors=[rolled_back])
                    r.pop("created", None)
        return results

    # -- writes ---------------------------------------------------------------------------------------------

    def _type(self, sobject: str) -> SObjectType:
        t = self._objects.get(sobject.lower())
        if t is None:
            raise ValueError(f"unknown sObject type {sobject!r}")
        return t

    def _new_id(self, prefix: str) -> str:
        self._next_id += 1
        n, digits = self._next_id, ""
        while n:
            n, d = divmod(n, 62)
            digits = _BASE62[d] + digits
        id15 = prefix + self._pod + digits.rjust(10, "0")
        return id15 + id_checksum(id15)

    def _now(self) -> datetime:
        now = self._clock().astimezone(timezone.utc)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _existing(self, t: SObjectType, record_id: str) -> dict[str, Any]:
        normalized = normalize_id(record_id)
        if normalized is None or normalized[:3] != t.prefix:
            message = f"{t.name} ID: id value of incorrect type: {record_id}"
            raise SalesforceFakeError(400, "MALFORMED_ID", message, ["Id"])
        row = self._rows[t.name.lower()].get(normalized)
        if row is None:
            raise SalesforceFakeError(404, "NOT_FOUND", "The requested resource does not exist")
        if row["IsDeleted"]:
            raise SalesforceFakeError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return row

    def _external_field(self, t: SObjectType, name: str) -> Field:
        f = t.field(name)
        if f is None:
            message = f"Provided external ID field does not exist or is not accessible: {name}"
            raise SalesforceFakeError(404, "NOT_FOUND", message)
        if not f.external_id:
            message = f"Field name provided, {f.name} is not an External ID or indexed field for {t.name}"
            raise SalesforceFakeError(400, "INVALID_FIELD", message)
        return f

    def _find(self, key: str, field_name: str, value: str | None) -> list[dict[str, Any]]:
        """Live records whose ``field_name`` equals ``value`` (case-insensitively, as unique text fields compare)."""
        if value is None:
            return []
        want = value.casefold()
        index = self._index.get((key, field_name.lower()))
        # Unique and external-id fields are indexed (an org of 100,000 cases must not make each upsert a scan);
        # an index entry may be stale (the value changed since), so every candidate is checked again.
        rows = [self._rows[key][i] for i in index.get(want, ())] if index is not None else self._rows[key].values()
        return [row for row in rows if not row["IsDeleted"]
                and isinstance(row.get(field_name), str) and row[field_name].casefold() == want]  # fmt: skip

    def _values(self, t: SObjectType, body: dict[str, Any], creating: bool) -> dict[str, Any]:
        """The body's fields by canonical name, checked and converted as Salesforce would."""
        found: dict[str, tuple[Field, Any]] = {}
        locked: list[str] = []
        for key, raw in body.items():
            if key == "attributes":
                continue
            f = t.field(key)
            if f is None:
                raise SalesforceFakeError(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {t.name}")
            if not (f.createable if creating else f.updateable):
                locked.append(f.name)
            found[f.name] = (f, raw)
        if locked:
            raise SalesforceFakeError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                                      f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                                      "settings of this field and verify that it is read/write for your profile or "
                                      "permission set.", locked)  # fmt: skip
        return {name: self._convert(t, f, raw) for name, (f, raw) in found.items()}

    def _convert(self, t: SObjectType, f: Field, raw: Any) -> Any:
        def parser_error(kind: str) -> SalesforceFakeError:
            return SalesforceFakeError(400, "JSON_PARSER_ERROR",
                                       f"Cannot deserialize instance of {kind} from {type(raw).__name__} value {raw!r} "
                                       f"or request may be missing a required field", [f.name])  # fmt: skip

        if raw is None or (raw == "" and f.type not in ("boolean",)):
            return False if f.type == "boolean" else None  # Salesforce stores "" as null
        if f.type == "boolean":
            if not isinstance(raw, bool):
                raise parser_error("boolean")
            return raw
        if f.type in ("int", "double", "currency", "percent"):
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise parser_error(f.type)
            return raw
        if not isinstance(raw, str):
            raise parser_error("string" if f.type in STRING_TYPES else f.type)
        if f.type == "datetime":
            value = parse_datetime(raw)
            if value is None:
                raise parser_error("datetime")
            return value
        if f.type == "date":
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise parser_error("date")
        if f.type in ("reference", "id"):
            return self._reference(f, raw)
        if f.type == "picklist" and f.restricted and raw not in f.picklist:
            raise SalesforceFakeError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                      f"{f.label}: bad value for restricted picklist field: {raw}", [f.name])
        if len(raw) > f.length:
            raise SalesforceFakeError(400, "STRING_TOO_LONG",
                                      f"{f.label}: data value too large: {raw[:80]} (max length={f.length})", [f.name])
        if f.type == "email" and not _EMAIL.fullmatch(raw):
            message = f"{f.label}: invalid email address: {raw}"
            raise SalesforceFakeError(400, "INVALID_EMAIL_ADDRESS", message, [f.name])
        return raw

    def _reference(self, f: Field, raw: str) -> str:
        normalized = normalize_id(raw)
        label = f.label.removesuffix(" Id") + " ID"
        if normalized is None:
            raise SalesforceFakeError(400, "MALFORMED_ID", f"{label}: id value of incorrect type: {raw}", [f.name])
        key = self._type_of.get(normalized)
        prefixes = {self._objects[r.lower()].prefix for r in f.reference_to if r.lower() in self._objects}
        if normalized[:3] not in prefixes:
            raise SalesforceFakeError(400, "FIELD_INTEGRITY_EXCEPTION", f"{label}: id value of incorrect type: {raw}",
                                      [f.name])
        if key is None or self._rows[key][normalized]["IsDeleted"]:
            raise SalesforceFakeError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
        return normalized

    def _create(self, t: SObjectType, body: dict[str, Any], user: str, assign: str) -> str:
        values = self._values(t, body, creating=True)
        now = self._now()
        row: dict[str, Any] = {f.name: f.default for f in t.fields.values()}
        row.update(IsDeleted=False, CreatedDate=now, CreatedById=user)
        if t.field("OwnerId"):
            row["OwnerId"] = user
        if t.name == "Case":
            self._case_number += 1
            row["CaseNumber"] = f"{self._case_number:08d}"
        row.update(values)
        if t.name == "Case" and assign != "false":
            row["OwnerId"] = self.default_queue_id  # the org's default assignment rule: the support queue
        self._save(t, row, user, now, creating=True)
        return str(row["Id"])

    def _update(self, t: SObjectType, row: dict[str, Any], body: dict[str, Any], user: str, assign: str) -> None:
        values = self._values(t, body, creating=False)
        updated = {**row, **values}
        if t.name == "Case" and assign == "true" and self.assign_on_update:
            updated["OwnerId"] = self.default_queue_id
        self._save(t, updated, user, self._now(), creating=False)

    def _upsert(self, t: SObjectType, ext: Field, value: str, body: dict[str, Any], user: str,
                assign: str) -> tuple[str, bool]:  # fmt: skip
        given = next((v for k, v in body.items() if k.lower() == ext.name.lower()), value)
        if str(given) != value:
            raise SalesforceFakeError(400, "INVALID_FIELD", f"{ext.name} in the body differs from the one in the URL",
                                      [ext.name])  # fmt: skip
        body = {k: v for k, v in body.items() if k.lower() != ext.name.lower()}
        matches = self._find(t.name.lower(), ext.name, value)
        if len(matches) > 1:
            raise SalesforceFakeError(300, "MULTIPLE_RECORDS", f"More than one record matches {ext.name} {value}")
        if matches:
            self._update(t, matches[0], body, user, assign)
            return str(matches[0]["Id"]), False
        return self._create(t, {**body, ext.name: value}, user, assign), True

    def _save(self, t: SObjectType, row: dict[str, Any], user: str, now: datetime, creating: bool) -> None:
        """Derive, check required and unique fields, stamp and store one record."""
        if t.name == "Case":
            closed = row.get("Status") == "Closed"
            if closed and not row.get("IsClosed"):
                row["ClosedDate"] = row.get("ClosedDate") if creating and row.get("ClosedDate") else now
            elif not closed:
                row["ClosedDate"] = None
            row["IsClosed"] = closed
        if t.name in ("Contact", "User"):
            row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
        missing = [f.name for f in t.fields.values()
                   if not f.nillable and (f.createable or f.updateable) and row.get(f.name) is None]  # fmt: skip
        if missing:
            message = f"Required fields are missing: [{', '.join(missing)}]"
            raise SalesforceFakeError(400, "REQUIRED_FIELD_MISSING", message, missing)
        key = t.name.lower()
        for f in t.fields.values():
            if f.unique and isinstance(row.get(f.name), str):
                clash = [r for r in self._find(key, f.name, row[f.name]) if r.get("Id") != row.get("Id")]
                if clash:
                    raise SalesforceFakeError(400, "DUPLICATE_VALUE", f"duplicate value found: {f.name} duplicates "
                                              f"value on record with id: {clash[0]['Id']}")  # fmt: skip
        if creating:
            row["Id"] = self._new_id(t.prefix)
            self._type_of[row["Id"]] = key
        row.update(LastModifiedDate=now, LastModifiedById=user, SystemModstamp=now)
        self._rows[key][row["Id"]] = row
        for f in t.fields.values():
            if (f.unique or f.external_id) and isinstance(row.get(f.name), str):
                self._index.setdefault((key, f.name.lower()), {}).setdefault(row[f.name].casefold(), set()).add(row["Id"])

    def _delete(self, t: SObjectType, row: dict[str, Any]) -> None:
        row.update(IsDeleted=True, SystemModstamp=self._now())  # to the recycle bin: queryAll still sees it

    def _delete_by_id(self, record_id: str) -> dict[str, Any]:
        key = self._type_of.get(normalize_id(record_id) or "")
        if key is None:
            raise SalesforceFakeError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        t = self._objects[key]
        row = self._existing(t, record_id)
        self._delete(t, row)
        return {"id": row["Id"], "success": True, "errors": []}

    # -- rendering ------------------------------------------------------------------------------------------

    def _render(self, t: SObjectType, row: dict[str, Any], version: str = "59.0",
                only: list[Field] | None = None) -> dict[str, Any]:  # fmt: skip
        out: dict[str, Any] = {"attributes": _attributes(t.name, row["Id"], version)}
        for f in only or t.fields.values():
            out[f.name] = _json_value(row.get(f.name))
        return out

    # -- OAuth ----------------------------------------------------------------------------------------------

    def _oauth(self, method: str, path: str, form: Any, headers: dict[str, str]) -> _Reply:
        form = form if isinstance(form, dict) else {}
        if path.rstrip("/") == "/services/oauth2/revoke" and method == "POST":
            self._sessions.pop(form.get("token", ""), None)
            return _Reply(200)
        if path.rstrip("/") == "/services/oauth2/userinfo":  # OpenID Connect: who this session is
            user = self._sessions.get(_bearer(headers.get("authorization", "")))
            if user is None:
                return _Reply(403, "Bad_OAuth_Token")
            row = self._rows["user"][user]
            return _Reply(200, {"user_id": user, "preferred_username": row.get("Username"), "email": row.get("Email")})
        if path.rstrip("/") != "/services/oauth2/token":
            return _not_found()
        if method != "POST":
            return _Reply(405, {"error": "invalid_request", "error_description": "must use HTTP POST"})
        grant = form.get("grant_type", "")
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                return _oauth_error("invalid_client", "invalid client credentials")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._jwt_grant(form.get("assertion", ""))
        if grant not in ("password", "client_credentials"):
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        client = self._clients.get(client_id or "")
        if client is None:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if not hmac.compare_digest(client[0], client_secret or ""):
            return _oauth_error("invalid_client", "invalid client credentials")
        if grant == "client_credentials":
            return self._granted(client[1], client[0])
        username = form.get("username", "")
        stored = self._passwords.get(username.lower())
        users = self._find("user", "Username", username)
        if stored is None or not users or not hmac.compare_digest(stored[0] + stored[1], form.get("password", "")):
            return _oauth_error("invalid_grant", "authentication failure")
        return self._granted(str(users[0]["Id"]), client[0])

    def _jwt_grant(self, assertion: str) -> _Reply:
        import jwt  # PyJWT: only needed for this flow

        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _oauth_error("invalid_grant", "invalid assertion")
        key = self._jwt_keys.get(str(unverified.get("iss", "")))
        if key is None:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if header.get("alg") != "RS256":
            return _oauth_error("invalid_grant", "invalid assertion")
        try:  # exp is checked below: simple-salesforce sends it as a string, which Salesforce accepts
            claims = jwt.decode(assertion, key, algorithms=["RS256"],
                                options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                                         "verify_nbf": False, "verify_sub": False})  # fmt: skip
        except jwt.PyJWTError:
            return _oauth_error("invalid_grant", "invalid assertion")
        try:
            expired = float(claims["exp"]) <= time.time()
        except (KeyError, TypeError, ValueError):
            return _oauth_error("invalid_grant", "invalid assertion")
        if expired:
            return _oauth_error("invalid_grant", "expired authorization code")
        if not claims.get("aud"):
            return _oauth_error("invalid_grant", "audience is invalid")
        users = self._find("user", "Username", str(claims.get("sub", "")))
        if not users:
            return _oauth_error("invalid_grant", "authentication failure")
        return self._granted(str(users[0]["Id"]), hashlib.sha256(key).hexdigest())

    def _granted(self, user_id: str, signing_secret: str) -> _Reply:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        self._sessions[token] = user_id
        identity = f"{self.url}/id/{ORG_ID}/{user_id}"
        issued_at = str(int(time.time() * 1000))
        signature = base64.b64encode(hmac.new(signing_secret.encode(), (identity + issued_at).encode(),
                                              hashlib.sha256).digest()).decode()  # fmt: skip
        return _Reply(200, {"access_token": token, "instance_url": self.url, "id": identity, "token_type": "Bearer",
                            "issued_at": issued_at, "signature": signature})  # fmt: skip


# -- helpers --------------------------------------------------------------------------------------------------


def _bearer(authorization: str) -> str:
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise SalesforceFakeError(405, "METHOD_NOT_ALLOWED",
                                  f"HTTP Method '{method}' not allowed. Allowed are {','.join(allowed)}")


def _not_found() -> _Reply:
    return _Reply(404, SalesforceFakeError(404, "NOT_FOUND", "The requested resource does not exist").body())


def _oauth_error(error: str, description: str) -> _Reply:
    return _Reply(400, {"error": error, "error_description": description})


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SalesforceFakeError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def _field_list(t: SObjectType, query: dict[str, list[str]]) -> list[Field] | None:
    names = [n.strip() for n in (query.get("fields") or [""])[0].split(",") if n.strip()]
    fields = []
    for name in names:
        f = t.field(name)
        if f is None:
            raise SalesforceFakeError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {t.name}")
        fields.append(f)
    return fields or None


def _attributes(sobject: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def main(argv: list[str] | None = None) -> None:
    """``python -m casehub.fakes.salesforce [--port N]``: a fake org for demos and scripts; Ctrl-C stops it."""
    parser = argparse.ArgumentParser(prog="python -m casehub.fakes.salesforce", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args(argv)
    with SalesforceFake(port=args.port) as fake:
        client_secret = secrets.token_urlsafe(24)
        fake.add_client("casehub-demo", client_secret)
        announce_until_ctrl_c([
            f"url:           {fake.url}",
            f"ca file:       {fake.ca_path}",
            f"token:         {fake.token}",
            f"client id:     casehub-demo  (client_credentials flow, {fake.url}/services/oauth2/token)",
            f"client secret: {client_secret}",
        ])


if __name__ == "__main__":
    main()
