"""``POST /hooks/jira``: Jira's webhook, verified before anything is read from it.

Jira Cloud signs admin webhooks that have a secret with
``X-Hub-Signature: sha256=<HMAC-SHA256 of the raw body>``. A wrong or missing
signature is refused (401) and changes nothing; without ``webhook_secret`` the
endpoint does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from casehub.plugins.jira import backsync
from casehub.plugins.jira.settings import JiraSettings

__all__ = ["build_router"]

log = logging.getLogger(__name__)


def _signed(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def handle(hub: Any, jira: Any, settings: JiraSettings, payload: dict[str, Any]) -> int:
    """Apply one webhook; returns how many cases were told."""
    issue = payload.get("issue") or {}
    key = issue.get("key")
    if not key:
        return 0
    fields = issue.get("fields") or {}
    event = payload.get("webhookEvent", "")
    if event == "jira:issue_updated":
        if "casehub-feedback" not in (fields.get("labels") or []):
            return 0  # not a feedback issue: no case waits on it
        changes = [i for i in (payload.get("changelog") or {}).get("items", []) if i.get("field") == "status"]
        if not changes:
            return 0
        resolution = (fields.get("resolution") or {}).get("name")
        change = changes[-1]
        cases = backsync.linked_cases(jira, key)
        return backsync.apply_status(hub, settings, cases, key, change.get("fromString"), change.get("toString"), resolution)
    # Comment events carry a slim issue without labels, as Jira sends them: the remote links tell whose it is.
    if event == "comment_created" and settings.relay_public_comments:
        comment = payload.get("comment") or {}
        if comment.get("visibility"):  # restricted to a role or group: not for customers' cases
            return 0
        author = (comment.get("author") or {}).get("displayName") or "someone"
        cases = backsync.linked_cases(jira, key)
        backsync.apply_comment(hub, cases, key, author, str(comment.get("body", "")))
        return len(cases)
    return 0


def build_router(hub: Any, settings: JiraSettings, jira_for: Any) -> APIRouter:
    router = APIRouter(prefix="/hooks", tags=["jira"])
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()

    @router.post("/jira", summary="Jira's webhook: status changes and comments of feedback issues")
    async def jira_webhook(request: Request) -> Response:
        body = await request.body()
        if not _signed(secret, body, request.headers.get("X-Hub-Signature", "")):
            return JSONResponse({"error": "invalid or missing X-Hub-Signature"}, status_code=401)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        told = await run_in_threadpool(handle, hub, jira_for(hub), settings, payload)
        return JSONResponse({"cases": told})

    return router
