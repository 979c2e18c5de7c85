"""Request and response bodies that exist only at the HTTP boundary."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casehub.model import Case, Event, ShortText, Status

__all__ = ["AssignRequest", "CasePage", "Comment", "EventPage", "StatusRequest"]


class CasePage(BaseModel):
    items: list[Case]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


class EventPage(BaseModel):
    items: list[Event]
    next_after: int | None = Field(description="Pass as `after` to get the next page; null when there is no more.")


class Comment(BaseModel):
    id: int = Field(description="The id of the comment's event in the log.")
    case_id: str
    body: str
    public: bool
    author: str
    at: datetime
    case_version: int | None = Field(None, description="The case's version after the comment (on create).")


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
