"""Request and response bodies that exist only at the HTTP boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casehub.api.problems import TITLES
from casehub.model import Case, Event, ShortText, Status

__all__ = [
    "AssignRequest", "CasePage", "Comment", "EventPage", "Health", "Problem", "StatusRequest", "problem_responses"
]


class CasePage(BaseModel):
    items: list[Case]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


class EventPage(BaseModel):
    items: list[Event]
    next_after: int | None = Field(description="Pass as `after` to get the next page; null when there is no more.")


class Health(BaseModel):
    status: str = Field(description="`ok`, or `unavailable` (with status 503).")
    database: str = Field(description="`ok`, or why the database cannot be used.")


class Comment(BaseModel):
    id: int = Field(description="The id of the comment's event in the log.")
    case_id: str
    body: str
    public: bool
    author: str
    at: datetime
    case_version: int | None = Field(None, description="The case's version after the comment (on create).")


class AssignRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"anyOf": [{"required": ["queue"]}, {"required": ["owner"]}]}
    )

    queue: ShortText | None = Field(None, description="Queue to move the case to; null clears it.")
    owner: ShortText | None = Field(None, description="Agent who owns the case; null clears it.")
    version: int | None = Field(None, ge=1, description="If given, refuse with 409 unless the case is at this version.")

    @model_validator(mode="after")
    def _something(self) -> AssignRequest:
        if not {"queue", "owner"} & self.model_fields_set:
            raise ValueError("give queue, owner or both")
        return self


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    version: int | None = Field(None, ge=1, description="If given, refuse with 409 unless the case is at this version.")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. contact.email.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem document; 409s add current_version or current/requested/allowed."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem documents a route can answer with."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema["properties"]["errors"] = {"type": "array", "items": FieldError.model_json_schema()}
    return {
        status: {"description": TITLES[status], "content": {"application/problem+json": {"schema": schema}}}
        for status in statuses
    }
