"""Hook implementations of the Slack plugin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from casehub import hookimpl
from casehub.model import Case, Event
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.plugins.slack import actions, check, interactive
from casehub.plugins.slack.post import DESTINATION, Poster, plan_updates
from casehub.plugins.slack.settings import SlackSettings

NAME = "slack"


def poster_for(hub: Any) -> Poster | None:
    """The hub's Slack client (one per hub), or ``None`` without ``[slack]``."""
    settings = hub.settings.section(NAME)
    if settings is None:
        return None
    return hub.extra(NAME, lambda: Poster(settings))


@hookimpl
def settings_model() -> type[SlackSettings]:
    return SlackSettings


@hookimpl
def register_actions(register: Any) -> None:
    register("notify_slack", actions.NotifySlack, plan=actions.plan)


@hookimpl
def plan_deliveries(event: Event, case: Case, hub: Any) -> list[Delivery] | None:
    if hub.settings.section(NAME) is None:
        return None
    return plan_updates(event, case)


@hookimpl
def delivery_defaults(destination: str) -> dict[str, Any] | None:
    # Slack takes about one message per second per channel; the key of a delivery is its channel.
    return {"rate": 1.0, "burst": 1, "per_key": True} if destination == DESTINATION else None


@hookimpl
def delivery_batch_size(destination: str) -> int | None:
    return 500 if destination == DESTINATION else None  # all that wait for one channel: folded into a digest


@hookimpl
def deliver_batch(items: list[OutboxItem], hub: Any) -> list[DeliveryResult] | None:
    if not items or items[0].destination != DESTINATION:
        return None
    poster = poster_for(hub)
    if poster is None:
        return [DeliveryResult(ok=False, permanent=True, error="[slack] is not configured") for _ in items]
    return poster.deliver(items, hub.engine)



@hookimpl
def routes(hub: Any) -> APIRouter | None:
    poster = poster_for(hub)
    if poster is None or poster.settings.signing_secret is None:
        return None  # without the secret, no request could be verified: no endpoint at all
    return interactive.build_router(hub, poster)


@hookimpl
def check_vendor(settings: Any) -> list[tuple[bool, str]] | None:
    section = settings.section(NAME)
    return check.check(section) if section is not None else None
