"""How cases and timelines look in a terminal."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from casehub.model import Case, Event

__all__ = ["case_panel", "case_table", "timeline_table"]

PRIORITY = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def case_table(cases: list[Case]) -> Table:
    table = Table("number", "status", "priority", "subject", "queue", "owner", "updated")
    for case in cases:
        style = PRIORITY.get(case.priority, "")
        table.add_row(
            case.number,
            case.status,
            f"[{style}]{case.priority}[/]" if style else case.priority,
            case.subject,
            case.queue or "",
            case.owner or "",
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
        grid.add_row(f"[dim]{label}[/]", value)
    body = Group(grid, "", case.description) if case.description else grid
    return Panel(body, title=f"[bold]{case.number}[/] {case.subject}", title_align="left")


def timeline_table(events: list[Event]) -> Table:
    table = Table("at", "event", "actor", "details", title="timeline")
    for event in events:
        if event.type == "comment.added":
            kind = "reply" if event.data.get("public") else "note"
            details = f"{kind}: {event.data.get('body', '')[:200]}"
        elif event.type == "case.updated":
            changes = event.data.get("changes", {})
            details = ", ".join(f"{k}: {v[0]!r} → {v[1]!r}" for k, v in changes.items())
        elif event.type == "case.created":
            details = event.data.get("subject", "")
        else:
            details = ", ".join(f"{k}={v}" for k, v in event.data.items())
        table.add_row(_when(event.at), event.type, event.actor, details)
    return table
