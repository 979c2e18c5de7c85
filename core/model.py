"""The case, its parts and its status machine — the vocabulary every plugin shares.

Field names and limits follow Salesforce's Case where one exists (Subject 255,
Description 32,000), so a case round-trips to Service Cloud without being cut.
Input models forbid unknown fields: a typo in an API client must be an error,
not a silently dropped value.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

__all__ = [
    "TRANSITIONS",
    "Account",
    "Case",
    "CaseChanges",
    "CaseDraft",
    "CaseType",
    "Channel",
    "CommentDraft",
    "Contact",
    "Event",
    "ExternalLink",
    "Priority",
    "SlaTarget",
    "Status",
    "allowed_transitions",
]


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseType(StrEnum):
    QUESTION = "question"
    PROBLEM = "problem"
    INCIDENT = "incident"
    FEEDBACK = "feedback"
    REQUEST = "request"


class Channel(StrEnum):
    API = "api"
    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    SOCIAL = "social"
    CLI = "cli"
    OTHER = "other"


# Zendesk's rule: "closed" is final; a follow-up is a new case.  A resolved case
# reopens (resolved -> open) when the customer answers.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def allowed_transitions(current: Status) -> frozenset[Status]:
    return TRANSITIONS[current]


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text, and no human typed one: refuse it at the door.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


Subject = _text(255, min_length=1)
Description = _text(32_000)
ShortText = _text(255)
Body = _text(32_000, min_length=1)

_TAG = re.compile(r"^[^\s,]{1,100}$")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def _tags(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        tag = _no_nul(value.strip().lower())
        if not _TAG.match(tag):
            raise ValueError(f"tag {value[:40]!r} must be 1-100 characters without spaces or commas")
        if tag not in out:
            out.append(tag)
    return out


Tags = Annotated[list[str], Field(max_length=50), AfterValidator(_tags)]

CustomValue = str | int | float | bool | None


def _custom_fields(values: dict[str, Any]) -> dict[str, Any]:
    for key, value in values.items():
        if not _KEY.match(key):
            raise ValueError(f"custom field name {key[:40]!r} must match {_KEY.pattern}")
        if isinstance(value, str):
            if len(value) > 32_000:
                raise ValueError(f"custom field {key!r} is longer than 32000 characters")
            _no_nul(value)
    return values


CustomFields = Annotated[dict[str, CustomValue], Field(max_length=100), AfterValidator(_custom_fields)]

_strict = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Contact(BaseModel):
    """The person the case is for."""

    model_config = _strict

    name: ShortText | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9+()./\- x]*$")] | None = None
    language: Annotated[str, StringConstraints(max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")] | None = None
    preferred_channel: Channel | None = None


class Account(BaseModel):
    """The company the contact belongs to; ``tier`` feeds SLA policies."""

    model_config = _strict

    name: ShortText
    tier: ShortText | None = None
    external_id: ShortText | None = None


class ExternalLink(BaseModel):
    """Where this case lives in another system (a Salesforce Case, a Jira issue, a Slack thread)."""

    model_config = _strict

    system: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    id: ShortText
    url: Annotated[str, StringConstraints(max_length=2048)] | None = None


class SlaTarget(BaseModel):
    """One SLA clock on the case (first response, next reply, resolution)."""

    model_config = _strict

    name: ShortText
    due_at: datetime | None = None
    state: Annotated[str, StringConstraints(pattern=r"^(running|paused|met|breached)$")] = "running"


class CaseDraft(BaseModel):
    """A new case, as a channel hands it in; intake plugins may change it before it is stored."""

    model_config = _strict

    subject: Subject
    description: Description = ""
    priority: Priority = Priority.NORMAL
    type: CaseType = CaseType.QUESTION
    channel: Channel = Channel.API
    contact: Contact = Field(default_factory=Contact)
    account: Account | None = None
    tags: Tags = Field(default_factory=list)
    queue: ShortText | None = None
    owner: ShortText | None = None
    custom_fields: CustomFields = Field(default_factory=dict)
    external_links: Annotated[list[ExternalLink], Field(max_length=20)] = Field(default_factory=list)


class CaseChanges(BaseModel):
    """Fields to change on a case, with the ``version`` the caller read (optimistic concurrency)."""

    model_config = _strict

    version: int = Field(ge=1, description="The case's version as you read it; a stale one gets 409.")
    subject: Subject | None = None
    description: Description | None = None
    priority: Priority | None = None
    type: CaseType | None = None
    status: Status | None = None
    contact: Contact | None = None
    account: Account | None = None
    tags: Tags | None = None
    queue: ShortText | None = None
    owner: ShortText | None = None
    is_escalated: bool | None = None
    custom_fields: CustomFields | None = None
    external_links: Annotated[list[ExternalLink], Field(max_length=20)] | None = None

    def changed(self) -> dict[str, Any]:
        """The fields the caller actually sent (an explicit ``null`` clears a field)."""
        return {k: getattr(self, k) for k in self.model_fields_set if k != "version"}


class CommentDraft(BaseModel):
    """A reply to the customer (``public``) or an internal note."""

    model_config = _strict

    body: Body
    public: bool = Field(default=False, description="true: a reply the customer sees; false: an internal note.")
    author: ShortText | None = None


class Case(BaseModel):
    """A stored case. ``version`` grows by one with every change."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    subject: str
    description: str
    status: Status
    priority: Priority
    type: CaseType
    channel: Channel
    contact: Contact
    account: Account | None
    tags: list[str]
    queue: str | None
    owner: str | None
    is_escalated: bool
    custom_fields: dict[str, Any]
    external_links: list[ExternalLink]
    sla: list[SlaTarget]
    csat: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int


class Event(BaseModel):
    """One entry of the append-only log: what happened to which case, when, by whom."""

    id: int
    case_id: str
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
