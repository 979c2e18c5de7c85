"""The events one command records, written together once it has decided everything.

A command and the rules it sets off record several events — a case taken in
from a web form records seven: ``case.created``, ``sla.applied``, two
``rule.fired``, ``case.updated``, ``case.assigned`` and the acknowledgement's
``comment.added``. The rules judge them round after round, but nothing reads
them back from the database before the command ends, so they wait here and are
inserted in one statement, with every outbox row they cause in one more:
two statements a command instead of two a round (and two for a whole batch
of cases taken in together, see :func:`write_journals`).

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

__all__ = ["Journal", "write_journals"]


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

    def take(self) -> list[_Entry]:
        entries, self._entries = self._entries, []
        return entries


def write_journals(conn: Connection, hub: Hub, journals: Sequence[Journal]) -> list[tuple[list[Event], int]]:
    """Insert the journals' events and the outbox rows they cause; per journal, its events with their ids and its row count.

    One statement for the events of all the journals and one for their outbox
    rows: a batch of cases taken in together costs two inserts, not two a case.
    """
    taken = [journal.take() for journal in journals]
    rows = [
        {"case_id": j.case_id, "type": e.event.type, "at": j.now, "actor": e.event.actor, "data": e.event.data}
        for j, entries in zip(journals, taken) for e in entries
    ]  # fmt: skip
    written = iter(store.insert_events(conn, rows))
    plugins = hub.plugins
    plan = plugins.has_impls("plan_deliveries")
    outbox: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    results: list[tuple[list[Event], int]] = []
    for journal, entries in zip(journals, taken):
        events = [next(written) for _ in entries]
        queued = len(outbox)
        for entry, event in zip(entries, events):
            deliveries = list(entry.deliveries)
            if plan and entry.plan:
                planned, failures = plugins.plan_deliveries(event, entry.case, hub)
                deliveries.extend(planned)
                for plugin, error in failures:
                    report = {"plugin": plugin, "hook": "plan_deliveries", "event_id": event.id, "error": error}
                    failed.append({"case_id": journal.case_id, "type": "plugin.failed", "at": journal.now,
                                   "actor": "casehub", "data": report})  # fmt: skip
            outbox.extend(outbox_rows(journal.case_id, event.id, deliveries, journal.now))
            if entry.episode is not None:
                start_episode(conn, journal.case_id, entry.episode, journal.now)
        results.append((events, len(outbox) - queued))
    if failed:
        by_case = {journal.case_id: events for journal, (events, _) in zip(journals, results)}
        for event in store.insert_events(conn, failed):
            by_case[event.case_id].append(event)
    enqueue(conn, outbox)
    return results
