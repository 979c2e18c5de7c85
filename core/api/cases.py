"""``/api/v1/cases``: the REST face of :class:`casehub.service.CaseService`.

Route functions are plain ``def``: the service uses blocking SQLAlchemy, and
FastAPI runs such routes in its thread pool instead of blocking the event loop.
Their docstrings are the operations' descriptions in ``/openapi.json``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response

from casehub.api.auth import Principal, reader, writer
from casehub.api.common import (
    ETAG, READ, WRITE, Ref, case_response, case_router, check_ref, hub_of, json_response, query_names, reject_unknown_query
)
from casehub.api.schemas import AssignRequest, CasePage, StatusRequest, problem_responses
from casehub.model import Case, CaseChanges, CaseDraft, CaseType, Channel, Priority, ShortText, Status
from casehub.store.cases import CaseFilter

__all__ = ["router"]

router = case_router()
MAX_PAGE = 200
CURSOR = r"^[0-9]{1,18}$"


@router.post(
    "",
    status_code=201,
    summary="Create a case",
    response_model=Case,
    responses={
        **problem_responses(400, 403, 413, 415),
        201: {"headers": {**ETAG, "Location": {"description": "The new case's URL.", "schema": {"type": "string"}}}},
    },
)
def createcase_response(draft: CaseDraft, request: Request, who: Principal = Depends(writer)) -> Response:
    """Store a new case (status `new`, version 1) and answer with it; `Location` is its URL.

    Intake plugins may change the draft or refuse it (422, code `intake_rejected`).
    """
    case = hub_of(request).service.create(draft, actor=who.actor)
    request.app.state.metrics.cases_created.inc()
    return case_response(case, 201, {"Location": f"/api/v1/cases/{case.id}"})


@router.get(
    "",
    summary="List cases, newest first",
    response_model=CasePage,
    responses={
        **problem_responses(400),
        200: {"headers": {"Link": {"description": 'The next page: `<url>; rel="next"`; absent on the last page.',
                                   "schema": {"type": "string"}}}},
    },
)
def list_cases(
    request: Request,
    # FastAPI copies query defaults, so the mutable [] is safe.
    status: Annotated[list[Status], Query(description="Any of these statuses (repeat it).")] = [],  # noqa: B006
    priority: Annotated[list[Priority], Query(description="Any of these priorities.")] = [],  # noqa: B006
    type: Annotated[list[CaseType], Query(description="Any of these types.")] = [],  # noqa: B006, A002
    channel: Annotated[list[Channel], Query(description="Any of these channels.")] = [],  # noqa: B006
    queue: Annotated[ShortText | None, Query()] = None,
    owner: Annotated[ShortText | None, Query()] = None,
    contact_email: Annotated[ShortText | None, Query(description="Exact address, any letter case.")] = None,
    q: Annotated[ShortText | None, Query(description="Text in subject, description, email or account.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="Page size; default [api] page_size.")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR, description="next_cursor of the previous page.")] = None,
    _: Principal = Depends(reader),
) -> Response:
    """Filters combine with AND; a repeated parameter means any of its values.

    Pages are keyset-paginated: walking them with `next_cursor` (or the `Link: rel="next"`
    header) yields every case once, even while new cases arrive.
    """
    reject_unknown_query(request, _LIST_PARAMS)
    hub = hub_of(request)
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
    page = hub.service.list(flt, limit=limit or min(hub.settings.api.page_size, MAX_PAGE), cursor=cursor)
    headers = {}
    if page.next_cursor:
        params: list[tuple[str, Any]] = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", page.next_cursor))
        headers["Link"] = f'<{request.url.path}?{urlencode(params)}>; rel="next"'
    return json_response(CasePage(items=page.items, next_cursor=page.next_cursor), headers=headers)


_LIST_PARAMS = query_names(list_cases)


@router.get("/{ref}", summary="Read a case", response_model=Case, responses={**READ, 200: {"headers": ETAG}})
def getcase_response(ref: Ref, request: Request, _: Principal = Depends(reader)) -> Response:
    """`ETag` carries the version: send it back as `version` when you change the case."""
    return case_response(hub_of(request).service.get(check_ref(ref)))


@router.patch("/{ref}", summary="Change fields of a case", response_model=Case, responses=WRITE)
def updatecase_response(ref: Ref, changes: CaseChanges, request: Request, who: Principal = Depends(writer)) -> Response:
    """Send only the fields to change (`null` clears one) and the `version` you read.

    If someone changed the case since, nothing is written and the answer is 409 with
    `current_version`: read the case again and re-apply your change. A status change
    must follow the status machine (409 naming the allowed statuses otherwise).
    """
    return case_response(hub_of(request).service.update(check_ref(ref), changes, actor=who.actor))


@router.post(
    "/{ref}/assign", summary="Assign a case to a queue and/or an owner", response_model=Case, responses=WRITE
)
def assigncase_response(ref: Ref, body: AssignRequest, request: Request, who: Principal = Depends(writer)) -> Response:
    """Give `queue`, `owner` or both (`null` clears one). With `version`, a stale read gets 409."""
    fields = {k: getattr(body, k) for k in ("queue", "owner") if k in body.model_fields_set}
    return case_response(hub_of(request).service.assign(check_ref(ref), who.actor, version=body.version, **fields))


@router.post("/{ref}/status", summary="Change the status of a case", response_model=Case, responses=WRITE)
def change_status(ref: Ref, body: StatusRequest, request: Request, who: Principal = Depends(writer)) -> Response:
    """A transition the status machine forbids gets 409 with `current`, `requested` and `allowed`."""
    case = hub_of(request).service.set_status(check_ref(ref), body.status, who.actor, version=body.version)
    return case_response(case)
