"""How cases and timelines look in a terminal.

Everything a customer or agent typed goes in as :class:`rich.text.Text`, never
as a markup string: a subject like ``[/urgent] printer`` must print as written,
not be read as a style tag (or crash the table).
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from casehub.model import Case, Event

__all__ = ["age", "case_panel", "case_table", "timeline_table"]

PRIORITY = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}


def age(then: datetime | None, now: datetime) -> str:
    """How long ago ``then`` was, in the two largest units (``4m 10s``, ``2d 3h``); empty for ``None``."""
    if then is None:
        return ""
    s = max(0, int((now - then).total_seconds()))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def case_table(cases: list[Case]) -> Table:
    table = Table("number", "status", "priority", "subject", "queue", "owner", "updated")
    for case in cases:
        table.add_row(
            case.number,
            case.status,
            Text(case.priority, style=PRIORITY.get(case.priority, "")),
            Text(case.subject),
            Text(case.queue or ""),
            Text(case.owner or ""),
            _when(case.updated_at),
        )
    return table


def case_panel(case: Case) -> Panel:
    grid = Table.grid(padding=(0, 2))
    contact = " ".join(p for p in (case.contact.name, f"<{case.contact.email}>" if case.contact.email else None) if p)
    rows = [
        ("status", f"{case.status}   priority {case.priority}   type {case.type}   channel {case.channel}"),
        ("contact", contact or "—"),
        ("account", case.account.name if case.account else "—"),
        ("queue / owner", f"{case.queue or '—'} / {case.owner or '—'}"),
        ("tags", ", ".join(case.tags) or "—"),
        ("created", _when(case.created_at)),
        ("version", str(case.version)),
    ]
    for label, value in rows:
        grid.add_row(Text(label, style="dim"), Text(value))
    body = Group(grid, "", Text(case.description)) if case.description else grid
    title = Text.assemble((case.number, "bold"), " ", case.subject)
    return Panel(body, title=title, title_align="left")


def _details(event: Event) -> str:
    if event.type == "comment.added":
        kind = "reply" if event.data.get("public") else "note"
        return f"{kind}: {str(event.data.get('body', ''))[:200]}"
    if event.type == "case.updated":
        changes = event.data.get("changes", {})
        return ", ".join(f"{k}: {v[0]!r} → {v[1]!r}" for k, v in changes.items())
    if event.type == "case.created":
        return str(event.data.get("subject", ""))
    if event.type == "rule.fired":
        d = event.data
        return f"{d.get('rule')} ({d.get('kind')} on {d.get('event')}): " + "; ".join(map(str, d.get("actions", [])))
    if event.type.startswith("sla."):
        d = event.data
        if event.type == "sla.applied":
            due = ", ".join(f"{k} due {str(v)[:16].replace('T', ' ')}" for k, v in (d.get("due") or {}).items() if v)
            return f"policy {d.get('policy')}" + (f" (was {d['previous']})" if d.get("previous") else "") + (f": {due}" if due else "")
        extra = " within target" if d.get("within_target") else " late" if "within_target" in d else ""
        return f"{d.get('target')} ({d.get('policy')}){extra}"
    if event.type.startswith("delivery."):
        d = event.data
        where = f"{d.get('destination')}:{d.get('key')}" if d.get("key") else str(d.get("destination"))
        text = f"#{d.get('outbox_id')} {d.get('action')} → {where}"
        if "attempt" in d:
            text += f" (attempt {d['attempt']})"
        if d.get("error"):
            text += f": {str(d['error'])[:200]}"
        if d.get("retry_at"):
            text += f"; next attempt {str(d['retry_at'])[:19].replace('T', ' ')}"
        return text
    return ", ".join(f"{k}={v}" for k, v in event.data.items())


def timeline_table(events: list[Event]) -> Table:
    table = Table("at", "event", "actor", "details", title="timeline")
    for event in events:
        table.add_row(_when(event.at), event.type, Text(event.actor), Text(_details(event)))
    return table
