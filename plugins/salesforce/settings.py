"""``[salesforce]``: the org to sync with, how to log in, and how casehub's case maps onto Case.

The value maps default to a Service Cloud org as it comes out of the box
(Status New/Working/Escalated/Closed, Priority High/Medium/Low, Origin
Phone/Email/Web); an org with its own picklists maps them here, and
``casehub check`` compares every mapped field and value with the org's
``describe``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator, model_validator

from casehub.model import Channel, Priority, Status

__all__ = ["Direction", "MappedField", "SalesforceSettings", "Winner"]

_FIELD = r"^[A-Za-z][A-Za-z0-9_]*$"


class Direction(StrEnum):
    PUSH = "push"  # casehub → Salesforce only
    PULL = "pull"  # Salesforce → casehub only
    BOTH = "both"


class Winner(StrEnum):
    CASEHUB = "casehub"
    SALESFORCE = "salesforce"


class MappedField(BaseModel):
    """One casehub field kept in step with one Case field."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(pattern=_FIELD, description="The Case field's API name, e.g. Product__c.")
    direction: Direction = Field(Direction.BOTH, description="push, pull or both.")
    wins: Winner = Field(
        Winner.SALESFORCE,
        description="Which side's value stands when both changed since the last sync (both directions only).",
    )


def _default_status() -> dict[str, str]:
    return {
        Status.NEW: "New",
        Status.OPEN: "Working",
        Status.PENDING: "Working",
        Status.ON_HOLD: "Working",
        Status.RESOLVED: "Closed",
        Status.CLOSED: "Closed",
    }


def _default_priority() -> dict[str, str]:
    return {Priority.LOW: "Low", Priority.NORMAL: "Medium", Priority.HIGH: "High", Priority.URGENT: "High"}


def _default_origin() -> dict[str, str]:
    return {Channel.WEB: "Web", Channel.EMAIL: "Email", Channel.PHONE: "Phone"}


class SalesforceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_url: HttpUrl = Field(description="The org's URL (My Domain, a sandbox, or a local fake).")
    login_url: HttpUrl | None = Field(
        None,
        description="Where the OAuth token endpoint is (https://login.salesforce.com, https://test.salesforce.com); "
        "default: instance_url (My Domain).",
    )
    api_version: str = Field("62.0", pattern=r"^\d{2,3}\.\d$", description="REST API version, e.g. 62.0.")
    access_token: SecretStr | None = Field(None, description="A session id / OAuth access token (cannot be renewed).")
    username: str | None = Field(None, description="Integration user, for the OAuth username-password or JWT flow.")
    password: SecretStr | None = Field(None, description="Password, for the username-password flow.")
    security_token: SecretStr | None = Field(None, description="Appended to the password, if the org asks for one.")
    consumer_key: str | None = Field(None, description="Connected app's consumer key (client id).")
    consumer_secret: SecretStr | None = Field(None, description="Connected app's consumer secret.")
    private_key_file: str | None = Field(None, description="PEM private key of the connected app's certificate (JWT).")
    ca_bundle: str | None = Field(
        None, description="PEM file of CAs to trust instead of the system's (a TLS-inspecting proxy, a local fake)."
    )
    timeout_seconds: float = Field(30.0, gt=0, le=300, description="Per-request timeout.")
    external_id_field: str = Field(
        "Casehub_Id__c",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$",
        description="External-id field on Case (Text, unique) holding casehub's case id: upserts by it never duplicate.",
    )
    auto_assign: bool = Field(
        False,
        description="Sforce-Auto-Assign on pushed cases: false keeps casehub's assignment; "
        "true lets the org's default assignment rule assign them.",
    )
    match_contacts: bool = Field(
        True, description="Link a new case to the Contact (and Account) with the sender's email: one query per 200 cases."
    )
    create_contacts: bool = Field(False, description="Create a Contact for a sender Salesforce does not know.")
    status_map: dict[Status, str] = Field(default_factory=_default_status, description="casehub status → Case.Status.")
    priority_map: dict[Priority, str] = Field(
        default_factory=_default_priority, description="casehub priority → Case.Priority."
    )
    origin_map: dict[Channel, str] = Field(default_factory=_default_origin, description="casehub channel → Case.Origin.")
    fields: dict[str, MappedField] = Field(
        default_factory=dict,
        description="More fields to keep in step: casehub field (type, tags, custom.<name>) → Case field.",
    )
    poll_interval_seconds: int = Field(60, ge=5, le=86_400, description="How often to look for changes in Salesforce.")
    usage_threshold_percent: int = Field(
        90, ge=1, le=100, description="Above this share of the org's daily API requests, non-urgent sync slows down."
    )
    slowed_delay_seconds: int = Field(
        900, ge=1, le=86_400, description="How long non-urgent pushes wait while usage is above the threshold."
    )

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, MappedField]) -> dict[str, MappedField]:
        from casehub.plugins.salesforce.mapping import FIELD_READERS  # noqa: PLC0415 — the mapping needs these settings

        for name in value:
            if name not in FIELD_READERS and not name.startswith("custom."):
                known = ", ".join([*FIELD_READERS, "custom.<name>"])
                raise ValueError(f"fields.{name}: not a casehub field that can be mapped; expected one of {known}")
        return value

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> SalesforceSettings:
        ways = [
            self.access_token is not None,
            self.username is not None and self.password is not None and self.consumer_key is not None,
            self.consumer_key is not None and (self.private_key_file is not None or self.consumer_secret is not None),
        ]
        if not any(ways):
            raise ValueError(
                "no way to log in: set access_token; or consumer_key + consumer_secret with username + password "
                "(+ security_token) for the username-password flow; or consumer_key + username + private_key_file "
                "(JWT bearer); or consumer_key + consumer_secret (client credentials); put secrets in "
                "CASEHUB_SALESFORCE__<KEY> environment variables"
            )
        if self.create_contacts and not self.match_contacts:
            raise ValueError("create_contacts needs match_contacts: without looking a sender up, every case would add a Contact")
        if self.private_key_file is not None and self.username is None:
            raise ValueError("private_key_file (JWT bearer flow) needs username: the user the token is for")
        return self

    @property
    def flow(self) -> Literal["token", "password", "jwt", "client_credentials"]:
        """The login flow these settings describe; the first that fits, in this order."""
        if self.private_key_file is not None:
            return "jwt"
        if self.username is not None and self.password is not None:
            return "password"
        if self.consumer_secret is not None:
            return "client_credentials"
        return "token"

    @property
    def token_url(self) -> str:
        return f"{str(self.login_url or self.instance_url).rstrip('/')}/services/oauth2/token"
