"""The Jira feedback figures of ``casehub report``: what the product team still owes customers, and how long it took.

Counted over feedback cases (type ``feedback``, an indexed column) linked to a
Jira issue (an external link of system ``jira``); an issue counts as resolved
for its customers once back-sync set the case's ``feedback_status`` to
``done`` or ``wont_do``. Definitions: docs/reporting.md.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, distinct, func, or_, select, true

from casehub.reports import Period, Scope
from casehub.reports.figures import percentiles
from casehub.reports.sql import JsonText, Seconds, json_elements
from casehub.store.tables import cases, events

__all__ = ["TITLE", "figures"]

TITLE = "jira feedback"
_SETTLED = ("done", "wont_do")


def figures(conn: Connection, period: Period, scope: Scope) -> dict[str, Any]:
    feedback = [*scope.conditions(), cases.c.type == "feedback"]
    link = json_elements(conn.dialect.name, cases.c.external_links)
    key = JsonText(link.c.value, "id")
    status = JsonText(cases.c.custom_fields, "feedback_status")
    waiting = or_(status.is_(None), status.not_in(_SETTLED))
    linked = (
        select(func.count(distinct(key)), func.count(distinct(cases.c.id)))
        .select_from(cases.join(link, true()))
        .where(*feedback, JsonText(link.c.value, "system") == "jira", waiting)
    )
    issues_open, customers_waiting = conn.execute(linked).one()
    created = conn.execute(
        select(func.count()).where(*feedback, cases.c.created_at >= period.since, cases.c.created_at < period.until)
    ).scalar_one()
    resolved = and_(events.c.type == "feedback.resolved", events.c.at >= period.since, events.c.at < period.until,
                    events.c.case_id == cases.c.id)  # fmt: skip
    issues_resolved, customers_told = conn.execute(
        select(func.count(distinct(JsonText(events.c.data, "issue"))), func.count(distinct(events.c.case_id))).where(*feedback, resolved)
    ).one()
    took = percentiles(conn, Scope(**scope.filters()), Seconds(events.c.at, cases.c.created_at), cases.c.type == "feedback", resolved)
    stat = next(iter(took.values()), {})
    return {
        "feedback_cases_created": created,
        "issues_open": issues_open,
        "customers_waiting": customers_waiting,
        "issues_resolved": issues_resolved,
        "customers_told": customers_told,
        "feedback_to_resolution_median_s": stat.get("median_s"),
        "feedback_to_resolution_p90_s": stat.get("p90_s"),
    }
