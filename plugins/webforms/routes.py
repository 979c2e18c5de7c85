"""``POST /forms/{name}``: a form post becomes a case, answered the way the poster expects.

Browsers (an HTML form, Web-to-Case style) get a redirect to ``retURL`` — only
to a host the form allows — or to ``success_url``, or a thank-you page; API
clients (a JSON body, or ``Accept: application/json``) get ``201`` with the case
number. Bad input gets every problem at once, per form field, and stores
nothing. The post returns once the case, its events and outbox rows are
committed; no vendor is called in the request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from casehub.attachments import AttachmentDraft
from casehub.errors import IntakeRejected
from casehub.model import CaseDraft
from casehub.plugins.webforms import captcha, guard
from casehub.plugins.webforms.contacts import recognise_all
from casehub.plugins.webforms.filltime import FIELD, Stamp
from casehub.plugins.webforms.mapping import Submission, to_draft
from casehub.plugins.webforms.pages import error_page, form_page, thanks_page
from casehub.plugins.webforms.senders import senders
from casehub.plugins.webforms.settings import FormSettings, WebformsSettings
from casehub.plugins.webforms.uploads import check_file, safe_name
from casehub.rules.durations import parse_duration
from casehub.service import Appended

__all__ = ["build_router"]

ACTOR = "webforms"


@dataclass(frozen=True)
class Taken:
    """A post taken in: its case, whether it repeated an earlier post, and what to tell observers after the commit."""

    id: str
    number: str
    duplicate: bool = False
    appended: Appended | None = None


@dataclass(frozen=True)
class Post:
    """A post that passed every check the request can make alone, for the writer to take in."""

    name: str
    form: FormSettings
    draft: CaseDraft
    ip: str
    files: list[AttachmentDraft]

    @property
    def duplicate_window(self) -> timedelta:
        return parse_duration(self.form.duplicate_window)


def _waves(posts: list[Post]) -> list[list[Post]]:
    """The posts in order, cut before each post whose email is already in the current wave."""
    waves: list[list[Post]] = []
    emails: set[str] = set()
    for post in posts:
        email = post.draft.contact.email
        if not waves or (email and email in emails):
            waves.append([])
            emails = set()
        waves[-1].append(post)
        if email:
            emails.add(email)
    return waves


class BadPost(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def _decode_urlencoded(body: bytes) -> list[tuple[str, str]]:
    """Honour Web-to-Case's ``encoding`` field: the charset the page was sent in (default UTF-8)."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise BadPost(400, "a form post must be percent-encoded ASCII") from None
    declared = dict(parse_qsl(text, encoding="latin-1")).get("encoding") or "utf-8"
    try:
        return parse_qsl(text, keep_blank_values=True, encoding=declared, errors="strict")
    except LookupError:
        raise BadPost(400, f"encoding: {declared!r} is not a known character set") from None
    except UnicodeDecodeError:
        raise BadPost(400, f"the post is not valid {declared}: set the form's encoding field to its charset") from None


