"""What the ``/api/v1/cases`` route modules share: the router's settings, the case reference, responses."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from casehub.api.jsonbody import StrictJsonRoute
from casehub.api.problems import ApiProblem
from casehub.api.schemas import problem_responses
from casehub.errors import CaseNotFound
from casehub.hub import Hub
from casehub.model import Case

__all__ = ["ETAG", "READ", "WRITE", "Ref", "case_response", "case_router", "check_ref", "hub_of", "json_response",
           "query_names", "reject_unknown_query"]

# What each kind of operation can answer besides 401/422/500, so the OpenAPI document is exact.
READ = problem_responses(404)
WRITE = problem_responses(400, 403, 404, 409, 413, 415)
ETAG: dict[str, Any] = {"ETag": {"description": 'The case\'s version, quoted: `"3"`.', "schema": {"type": "string"}}}

Ref = Annotated[str, Path(description="The case's id, or its number (`C-000123`).")]


def case_router() -> APIRouter:
    return APIRouter(
        prefix="/api/v1/cases", tags=["cases"], responses=problem_responses(401, 422, 500), route_class=StrictJsonRoute
    )


def query_names(endpoint: Callable[..., Any]) -> frozenset[str]:
    """The query parameters an endpoint declares (its arguments but the request and the dependencies)."""
    return frozenset(name for name in inspect.signature(endpoint).parameters if name not in ("request", "_"))


def reject_unknown_query(request: Request, known: frozenset[str]) -> None:
    """A 422 naming each query parameter the operation does not know.

    A misspelt filter (``?queu=billing``) would otherwise be ignored and
    silently widen what is listed or counted, and whatever a script does with it.
    """
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        names = ", ".join(name[:64] for name in unknown)
        raise ApiProblem(422, f"unknown query parameter(s): {names}; see /openapi.json", code="validation_error",
                         errors=[{"field": f"query.{name[:64]}", "message": "Extra inputs are not permitted"}
                                 for name in unknown])  # fmt: skip


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def check_ref(ref: str) -> str:
    # Ids and numbers are ASCII. Anything else cannot name a case, and must not reach the
    # store: PostgreSQL refuses NUL in a parameter, and "¹".isdigit() is true but int("¹") fails.
    if not ref.isascii() or "\x00" in ref:
        raise CaseNotFound(ref)
    return ref


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # The model is already validated: serialise it once, skipping FastAPI's re-validation
    # against response_model (a measurable share of an intake's CPU).
    return Response(model.model_dump_json(), status_code=status, media_type="application/json", headers=headers)


def case_response(case: Case, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(case, status, {"ETag": f'"{case.version}"', **(headers or {})})
