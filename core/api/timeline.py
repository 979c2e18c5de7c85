"""``/api/v1/cases/{ref}/comments`` and ``/events``: what happened to a case, read from its event log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from casehub.api.auth import Principal, reader, writer
from casehub.api.common import READ, WRITE, Ref, case_router, check_ref, hub_of, json_response
from casehub.api.schemas import Comment, EventPage
from casehub.hub import Hub
from casehub.model import CommentDraft, Event

__all__ = ["router"]

router = case_router()
_BIGINT = 2**63 - 1  # the largest id a database column holds; beyond it is a 422, not a driver error


def _comment(event: Event, case_version: int | None = None) -> Comment:
    return Comment(
        id=event.id,
        case_id=event.case_id,
        body=event.data["body"],
        public=event.data["public"],
        author=event.data["author"],
        at=event.at,
        case_version=case_version,
    )


def _all_events(hub: Hub, ref: str, batch: int = 1000) -> Iterator[Event]:
    after = 0
    while True:
        events = hub.service.events(ref, after=after, limit=batch)
        yield from events
        if len(events) < batch:
            return
        after = events[-1].id


@router.post(
    "/{ref}/comments",
    status_code=201,
    summary="Reply to the customer or add an internal note",
    response_model=Comment,
    responses=WRITE,
)
def add_comment(ref: Ref, comment: CommentDraft, request: Request, who: Principal = Depends(writer)) -> Response:
    """`public: true` is a reply the customer sees (the first one sets `first_response_at`); otherwise a note."""
    case, event = hub_of(request).service.comment(check_ref(ref), comment, actor=who.actor)
    return json_response(_comment(event, case.version), 201)


@router.get(
    "/{ref}/comments", summary="Comments of a case, oldest first", response_model=list[Comment], responses=READ
)
def list_comments(ref: Ref, request: Request, _: Principal = Depends(reader)) -> list[Comment]:
    """Replies and notes, read from the case's event log (`comment.added` events)."""
    return [_comment(e) for e in _all_events(hub_of(request), check_ref(ref)) if e.type == "comment.added"]


@router.get(
    "/{ref}/events",
    summary="The timeline of a case (its events), oldest first",
    response_model=EventPage,
    responses=READ,
)
def list_events(
    ref: Ref,
    request: Request,
    after: Annotated[int, Query(ge=0, le=_BIGINT, description="Only events with a larger id (next_after).")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    _: Principal = Depends(reader),
) -> Response:
    """Every change to the case, as stored in the append-only log; page on with `after=next_after`."""
    events = hub_of(request).service.events(check_ref(ref), after=after, limit=limit)
    return json_response(EventPage(items=events, next_after=events[-1].id if len(events) == limit else None))