def _decode_json(body: bytes) -> list[tuple[str, str]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPost(400, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPost(400, "expected a JSON object of field names and values")
    pairs = []
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            raise BadPost(422, f"{key}: expected a text value, not {type(value).__name__}")
        pairs.append((key, "" if value is None else str(value)))
    return pairs


Upload = tuple[str, str, str, bytes]  # form field, file name, declared type, content


async def _pairs(request: Request, form: FormSettings) -> tuple[list[tuple[str, str]], list[Upload]]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        limits = form.attachments
        # A few files too many is a person's mistake (a per-field error below); far too many is refused unread.
        allowed = limits.max_files if limits else 0
        parsed = await request.form(max_files=max(allowed * 2, 4), max_fields=form.max_fields)
        pairs: list[tuple[str, str]] = []
        uploads: list[Upload] = []
        for key, value in parsed.multi_items():
            if isinstance(value, str):
                pairs.append((key, value))
            elif value.filename:  # an empty file input sends a part without a name: nothing was chosen
                uploads.append((key, value.filename, value.content_type or "", await value.read()))
        if uploads and limits is None:
            raise BadPost(415, "this form takes no files")
        return pairs, uploads
    body = await request.body()
    if kind == "application/json":
        return _decode_json(body), []
    if kind in ("application/x-www-form-urlencoded", ""):
        return _decode_urlencoded(body), []
    raise BadPost(415, f"send the form as application/x-www-form-urlencoded, multipart/form-data or JSON, not {kind}")


def _wants_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accept = request.headers.get("accept", "")
    return kind == "application/json" or ("application/json" in accept and "text/html" not in accept)


def _return_to(form: FormSettings, submission: Submission) -> str | None:
    """``retURL`` if it points to a host the form allows (an open redirect is a phishing tool), else ``success_url``."""
    wanted = (submission.control("retURL") or "").strip()
    if wanted:
        parts = urlsplit(wanted)
        if parts.scheme in ("http", "https") and parts.hostname and parts.hostname.lower() in form.return_hosts:
            return wanted
    return form.success_url


def build_router(settings: WebformsSettings, hub: Any) -> APIRouter:
    router = APIRouter(prefix="/forms", tags=["forms"])
    stamp = Stamp(settings.secret.get_secret_value() if settings.secret else None)

    def answer(request: Request, status: int, message: str, form: FormSettings | None, errors: dict[str, str] | None = None,
               headers: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:  # fmt: skip
        if _wants_json(request):
            body: dict[str, Any] = {"title": message, "status": status}
            if errors:
                body["errors"] = errors
            return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")
        if form is not None and values is not None:  # the form again, with what they typed and what to fix
            page = form_page(form, str(request.url.path), values, errors, stamp.issue())
            return HTMLResponse(page, status_code=status, headers=headers)
        title = form.title if form else "Not found"
        return HTMLResponse(error_page(title, errors or {"": message}), status_code=status, headers=headers)

    @router.get("/{name}", summary="The form as a page, to link to or embed", response_class=HTMLResponse)
    async def get_form(name: str, request: Request) -> Response:
        form = settings.forms.get(name)
        if form is None:
            return answer(request, 404, f"there is no form {name!r}", None)
        return HTMLResponse(form_page(form, str(request.url.path), stamp=stamp.issue()))

    def take_in(conn: Connection, posts: list[Post]) -> list[Taken | guard.RateLimited]:
        """The hub's writer hands over every post waiting, in its batch's transaction; one outcome per post.

        A double post is answered with the case it repeats and takes no token;
        checked here, under the writer, two copies sent at the same moment are
        caught as well. The posts are taken in wave after wave, each with at
        most one post per email, so every post sees the cases of the posts
        before it; a wave costs the same few statements however many posts it
        has.
        """
        now = hub.clock()
        outcomes: list[Taken | guard.RateLimited] = []
        for wave in _waves(posts):
            known = senders(conn, (p.draft.contact.email for p in wave), now - max(p.duplicate_window for p in wave))
            found = guard.duplicates_of(known, [(p.draft, p.duplicate_window) for p in wave], now)
            fresh = [p for p, hit in zip(wave, found) if hit is None]
            refused = guard.take(conn, [guard.limits(p.name, p.form, p.ip, p.draft.contact.email or "") for p in fresh], now)
            admitted = [p for p, no in zip(fresh, refused) if no is None]
            drafts = recognise_all(known, [p.draft for p in admitted])
            made = iter(hub.service.create_all_in(conn, [(d, f"{ACTOR}:{p.name}", p.files) for d, p in zip(drafts, admitted)]))
            refusals = iter(refused)
            for hit in found:
                if hit is not None:
                    outcomes.append(Taken(*hit, duplicate=True))
                    continue
                no = next(refusals)
                if no is not None:
                    outcomes.append(no)
                    continue
                appended = next(made)
                outcomes.append(Taken(appended.case.id, appended.case.number, appended=appended))
        return outcomes

    def after_commit(result: Taken) -> None:
        if result.appended is not None:
            hub.service.notify(result.appended)

    @router.post("/{name}", summary="Take a form post in as a case (Web-to-Case compatible)")
    async def post_form(name: str, request: Request) -> Response:
        form = settings.forms.get(name)
        if form is None:
            return answer(request, 404, f"there is no form {name!r}", None)
        origin = request.headers.get("origin")
        if form.allowed_origins and origin and origin not in form.allowed_origins:
            return answer(request, 403, f"this form does not take posts from {origin}", form)
        try:
            pairs, uploads = await _pairs(request, form)
        except BadPost as exc:
            return answer(request, exc.status, exc.message, form, {"_form": exc.message})
        except (MultiPartException, HTTPException) as exc:  # too many files or fields, a broken body
            message = str(getattr(exc, "message", None) or getattr(exc, "detail", "") or exc)
            return answer(request, getattr(exc, "status_code", 400), message, form, {"_form": message})
        submission = to_draft(form, pairs)
        if form.attachments is not None and len(uploads) > form.attachments.max_files:
            field = uploads[form.attachments.max_files][0]
            submission.errors.setdefault(field, f"{len(uploads)} files; this form takes at most {form.attachments.max_files}")
            uploads = []
        files = []
        for field, filename, declared, data in uploads:
            checked = check_file(form.attachments, filename, declared, data) if form.attachments else "is not taken"
            if isinstance(checked, str):
                submission.errors.setdefault(field, f"{safe_name(filename)} {checked}")
            else:
                files.append(checked)
        if submission.errors:
            submission.draft = None
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin and form.allowed_origins else {}
        started = submission.values.get(FIELD)
        too_fast = False
        if started is not None and form.min_fill_seconds:
            taken = stamp.seconds_taken(started)
            if taken is None:
                message = "this page is too old or was changed; please reload it and send the form again"
                return answer(request, 422, message, form, {"_form": message}, cors, submission.values)
            too_fast = taken < form.min_fill_seconds
        if too_fast or guard.is_bot(form, submission):
            # Answered like a success, so the bot learns nothing; nothing is stored.
            if _wants_json(request):
                return JSONResponse({"status": "received"}, status_code=202, headers=cors)
            return HTMLResponse(thanks_page(form.title, form.success_message.replace("{number}", "")), headers=cors)
        if submission.errors or submission.draft is None:
            return answer(request, 422, "the form has errors", form, submission.errors, cors, submission.values)
        ip = request.client.host if request.client else ""
        if form.captcha is not None:
            verdict = await captcha.verify(form.captcha, submission.values.get(form.captcha.token_field, ""), ip)
            if verdict == "failed":
                message = "the CAPTCHA was not solved; please try again"
                return answer(request, 422, message, form, {"_form": message}, cors, submission.values)
            if verdict == "unavailable" and not form.captcha.fail_open:
                message = "we could not check the CAPTCHA just now; please try again in a minute"
                return answer(request, 503, message, form, None, {**cors, "Retry-After": "60"})
        draft = submission.draft
        try:
            if hub.plugins.has_impls("intake"):  # plugins may look things up: not in the event loop
                draft = await run_in_threadpool(hub.service.prepare, draft)
            post = Post(name, form, draft, ip, files)
            result = await asyncio.wrap_future(hub.writer.submit_item(take_in, post, after_commit))
        except IntakeRejected as exc:
            return answer(request, 422, str(exc), form, {"_form": str(exc)}, cors)
        except guard.RateLimited as exc:
            seconds = str(max(1, int(exc.wait + 0.999)))
            return answer(request, 429, f"too many posts; try again in {seconds} s", form, None, {**cors, "Retry-After": seconds})
        if _wants_json(request):
            body = {"id": result.id, "number": result.number, "duplicate": result.duplicate}
            return JSONResponse(body, status_code=201, headers=cors)
        target = _return_to(form, submission)
        if target:
            return RedirectResponse(target, status_code=303, headers=cors)
        return HTMLResponse(thanks_page(form.title, form.success_message.replace("{number}", result.number)), headers=cors)

    return router
