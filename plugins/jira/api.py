"""``/api/v1/cases/{ref}/jira``: an agent links a case to a Jira issue, or unlinks it, from their own tools.

Under ``/api/`` so the API's bearer tokens guard it like every other case endpoint.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from jira.exceptions import JIRAError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from casehub.plugins.jira import links

__all__ = ["build_router"]


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,9}-\d{1,9}$", description="The Jira issue key, e.g. FEED-12.")
    actor: str = Field("api", max_length=200, description="Who links it (shown on the issue and the case's timeline).")


def build_router(hub: Any, jira_for: Any) -> APIRouter:
    router = APIRouter(prefix="/api/v1/cases", tags=["jira"])
    settings = hub.settings.section("jira")

    def refused(exc: JIRAError) -> JSONResponse:
        status = 404 if exc.status_code == 404 else 502
        return JSONResponse({"title": f"Jira answered {exc.status_code}: {exc.text}", "status": status}, status_code=status)

    @router.put("/{ref}/jira", summary="Link a case to a Jira issue (the issue counts one more customer)")
    async def link(ref: str, body: LinkRequest) -> Any:
        try:
            case, total = await run_in_threadpool(links.link, hub, jira_for(hub), settings, ref, body.key.upper(), body.actor)
        except JIRAError as exc:
            return refused(exc)
        return {"case": case.number, "issue": links.issue_of(case), "customers": total}

    @router.delete("/{ref}/jira", summary="Unlink a case from its Jira issue")
    async def unlink(ref: str) -> Any:
        try:
            case, key = await run_in_threadpool(links.unlink, hub, jira_for(hub), settings, ref, "api")
        except JIRAError as exc:
            return refused(exc)
        return {"case": case.number, "unlinked": key}

    return router
