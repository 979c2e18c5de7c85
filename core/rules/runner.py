"""Applying what the rules decided, in the transaction of the change that set them off.

Each round: the rules judge the events just written; every rule that fired is
recorded (``rule.fired``, with its actions), its changes become one more change
of the case (``case.updated``, ``case.status_changed``… by actor ``rules``;
the case row itself is written once, after the last round, by the caller)
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
from casehub.model import Case, Event

if TYPE_CHECKING:
    from casehub.journal import Journal
    from casehub.rules.assignment import OpenCounts
    from casehub.service import CaseService

__all__ = ["ACTOR", "run_rules"]

ACTOR = "rules"


def run_rules(
    service: CaseService,
    conn: Connection,
    journal: Journal,
    case: Case,
    batch: list[Event],
    now: datetime,
    counts: OpenCounts | None = None,
) -> tuple[Case, dict[str, Any]]:
    """Judge ``batch`` (events just recorded in ``journal``, or the scheduler's look) and all that follows.

    What the rules record goes into ``journal``. Returns the case as the rules
    left it and the column values they changed, for the caller to write once
    (with the other cases of its transaction, if any); ``counts`` is the
    transaction's view of open cases per agent, shared by those cases.
    """
    from casehub.service import jsonable

    engine = service.hub.rules
    assert engine is not None
    changed: dict[str, Any] = {}
    fired: set[str] = set()
    while batch:
        if engine.sla:
            # SLA clocks first: their events (sla.applied, sla.met…) are judged by the triggers with the rest.
            clocks, sla_events = engine.sla.react(case, batch, now)
            if clocks is not None:
                case = case.model_copy(update={"sla": clocks})
                changed["sla"] = clocks
            if sla_events:
                batch = [*batch, *journal.extend(sla_events, ACTOR, case)]
        outcome = engine.evaluate(case, batch, conn=conn, now=now, fired=fired, counts=counts)
        if outcome.cycle:
            cycle = {"rules": outcome.cycle, "fired": sorted(fired), "note": "each rule fires once per change"}
            journal.add("rules.cycle", cycle, ACTOR, case, plan=False)
        if not outcome.fired:
            break
        pending: list[tuple[str, dict[str, Any]]] = []
        for f in outcome.fired:
            data = {"rule": f.rule, "kind": f.kind, "event": f.event, "actions": f.actions}
            episode = f.rule if f.kind == "automation" else None
            journal.add("rule.fired", data, ACTOR, case, deliveries=f.deliveries, episode=episode, plan=False)
        effects = outcome.effects
        diff = {k: v for k, v in effects.changes.items() if jsonable(getattr(case, k)) != jsonable(v)}
        if diff:
            try:
                values, more = service.consequences(case, diff, now)
            except InvalidTransition as exc:
                journal.add("rule.failed", {"error": str(exc)}, ACTOR, case, plan=False)
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
        batch = journal.extend(pending, ACTOR, case)
    return case, changed
