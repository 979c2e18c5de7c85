"""The dashboard's two lists: open cases whose SLA is due soonest, and open cases already breached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, true

from casehub.reports.figures import OPEN, open_first
from casehub.reports.scope import Scope
from casehub.reports.sql import JsonText, json_elements
from casehub.store.cases import format_number
from casehub.store.tables import cases

__all__ = ["at_risk", "breached"]

_SHOWN = (cases.c.seq, cases.c.subject, cases.c.status, cases.c.priority, cases.c.queue, cases.c.owner, cases.c.channel)


def _row(r: Any, **extra: Any) -> dict[str, Any]:
    return {"number": format_number(r.seq), "subject": r.subject, "status": r.status, "priority": r.priority,
            "queue": r.queue, "owner": r.owner, "channel": r.channel, **extra}  # fmt: skip


def at_risk(conn: Connection, scope: Scope, now: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """Open cases with a running SLA clock not yet breached, the soonest due first (through next_sla_at's index)."""
    query = (
        select(*_SHOWN, cases.c.sla, cases.c.next_sla_at)
        .where(*scope.conditions(), cases.c.status.in_(OPEN), cases.c.next_sla_at.is_not(None))
        .order_by(cases.c.next_sla_at, cases.c.seq)
        .limit(limit * 2)
    )
    found = []
    for r in conn.execute(query):
        running = [t for t in r.sla if t.get("state") == "running" and t.get("due_at")]
        if not running:
            continue
        first = min(running, key=lambda t: t["due_at"])
        found.append(_row(r, target=first["name"], policy=first.get("policy"), due_at=first["due_at"]))
    found.sort(key=lambda c: (c["due_at"], c["number"]))
    return found[:limit]


def breached(conn: Connection, scope: Scope, limit: int = 20) -> list[dict[str, Any]]:
    """Open cases with a breached clock that is still not met, longest overdue first."""
    clock = json_elements(conn.dialect.name, cases.c.sla)
    since = func.min(JsonText(clock.c.value, "breached_at")).label("since")
    worst = open_first(
        select(cases.c.seq, since)
        .select_from(cases.join(clock, true()))
        .where(
            *scope.conditions(),
            cases.c.status.in_(OPEN),
            and_(JsonText(clock.c.value, "state") == "breached", JsonText(clock.c.value, "met_at").is_(None)),
        )
        .group_by(cases.c.seq)
        .order_by(since, cases.c.seq)
        .limit(limit)
    ).subquery()
    query = select(*_SHOWN, cases.c.sla).join(worst, worst.c.seq == cases.c.seq).order_by(worst.c.since, cases.c.seq)
    found = []
    for r in conn.execute(query):
        open_breaches = sorted((t["breached_at"], t["name"]) for t in r.sla if t.get("state") == "breached" and not t.get("met_at"))
        found.append(_row(r, target=open_breaches[0][1], breached_at=open_breaches[0][0]))
    return found
