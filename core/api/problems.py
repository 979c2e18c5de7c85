"""Errors as RFC 9457 problem documents, one stable shape for every status.

Clients branch on ``status`` and ``code``; people read ``title`` and ``detail``;
forms highlight ``errors[].field``. Rejected input is never echoed back: it
may be 10 MB, or someone else's secret.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from casehub.errors import CaseError, CaseNotFound, IntakeRejected, InvalidTransition, VersionConflict

__all__ = ["ApiProblem", "install_problem_handlers", "problem"]

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code or TITLES.get(status, "error").lower().replace(" ", "_"),
        "errors": errors or [],
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


class ApiProblem(Exception):
    """Raised inside the API to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code, self.headers = status, detail, code, headers


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    bad_json = [e for e in errors if e.get("type") == "json_invalid"]
    if bad_json:
        reason = (bad_json[0].get("ctx") or {}).get("error", "not valid JSON")
        position = bad_json[0]["loc"][-1]
        return problem(400, f"the request body is not valid JSON: {reason} (at character {position})", code="malformed_json")
    fields = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in errors]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return problem(422, f"the request is not valid: {summary}", code="validation_error", errors=fields)


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        return problem(400, "the request body could not be read: send JSON encoded as UTF-8", code="malformed_body")
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such endpoint; see /openapi.json"
    return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))


def _api_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem(exc.status, exc.detail, code=exc.code, headers=exc.headers)


def _case_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CaseError)
    if isinstance(exc, CaseNotFound):
        return problem(404, str(exc), code=exc.code)
    if isinstance(exc, VersionConflict):
        return problem(409, str(exc), code=exc.code, current_version=exc.current)
    if isinstance(exc, InvalidTransition):
        return problem(409, str(exc), code=exc.code, current=exc.current, requested=exc.requested, allowed=exc.allowed)
    if isinstance(exc, IntakeRejected):
        return problem(422, str(exc), code=exc.code)
    return problem(422, str(exc), code=exc.code)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "something went wrong on our side; it has been logged", code="internal_error")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(CaseError, _case_error)
    app.add_exception_handler(Exception, _unexpected)
