"""The case, its parts and its status machine — the vocabulary every plugin shares.

Field names and limits follow Salesforce's Case where one exists (Subject 255,
Description 32,000), so a case round-trips to Service Cloud without being cut.
Input models forbid unknown fields: a typo in an API client must be an error,
not a silently dropped value.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import email_validator
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

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


# What str.strip() removes, spelt out: regex engines disagree on what \s means (U+0085, U+001C...).
_WS = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _text(max_length: int, min_length: int = 0) -> Any:
    # The JSON schema states exactly what is accepted (no NUL; not blank where required),
    # so generated clients and schema-based fuzzers agree with the server.
    pattern = rf"^[^\x00]*[^{_WS}\x00][^\x00]*$" if min_length else r"^[^\x00]*$"
    schema = {"type": "string", "maxLength": max_length, "pattern": pattern, **({"minLength": 1} if min_length else {})}
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
        WithJsonSchema(schema),
    ]


Subject = _text(255, min_length=1)
Description = _text(32_000)
ShortText = _text(255)
Body = _text(32_000, min_length=1)

_KEY = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"

Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=rf"^[^{_WS},\x00]+$")
]


def _unique(values: list[str]) -> list[str]:
    """Tags are case-insensitive: stored lower-cased, each once."""
    return list(dict.fromkeys(v.lower() for v in values))


Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique)]

CustomKey = Annotated[str, StringConstraints(pattern=_KEY)]
# No NaN or Infinity: JSON has no such numbers and PostgreSQL's jsonb refuses them.
CustomValue = _text(32_000) | int | Annotated[float, Field(allow_inf_nan=False)] | bool | None
CustomFields = Annotated[
    dict[CustomKey, CustomValue], Field(max_length=100, json_schema_extra={"additionalProperties": False})
]


def _email(value: str) -> str:
    # Syntax only (no DNS look-up at intake): whether mail reaches the address is for the
    # mail server to say. Reserved names (.test, .local, .invalid...) are refused, and the
    # JSON schema says so, so generated clients agree with the server.
    try:
        return email_validator.validate_email(
            value,
            check_deliverability=False,
            globally_deliverable=False,
            allow_quoted_local=True,
            allow_domain_literal=True,
        ).normalized
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


_RESERVED = "|".join(_any_case(d) for d in email_validator.SPECIAL_USE_DOMAIN_NAMES)
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    AfterValidator(_email),
    WithJsonSchema(
        {"type": "string", "format": "email", "maxLength": 320, "not": {"pattern": f"[@.]({_RESERVED})\\.?$"}}
    ),
]

_strict = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Contact(BaseModel):
    """The person the case is for."""

    model_config = _strict

    name: ShortText | None = None
    email: Email | None = None
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
    url: Annotated[str, StringConstraints(max_length=2048), AfterValidator(_no_nul)] | None = None


class SlaTarget(BaseModel):
    """One SLA clock on the case (first response, next reply, resolution), kept by the rule engine.

    Times count in the policy's business hours. ``elapsed_seconds`` is the
    business time used before the current running stretch (which began at
    ``started_at``); while ``paused`` (the case waits on the customer) there is
    no due time.
    """

    model_config = _strict

    name: ShortText
    policy: ShortText | None = None
    state: Annotated[str, StringConstraints(pattern=r"^(running|paused|met|breached)$")] = "running"
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned: bool = False
    target_seconds: float | None = None
    elapsed_seconds: float = 0.0
    started_at: datetime | None = None
    met_at: datetime | None = None
    breached_at: datetime | None = None


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
    reopens: int = Field(0, description="How often the case went from resolved back to open.")
    agent_replies: int = Field(0, description="Public replies by agents (not the contact, not automatic ones).")
    escalated_at: datetime | None = Field(None, description="When the case was first escalated.")


class Event(BaseModel):
    """One entry of the append-only log: what happened to which case, when, by whom."""

    id: int
    case_id: str
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
