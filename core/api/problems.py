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
from starlette.routing import Match

from casehub.api.jsonbody import NotJson
from casehub.errors import CaseError, CaseNotFound, IntakeRejected, InvalidTransition, VersionConflict

__all__ = ["INTERNAL_DETAIL", "ApiProblem", "install_problem_handlers", "problem"]

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
INTERNAL_DETAIL = "something went wrong on our side; it has been logged"

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

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code, self.errors, self.headers = status, detail, code, errors, headers


def _field(loc: tuple[Any, ...], body: Any, missing: bool) -> str:
    """``contact.email`` from pydantic's ``("body", "contact", "email")``.

    Where a union refused a value, pydantic adds each member's tag to the path
    (``custom_fields.sku.int``, ``...function-after[_no_nul(), constrained-str]``);
    a client wants the field. Only the parts that index into the sent body are
    kept (and the last one of a missing field).
    """
    if not loc or loc[0] != "body":
        return ".".join(str(p) for p in loc)
    path, current = [], body
    for i, part in enumerate(loc[1:], start=2):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif not (missing and i == len(loc)):
            continue
        path.append(str(part))
    return ".".join(path) or "body"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    whole_body = [e for e in errors if tuple(e["loc"]) == ("body",) and e.get("type") != "missing"]
    if whole_body and not _is_json(request.headers.get("content-type", "")):
        # FastAPI hands a body that is not declared as JSON to validation as raw bytes, which would
        # read as "Input should be a valid dictionary": say what is actually wrong (curl -d sends a form).
        return problem(415, "send the body as JSON with the header Content-Type: application/json",
                       code="unsupported_media_type")
    bad_json = [e for e in errors if e.get("type") == "json_invalid"]
    if bad_json:
        reason = (bad_json[0].get("ctx") or {}).get("error", "not valid JSON")
        position = bad_json[0]["loc"][-1]
        detail = f"the request body is not valid JSON: {reason} (at character {position})"
        return problem(400, detail, code="malformed_json")
    by_field: dict[str, str] = {}
    for e in errors:  # the first error of a field: a refused union reports once per member
        message = str(e["msg"]).removeprefix("Value error, ")  # pydantic's prefix for a validator's ValueError
        by_field.setdefault(_field(tuple(e["loc"]), exc.body, e.get("type") == "missing"), message)
    fields = [{"field": field, "message": message} for field, message in by_field.items()]
    if all(f["field"] == "query.cursor" for f in fields):
        # A cursor is opaque: a bad one is a malformed request, not a field the caller filled in wrong.
        return problem(400, "the cursor is not valid: pass next_cursor of the previous page unchanged",
                       code="bad_cursor", errors=fields)
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    if len(fields) > 5:
        summary += f"; and {len(fields) - 5} more in errors[]"
    return problem(422, f"the request is not valid: {summary}", code="validation_error", errors=fields)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if isinstance(exc, NotJson):
        code = "malformed_json" if exc.status_code == 400 else "validation_error"
        return problem(exc.status_code, detail, code=code, errors=exc.errors)
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        return problem(400, "the request body could not be read: send JSON encoded as UTF-8", code="malformed_body")
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such endpoint; see /openapi.json"
    elif exc.status_code == 405:
        allowed = _allowed_methods(request)
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(allowed)}"
        return problem(405, detail, headers={"Allow": ", ".join(allowed)})
    return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))


def _allowed_methods(request: Request) -> list[str]:
    # Starlette's Allow header names the methods of the first route with a matching path only
    # (POST for /api/v1/cases, though GET works too): ask every route.
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _api_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem(exc.status, exc.detail, code=exc.code, errors=exc.errors, headers=exc.headers)


def _case_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CaseError)
    if isinstance(exc, CaseNotFound):  # a long reference is not echoed back
        return problem(404, str(exc) if len(exc.ref) <= 64 else "no case with this id or number", code=exc.code)
    if isinstance(exc, VersionConflict):
        return problem(409, str(exc), code=exc.code, current_version=exc.current)
    if isinstance(exc, InvalidTransition):
        return problem(409, str(exc), code=exc.code, current=exc.current, requested=exc.requested, allowed=exc.allowed)
    if isinstance(exc, IntakeRejected):
        return problem(422, str(exc), code=exc.code)
    return problem(422, str(exc), code=exc.code)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Reached only for errors outside CatchUnexpected (in the outer middlewares).
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, INTERNAL_DETAIL, code="internal_error")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(CaseError, _case_error)
    app.add_exception_handler(Exception, _unexpected)
