"""Hook implementations of the Jira plugin."""

from __future__ import annotations

from typing import Any

import typer
from fastapi import APIRouter

from casehub import hookimpl
from casehub.outbox import DeliveryResult, OutboxItem
from casehub.plugins.jira import actions, api, backsync, check, cli, feedback, report, webhook
from casehub.plugins.jira.client import connect
from casehub.plugins.jira.settings import JiraSettings

NAME = "jira"


def jira_for(hub: Any) -> Any:
    """The hub's Jira client (made on first use), or ``None`` without ``[jira]``."""
    settings = hub.settings.section(NAME)
    if settings is None:
        return None
    return hub.extra(NAME, lambda: connect(settings))


@hookimpl
def settings_model() -> type[JiraSettings]:
    return JiraSettings


@hookimpl
def register_actions(register: Any) -> None:
    register("create_jira_issue", actions.CreateJiraIssue, plan=actions.plan)


@hookimpl
def delivery_batch_size(destination: str) -> int | None:
    return 200 if destination == NAME else None


@hookimpl
def delivery_defaults(destination: str) -> dict[str, Any] | None:
    # One batch at a time per worker: two batches matching feedback at once could each create the same issue.
    # At most one batch every 2 s per project, shared by all workers: what arrives meanwhile waits and goes in
    # the next batch, so a popular issue gets one comment and one label update per 2 s (Jira Cloud allows
    # about 20 writes per issue in 2 s), however many customers join it.
    return {"max_concurrency": 1, "rate": 0.5, "burst": 1, "per_key": True} if destination == NAME else None


@hookimpl
def deliver_batch(items: list[OutboxItem], hub: Any) -> list[DeliveryResult] | None:
    if not items or items[0].destination != NAME:
        return None
    settings = hub.settings.section(NAME)
    if settings is None:
        return [DeliveryResult(ok=False, permanent=True, error="[jira] is not configured") for _ in items]
    return feedback.deliver(items, jira_for(hub), settings, hub.engine)



@hookimpl
def register_pollers(register: Any, settings: Any) -> None:
    section = settings.section(NAME) if settings is not None else None
    if section is None:
        return

    def poll(hub: Any, watermark: str | None) -> str:
        return backsync.poll(hub, jira_for(hub), hub.settings.section(NAME), watermark)

    register(NAME, section.poll_interval_seconds, poll)


@hookimpl
def routes(hub: Any) -> APIRouter | None:
    settings = hub.settings.section(NAME)
    if settings is None:
        return None
    router = APIRouter()
    router.include_router(api.build_router(hub, jira_for))
    if settings.webhook_secret is not None:  # without it no webhook could be verified: no endpoint at all
        router.include_router(webhook.build_router(hub, settings, jira_for))
    return router


@hookimpl
def check_vendor(settings: Any) -> list[tuple[bool, str]] | None:
    section = settings.section(NAME)
    return check.check(section) if section is not None else None


@hookimpl
def cli_commands(app: typer.Typer) -> None:
    app.add_typer(cli.build(), name=NAME)


@hookimpl
def report_section(conn: Any, period: Any, scope: Any, hub: Any) -> tuple[str, dict[str, Any]] | None:
    if hub.settings.section(NAME) is None:
        return None
    return report.TITLE, report.figures(conn, period, scope)
