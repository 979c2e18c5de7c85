"""A delivery plugin as a third party would write one, for the engine's tests.

For every ``case.created``/``case.updated`` event it plans one delivery per
destination in ``[courier] destinations`` (keyed by the case's custom field
``channel_key``), and delivers each by POSTing to ``{url}/{destination}`` with
httpx: real HTTP, so the engine sees real exceptions and real ``Retry-After``
headers. Destinations in ``[courier] batch`` are delivered in batches, one
POST per batch, answered per record like Salesforce's sObject Collections.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel

from casehub import hookimpl
from casehub.model import Case, Event
from casehub.outbox import Delivery, DeliveryResult, OutboxItem


class CourierSettings(BaseModel):
    url: str
    destinations: list[str] = ["crm"]
    batch: dict[str, int] = {}
    defaults: dict[str, Any] | None = None  # what delivery_defaults answers for every destination
    link_per_key: bool = False  # one link per key on the case (like Slack's thread per channel)


class Courier:
    def __init__(self) -> None:
        self.settings = CourierSettings(url="http://unset")
        self.client = httpx.Client(timeout=10)

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        return CourierSettings

    @hookimpl
    def startup(self, hub: Any) -> None:
        self.settings = hub.settings.section("courier")

    @hookimpl
    def plan_deliveries(self, event: Event, case: Case) -> list[Delivery]:
        if event.type not in ("case.created", "case.updated"):
            return []
        key = str(case.custom_fields.get("channel_key", ""))
        payload = {"case": case.number, "event": event.id, "subject": case.subject}
        return [Delivery(d, "push", key=key, payload=payload) for d in self.settings.destinations]

    @staticmethod
    def _body(item: OutboxItem) -> dict[str, Any]:
        return {**item.payload, "outbox_id": item.id, "idempotency_key": item.idempotency_key, "attempt": item.attempts}

    @hookimpl
    def deliver(self, item: OutboxItem, hub: Any) -> DeliveryResult | None:
        if item.destination not in self.settings.destinations:
            return None
        response = self.client.post(f"{self.settings.url}/{item.destination}", json=self._body(item))
        response.raise_for_status()
        answer = response.json()
        if "wait" in answer:  # the vendor's own "not now" (an allowance used up): not an attempt
            return DeliveryResult(ok=False, deferred=True, retry_after=answer["wait"], error=answer["why"])
        remote = answer["id"]
        system = f"{item.destination}_{item.key}" if self.settings.link_per_key and item.key else None
        return DeliveryResult(remote_id=remote, remote_url=f"{self.settings.url}/records/{remote}", link_system=system)

    @hookimpl
    def delivery_defaults(self, destination: str) -> dict[str, Any] | None:
        return self.settings.defaults if destination in self.settings.destinations else None

    @hookimpl
    def delivery_batch_size(self, destination: str) -> int | None:
        return self.settings.batch.get(destination)

    @hookimpl
    def deliver_batch(self, items: list[OutboxItem], hub: Any) -> list[DeliveryResult] | None:
        destination = items[0].destination
        if destination not in self.settings.batch:
            return None
        response = self.client.post(f"{self.settings.url}/{destination}", json={"records": [self._body(i) for i in items]})
        response.raise_for_status()
        answer = response.json()
        results = answer.get("results") or [{"ok": True, "id": f"B{i.id}"} for i in items]
        return [
            DeliveryResult(remote_id=r["id"])
            if r["ok"]
            else DeliveryResult(ok=False, error=r["error"], permanent=r.get("permanent", False))
            for r in results
        ]


plugin = Courier()
