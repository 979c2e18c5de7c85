"""The events one command records, written together once it has decided everything.

A command and the rules it sets off record several events — a case taken in
from a web form records seven: ``case.created``, ``sla.applied``, two
``rule.fired``, ``case.updated``, ``case.assigned`` and the acknowledgement's
``comment.added``. The rules judge them round after round, but nothing reads
them back from the database before the command ends, so they wait here and are
inserted in one statement, with every outbox row they cause in one more:
two statements a command instead of two a round.

Plugins plan deliveries for each event against the case as it was when that
event happened, exactly as if it had been written then. The only visible
difference: a plugin that fails to plan records its ``plugin.failed`` after
the command's events rather than right after the one it failed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from casehub.model import Case, Event
from casehub.outbox import Delivery, enqueue, outbox_rows
from casehub.rules.episodes import start_episode
from casehub.store import cases as store

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Journal"]


@dataclass
class _Entry:
    event: Event  # id 0 until written
    case: Case  # as it was when the event happened: what plugins plan against
    deliveries: list[Delivery] = field(default_factory=list)  # asked for by the rule that fired
    episode: str | None = None  # the automation whose episode this firing starts
    plan: bool = True  # the rules' own bookkeeping (rule.fired…) is not offered to plugins


class Journal:
    """Events of one case, kept until :meth:`write`; hand the journal along, never the events."""

    def __init__(self, case_id: str, now: datetime) -> None:
        self.case_id = case_id
        self.now = now
        self._entries: list[_Entry] = []

    def add(
        self,
        type_: str,
        data: dict[str, Any],
        actor: str,
        case: Case,
        *,
        deliveries: Sequence[Delivery] = (),
        episode: str | None = None,
        plan: bool = True,
    ) -> Event:
        """Record an event; returns it as the rules judge it (its id is known only once written)."""
        event = Event.model_construct(id=0, case_id=self.case_id, type=type_, at=self.now, actor=actor, data=data)
        self._entries.append(_Entry(event, case, list(deliveries), episode, plan))
        return event

    def extend(self, pending: Sequence[tuple[str, dict[str, Any]]], actor: str, case: Case) -> list[Event]:
        return [self.add(type_, data, actor, case) for type_, data in pending]

    def write(self, conn: Connection, hub: Hub) -> tuple[list[Event], int]:
        """Insert the events and the outbox rows they cause; returns the events with their ids, and the row count."""
        entries, self._entries = self._entries, []
        if not entries:
            return [], 0
        written = store.insert_events(conn, self.case_id, [(e.event.type, e.event.data, e.event.actor) for e in entries], self.now)
        plugins = hub.plugins
        plan = plugins.has_impls("plan_deliveries")
        rows: list[dict[str, Any]] = []
        failed: list[tuple[str, dict[str, Any], str]] = []
        for entry, event in zip(entries, written):
            deliveries = list(entry.deliveries)
            if plan and entry.plan:
                planned, failures = plugins.plan_deliveries(event, entry.case, hub)
                deliveries.extend(planned)
                for plugin, error in failures:
                    report = {"plugin": plugin, "hook": "plan_deliveries", "event_id": event.id, "error": error}
                    failed.append(("plugin.failed", report, "casehub"))
            rows.extend(outbox_rows(self.case_id, event.id, deliveries, self.now))
            if entry.episode is not None:
                start_episode(conn, self.case_id, entry.episode, self.now)
        if failed:
            written.extend(store.insert_events(conn, self.case_id, failed, self.now))
        return written, enqueue(conn, rows)
