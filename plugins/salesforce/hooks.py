"""Hook implementations of the Salesforce plugin."""

from __future__ import annotations

from typing import Any

import typer

from casehub import hookimpl, usage
from casehub.model import Case, Event
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.plugins.salesforce import check, cli, pull, push
from casehub.plugins.salesforce.client import SalesforceClient
from casehub.plugins.salesforce.settings import SalesforceSettings

NAME = "salesforce"


def client_for(hub: Any) -> SalesforceClient | None:
    """The hub's logged-in client (one per hub, made on first use), or ``None`` without ``[salesforce]``."""
    settings = hub.settings.section(NAME)
    if settings is None:
        return None
    def told(used: int, limit: int) -> None:
        usage.report(hub.engine, NAME, used, limit, hub.clock())

    return hub.extra(NAME, lambda: SalesforceClient(settings, on_usage=told))


@hookimpl
def settings_model() -> type[SalesforceSettings]:
    return SalesforceSettings


@hookimpl
def plan_deliveries(event: Event, case: Case, hub: Any) -> list[Delivery] | None:
    if hub.settings.section(NAME) is None:
        return None
    return push.plan(event, case)


@hookimpl
def delivery_batch_size(destination: str) -> int | None:
    return push.BATCH if destination == push.DESTINATION else None


@hookimpl
def deliver_batch(items: list[OutboxItem], hub: Any) -> list[DeliveryResult] | None:
    if not items or items[0].destination != push.DESTINATION:
        return None
    client = client_for(hub)
    if client is None:
        error = "[salesforce] is not configured"
        return [DeliveryResult(ok=False, permanent=True, error=error) for _ in items]
    return push.deliver(items, client, hub.engine)


POLLER = "salesforce"


@hookimpl
def register_pollers(register: Any, settings: Any) -> None:
    section = settings.section(NAME) if settings is not None else None
    if section is None:
        return

    def poll(hub: Any, watermark: str | None) -> str:
        client = client_for(hub)
        assert client is not None  # registered only with [salesforce]
        return pull.poll(hub, client, watermark)

    register(POLLER, section.poll_interval_seconds, poll)


@hookimpl
def check_vendor(settings: Any) -> list[tuple[bool, str]] | None:
    section = settings.section(NAME)
    return check.check(section) if section is not None else None


@hookimpl
def cli_commands(app: typer.Typer) -> None:
    app.add_typer(cli.build(), name="salesforce")

