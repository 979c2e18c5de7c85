"""Slack calling casehub: the buttons on a case's message (``/hooks/slack/actions``) and ``/case C-123``.

Every request is verified with the signing secret (HMAC of the timestamp and
the raw body, and a timestamp no older than five minutes: a replayed request
is refused) before anything is read from it. The Slack user becomes an agent
by ``[slack] users``, else by their Slack email matched with the agents of the
rules file (else the email itself); the change is made as
``slack:<agent>``, and the case's messages then show it (an update planned
like any other).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from casehub.errors import CasehubError
from casehub.model import CaseChanges, CommentDraft, Status
from casehub.plugins.slack.message import ACTIONS, case_message
from casehub.plugins.slack.post import Poster

__all__ = ["build_router"]

log = logging.getLogger(__name__)


def _agent(hub: Any, poster: Poster, user_id: str) -> str:
    settings = poster.settings
    if user_id in settings.users:
        return settings.users[user_id]
    try:
        email = (poster.client.users_info(user=user_id)["user"].get("profile") or {}).get("email")
    except SlackApiError:
        email = None
    if not email:
        return user_id
    if hub.rules is not None:
        for name, agent in hub.rules.rules.agents.items():
            if agent.email and agent.email.lower() == email.lower():
                return name
    return email


def _act(hub: Any, action_id: str, case_id: str, agent: str) -> str:
    service = hub.service
    actor = f"slack:{agent}"
    case = service.get(case_id)
    if action_id == "casehub_ack":
        if case.status == Status.NEW:
            service.set_status(case.id, Status.OPEN, actor)
        service.comment(case.id, CommentDraft(body=f"Acknowledged in Slack by {agent}.", author=agent), actor)
        return f"{case.number} acknowledged"
    if action_id == "casehub_assign_me":
        service.assign(case.id, actor, owner=agent)
        return f"{case.number} is now {agent}'s"
    if action_id == "casehub_escalate":
        service.update(case.id, CaseChanges(version=case.version, is_escalated=True), actor)
        return f"{case.number} escalated"
    if action_id == "casehub_resolve":
        service.set_status(case.id, Status.RESOLVED, actor)
        return f"{case.number} resolved"
    raise ValueError(f"unknown action {action_id!r}")


def build_router(hub: Any, poster: Poster) -> APIRouter:
    router = APIRouter(prefix="/hooks/slack", tags=["slack"])
    secret = poster.settings.signing_secret
    assert secret is not None
    verifier = SignatureVerifier(secret.get_secret_value())

    async def verified(request: Request) -> bytes | None:
        body = await request.body()
        ok = verifier.is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        )
        return body if ok else None

    @router.post("/actions", summary="Slack's interactive requests (the buttons on case messages)")
    async def actions(request: Request) -> Response:
        body = await verified(request)
        if body is None:
            return JSONResponse({"error": "invalid signature or stale timestamp"}, status_code=401)
        try:
            payload = json.loads(parse_qs(body.decode())["payload"][0])
        except (KeyError, ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "expected a form field 'payload' holding JSON"}, status_code=400)
        if payload.get("type") != "block_actions":
            return Response(status_code=200)
        user = (payload.get("user") or {}).get("id", "")
        for action in payload.get("actions") or []:
            if action.get("action_id") not in ACTIONS:
                continue
            try:
                agent = await run_in_threadpool(_agent, hub, poster, user)
                done = await run_in_threadpool(_act, hub, action["action_id"], str(action.get("value", "")), agent)
            except (CasehubError, ValueError) as exc:
                await _reply(payload.get("response_url"), f"Could not do that: {exc}")
                continue
            log.info("slack: %s by %s", done, agent)
        return Response(status_code=200)

    @router.post("/commands", summary="Slack's slash command: /case C-123 shows a case")
    async def commands(request: Request) -> Response:
        body = await verified(request)
        if body is None:
            return JSONResponse({"error": "invalid signature or stale timestamp"}, status_code=401)
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        ref = form.get("text", "").strip()
        if not ref:
            return JSONResponse({"response_type": "ephemeral", "text": "Usage: /case C-000123"})
        try:
            case = await run_in_threadpool(hub.service.get, ref)
        except CasehubError as exc:
            return JSONResponse({"response_type": "ephemeral", "text": str(exc)})
        template = poster.settings.templates["default"]
        text, blocks = case_message(case, case_url=poster.settings.case_url, template=template)
        return JSONResponse({"response_type": "ephemeral", "text": text, "blocks": blocks})

    return router


async def _reply(response_url: str | None, text: str) -> None:
    """An ephemeral answer to the person who pressed the button (Slack ignores the HTTP response's body)."""
    if not response_url:
        return
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            await client.post(response_url, json={"response_type": "ephemeral", "replace_original": False, "text": text})
    except httpx.HTTPError as exc:
        log.warning("slack: could not answer on response_url: %s", exc)
