"""Applying what the rules decided, in the transaction of the change that set them off.

Each round: the rules judge the events just written; every rule that fired is
recorded (``rule.fired``, with its actions), its changes become one more change
of the case (``case.updated``, ``case.status_changed``… by actor ``rules``;
the case row itself is written once, after the last round)
and its replies and notes become comments, and the events actions ask for
(``csat.requested``) are recorded; plugin actions become outbox rows.
Those new events are the next round's input. Because a rule fires at most once
per change, the rounds end; a rule that would fire again is reported as a
cycle instead.

A rule's change that the status machine refuses (closing a new case, say) is
left out and recorded as ``rule.failed``: a rule never makes the change that
set it off fail.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from casehub.errors import InvalidTransition
from casehub.model import Event
from casehub.outbox import enqueue
from casehub.rules.episodes import start_episode
from casehub.store import cases as store

if TYPE_CHECKING:
    from casehub.service import Appended, CaseService

__all__ = ["ACTOR", "run_rules"]

ACTOR = "rules"


def run_rules(
    service: CaseService, conn: Connection, appended: Appended, now: datetime, start: list[Event] | None = None
) -> Appended:
    """``start``: the first events to judge, if not those just recorded (the scheduler's automation look)."""
    from casehub.service import Appended, jsonable

    engine = service.hub.rules
    assert engine is not None
    case, events, enqueued = appended.case, list(appended.events), appended.enqueued
    stored = case  # the row as it is in the database; every change below is written once, at the end
    changed: dict[str, Any] = {}
    fired: set[str] = set()
    batch = start if start is not None else appended.events
    while batch:
        if engine.sla:
            # SLA clocks first: their events (sla.applied, sla.met…) are judged by the triggers with the rest.
            clocks, sla_events = engine.sla.react(case, batch, now)
            if clocks is not None:
                case = case.model_copy(update={"sla": clocks})
                changed["sla"] = clocks
            if sla_events:
                recorded, added = service.record(conn, case, sla_events, ACTOR, now)
                events.extend(recorded)
                enqueued += added
                batch = [*batch, *recorded]
        outcome = engine.evaluate(case, batch, conn=conn, now=now, fired=fired)
        if outcome.cycle:
            cycle = {"rules": outcome.cycle, "fired": sorted(fired), "note": "each rule fires once per change"}
            events.append(store.insert_event(conn, case.id, "rules.cycle", now, ACTOR, cycle))
        if not outcome.fired:
            break
        pending: list[tuple[str, dict[str, Any]]] = []
        records = store.insert_events(
            conn,
            case.id,
            [("rule.fired", {"rule": f.rule, "kind": f.kind, "event": f.event, "actions": f.actions}) for f in outcome.fired],
            now,
            ACTOR,
        )
        events.extend(records)
        for f, record in zip(outcome.fired, records):
            enqueued += enqueue(conn, case_id=case.id, event_id=record.id, deliveries=f.deliveries, now=now)
            if f.kind == "automation":
                start_episode(conn, case.id, f.rule, now)
        effects = outcome.effects
        diff = {k: v for k, v in effects.changes.items() if jsonable(getattr(case, k)) != jsonable(v)}
        if diff:
            try:
                values, more = service.consequences(case, diff, now)
            except InvalidTransition as exc:
                events.append(store.insert_event(conn, case.id, "rule.failed", now, ACTOR, {"error": str(exc)}))
                diff.pop("status")
                values, more = service.consequences(case, diff, now) if diff else ({}, [])
            if values:
                case = case.model_copy(update=values)
                changed.update(values)
                pending.extend(more)
        for body, public in effects.comments:
            pending.append(("comment.added", {"body": body, "public": public, "author": ACTOR}))
        pending.extend(effects.events)  # what an action records as such (csat.requested)
        if not pending:
            break
        batch, added = service.record(conn, case, pending, ACTOR, now)
        events.extend(batch)
        enqueued += added
    if changed:
        case = service.write(conn, stored, stored.version, changed)
    return Appended(events, enqueued, case)
