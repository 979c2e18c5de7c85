"""Hook implementations of the email plugin (the tutorial in docs/email-plugin.md builds them one by one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casehub import hookimpl
from casehub.model import Case, Event
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.plugins.email import inbound, outbound
from casehub.plugins.email.settings import EmailSettings
from casehub.store.cases import row_to_case
from casehub.store.tables import cases

NAME = "email"


@hookimpl
def settings_model() -> type[EmailSettings]:
    return EmailSettings


@hookimpl
def register_pollers(register: Any, settings: Any) -> None:
    section = settings.section(NAME) if settings is not None else None
    if section is None:
        return
    register(NAME, section.poll_interval_seconds, lambda hub, watermark: inbound.poll(hub, section, watermark))


@hookimpl
def plan_deliveries(event: Event, case: Case, hub: Any) -> list[Delivery] | None:
    if hub.settings.section(NAME) is None:
        return None
    return outbound.plan(event, case)


@hookimpl
def deliver(item: OutboxItem, hub: Any) -> DeliveryResult | None:
    if item.destination != NAME:
        return None
    settings = hub.settings.section(NAME)
    if settings is None:
        return DeliveryResult(ok=False, permanent=True, error="[email] is not configured")
    with hub.engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == item.case_id)).first()
    if row is None:
        return DeliveryResult(ok=False, permanent=True, error="the case no longer exists")
    return outbound.send(item, row_to_case(row), settings)
