"""``/api/v1/cases``: the REST face of :class:`casehub.service.CaseService`.

Route functions are plain ``def``: the service uses blocking SQLAlchemy, and
FastAPI runs such routes in its thread pool instead of blocking the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from casehub.api.auth import Principal, reader, writer
from casehub.api.problems import ApiProblem
from casehub.api.schemas import AssignRequest, CasePage, Comment, EventPage, StatusRequest, problem_responses
from casehub.hub import Hub
from casehub.model import Case, CaseChanges, CaseDraft, CaseType, Channel, CommentDraft, Event, Priority, Status
from casehub.store.cases import CaseFilter

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/cases", tags=["cases"], responses=problem_responses(400, 401, 403, 404, 409, 413, 422)
)

Ref = Annotated[str, "a case id or number (C-000123)"]


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


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


def _json(case: Case, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # The case is already a validated model: serialise it once, skipping FastAPI's
    # re-validation against response_model (a measurable share of an intake's CPU).
    return Response(case.model_dump_json(), status_code=status, media_type="application/json", headers=headers)


@router.post("", status_code=201, summary="Create a case", response_model=Case)
def create_case(draft: CaseDraft, request: Request, who: Principal = Depends(writer)) -> Response:
    case = _hub(request).service.create(draft, actor=who.actor)
    request.app.state.metrics.cases_created.inc()
    return _json(case, 201, {"Location": f"/api/v1/cases/{case.id}"})


@router.get("", summary="List cases, newest first", response_model=CasePage)
def list_cases(
    request: Request,
    response: Response,
    status: Annotated[list[Status], Query()] = [],  # noqa: B006 - FastAPI copies query defaults
    priority: Annotated[list[Priority], Query()] = [],  # noqa: B006
    type: Annotated[list[CaseType], Query()] = [],  # noqa: B006, A002
    channel: Annotated[list[Channel], Query()] = [],  # noqa: B006
    queue: Annotated[str | None, Query(max_length=255)] = None,
    owner: Annotated[str | None, Query(max_length=255)] = None,
    contact_email: Annotated[str | None, Query(max_length=320)] = None,
    q: Annotated[str | None, Query(max_length=255, description="Text in subject, description, email or account.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=200, description="Page size; default [api] page_size.")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor of the previous page.")] = None,
    _: Principal = Depends(reader),
) -> CasePage:
    hub = _hub(request)
    for name, value in (("queue", queue), ("owner", owner), ("contact_email", contact_email), ("q", q)):
        if value is not None and "\x00" in value:
            raise ApiProblem(422, f"{name}: must not contain NUL characters", code="validation_error")
    flt = CaseFilter(
        status=[str(s) for s in status],
        priority=[str(p) for p in priority],
        type=[str(t) for t in type],
        channel=[str(c) for c in channel],
        queue=queue,
        owner=owner,
        contact_email=contact_email,
        q=q,
    )
    page = hub.service.list(flt, limit=limit or hub.settings.api.page_size, cursor=cursor)
    if page.next_cursor:
        params: list[tuple[str, Any]] = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", page.next_cursor))
        response.headers["Link"] = f'<{request.url.path}?{urlencode(params)}>; rel="next"'
    return CasePage(items=page.items, next_cursor=page.next_cursor)


@router.get("/{ref}", summary="Read a case", response_model=Case)
def get_case(ref: Ref, request: Request, _: Principal = Depends(reader)) -> Response:
    case = _hub(request).service.get(ref)
    return _json(case, headers={"ETag": f'"{case.version}"'})


@router.patch("/{ref}", summary="Change fields of a case", response_model=Case)
def update_case(ref: Ref, changes: CaseChanges, request: Request, who: Principal = Depends(writer)) -> Response:
    return _json(_hub(request).service.update(ref, changes, actor=who.actor))


@router.post("/{ref}/assign", summary="Assign a case to a queue and/or an owner", response_model=Case)
def assign_case(ref: Ref, body: AssignRequest, request: Request, who: Principal = Depends(writer)) -> Case:
    fields = {k: getattr(body, k) for k in ("queue", "owner") if k in body.model_fields_set}
    return _hub(request).service.assign(ref, who.actor, version=body.version, **fields)


@router.post("/{ref}/status", summary="Change the status of a case", response_model=Case)
def change_status(ref: Ref, body: StatusRequest, request: Request, who: Principal = Depends(writer)) -> Case:
    return _hub(request).service.set_status(ref, body.status, who.actor, version=body.version)


@router.post("/{ref}/comments", status_code=201, summary="Reply to the customer or add an internal note",
             response_model=Comment)
def add_comment(ref: Ref, comment: CommentDraft, request: Request, who: Principal = Depends(writer)) -> Comment:
    case, event = _hub(request).service.comment(ref, comment, actor=who.actor)
    return _comment(event, case.version)


@router.get("/{ref}/comments", summary="Comments of a case, oldest first", response_model=list[Comment])
def list_comments(ref: Ref, request: Request, _: Principal = Depends(reader)) -> list[Comment]:
    events = _hub(request).service.events(ref, limit=10_000)
    return [_comment(e) for e in events if e.type == "comment.added"]


@router.get("/{ref}/events", summary="The timeline of a case (its events), oldest first", response_model=EventPage)
def list_events(
    ref: Ref,
    request: Request,
    after: Annotated[int, Query(ge=0, description="Only events with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    _: Principal = Depends(reader),
) -> EventPage:
    events = _hub(request).service.events(ref, after=after, limit=limit)
    return EventPage(items=events, next_after=events[-1].id if len(events) == limit else None)
