"""``/csat/{token}``: the survey page a customer reaches from the link in a reply, and its answer.

Public pages, like the web forms: the signed token is the only credential, so
they are outside ``/api/`` and its bearer tokens, and outside the OpenAPI
document (they are pages, not API operations). Browsers post the form and get
pages back; a client that posts JSON (``{"score": 4, "comment": "..."}``) gets
JSON: ``201 {"case", "score"}`` or a problem document.

A forged or garbled link is 404, an expired one 410, an answered one 409 (with
the score given); a score that is not a whole number from 1 to 5 or a comment
that is too long is 422, naming the field, with the form shown again as typed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from casehub.api.problems import problem
from casehub.csat.answers import AlreadyAnswered, UnknownSurvey, look_up, record_answer
from casehub.csat.pages import CHOICES, MAX_COMMENT, message_page, survey_page
from casehub.csat.tokens import ExpiredLink, InvalidLink, SurveyLinks, Ticket
from casehub.errors import CaseNotFound
from casehub.hub import Hub

__all__ = ["build_router"]

# The token is in the URL: keep the page out of caches, and the URL out of Referer headers.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_INVALID = "this survey link is not valid; please use the link from our message exactly as it was sent"
_EXPIRED = "this survey link has expired; thank you for wanting to answer"


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, answer: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.answer = status, code, message, answer


class _BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _wants_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accept = request.headers.get("accept", "")
    return kind == "application/json" or ("application/json" in accept and "text/html" not in accept)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


async def _fields(request: Request) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind == "application/json":
        try:
            data = json.loads(body, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise _BadBody(400, f"the request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _BadBody(400, 'expected a JSON object: {"score": 4, "comment": "..."}')
        return data
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise _BadBody(400, "a form post must be percent-encoded UTF-8") from None
        fields: dict[str, Any] = {}
        for key, value in pairs:
            fields.setdefault(key, value)
        return fields
    raise _BadBody(415, f"send the answer as application/x-www-form-urlencoded or JSON, not {kind}")


def _score(raw: Any) -> int:
    if raw is None or raw == "":
        raise ValueError("Choose a score from 1 to 5.")
    if isinstance(raw, str) and raw.strip() in {"1", "2", "3", "4", "5"}:
        return int(raw.strip())
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 5:
        return raw
    raise ValueError("The score must be a whole number from 1 to 5.")


def _comment(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValueError("The comment must be text.")
    text = raw.replace("\r\n", "\n").strip()  # a textarea sends CRLF; its maxlength counts one character
    if "\x00" in text:
        raise ValueError("The comment must not contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape: no database stores it
        raise ValueError("The comment must be valid text (it holds an unpaired surrogate).") from None
    if len(text) > MAX_COMMENT:
        raise ValueError(f"The comment must be at most {MAX_COMMENT:,} characters; it has {len(text):,}.")
    return text


def _given(answer: dict[str, Any]) -> str:
    score = answer.get("score")
    return f"{score} – {CHOICES[score]}" if score in CHOICES else str(score)


def build_router(hub: Hub) -> APIRouter:
    router = APIRouter(prefix="/csat", tags=["csat"], include_in_schema=False)
    links = SurveyLinks.from_settings(hub.settings)
    question = hub.settings.csat.question

    def ticket_of(token: str) -> Ticket:
        if links is None:  # no secret: no link can be genuine
            raise _Refused(404, "invalid_survey_link", _INVALID)
        try:
            return links.read(token, hub.clock())
        except InvalidLink:
            raise _Refused(404, "invalid_survey_link", _INVALID) from None
        except ExpiredLink:
            raise _Refused(410, "survey_link_expired", _EXPIRED) from None

    def survey(ticket: Ticket) -> Any:
        try:
            found = look_up(hub.service, ticket)
        except (CaseNotFound, UnknownSurvey):
            raise _Refused(404, "invalid_survey_link", _INVALID) from None
        if found.answer is not None:
            raise _answered(found.answer)
        return found.case

    def answer(ticket: Ticket, score: int, comment: str) -> Any:
        try:
            return record_answer(hub.service, ticket, score, comment)
        except (CaseNotFound, UnknownSurvey):
            raise _Refused(404, "invalid_survey_link", _INVALID) from None
        except AlreadyAnswered as exc:
            raise _answered(exc.answer) from None

    def refused(exc: _Refused, as_json: bool) -> Response:
        if as_json:
            extra = {"score": exc.answer.get("score")} if exc.answer else {}
            return problem(exc.status, exc.message, code=exc.code, headers=_HEADERS, **extra)
        titles = {404: "Survey link not valid", 410: "Survey link expired", 409: "Thank you"}
        page = message_page(titles.get(exc.status, "Survey"), exc.message)
        return HTMLResponse(page, status_code=exc.status, headers=_HEADERS)

    @router.get("/{token}", response_class=HTMLResponse)
    async def show(token: str, request: Request, score: str | None = None) -> Response:
        try:
            case = await run_in_threadpool(survey, ticket_of(token))
        except _Refused as exc:
            return refused(exc, False)
        try:
            chosen: int | None = _score(score)
        except ValueError:
            chosen = None  # a garbled one-click link still shows the survey
        page = survey_page(case, question, request.url.path, score=chosen)
        return HTMLResponse(page, headers=_HEADERS)

    @router.post("/{token}")
    async def take(token: str, request: Request) -> Response:
        as_json = _wants_json(request)
        try:
            ticket = ticket_of(token)
        except _Refused as exc:
            return refused(exc, as_json)
        try:
            fields = await _fields(request)
        except _BadBody as exc:
            if as_json:
                return problem(exc.status, exc.message, headers=_HEADERS)
            return HTMLResponse(message_page("Survey", exc.message), status_code=exc.status, headers=_HEADERS)
        errors: dict[str, str] = {}
        score = comment = None
        try:
            score = _score(fields.get("score"))
        except ValueError as exc:
            errors["score"] = str(exc)
        try:
            comment = _comment(fields.get("comment"))
        except ValueError as exc:
            errors["comment"] = str(exc)
        if errors:
            if as_json:
                listed = [{"field": k, "message": v} for k, v in errors.items()]
                detail = "the answer is not valid: " + " ".join(errors.values())
                return problem(422, detail, code="validation_error", errors=listed, headers=_HEADERS)
            try:
                case = await run_in_threadpool(survey, ticket)
            except _Refused as exc:
                return refused(exc, False)
            typed = fields.get("comment")
            page = survey_page(case, question, request.url.path, score=score, errors=errors,
                               comment=typed if isinstance(typed, str) else "")  # fmt: skip
            return HTMLResponse(page, status_code=422, headers=_HEADERS)
        assert score is not None and comment is not None
        try:
            case = await run_in_threadpool(answer, ticket, score, comment)
        except _Refused as exc:
            return refused(exc, as_json)
        if as_json:
            return JSONResponse({"case": case.number, "score": score}, status_code=201, headers=_HEADERS)
        page = message_page("Thank you", f"Thank you for your answer ({_given({'score': score})}). It helps us do better.", case)
        return HTMLResponse(page, headers=_HEADERS)

    return router


def _answered(answer: dict[str, Any]) -> _Refused:
    message = f"Thank you: this survey was already answered ({_given(answer)}). Each link takes one answer."
    return _Refused(409, "survey_already_answered", message, answer)
