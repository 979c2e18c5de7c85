"""An agent links a case to a Jira issue by hand, or unlinks it: the issue's customers and the case's link follow."""

from __future__ import annotations

from typing import Any

from jira import JIRA

from casehub.model import Case, CaseChanges, ExternalLink
from casehub.plugins.jira.backsync import linked_cases
from casehub.plugins.jira.feedback import (
    FEEDBACK_LABEL,
    Issue,
    _customer_line,
    _remote_link,
    browse_url,
    count_label,
    set_labels,
)
from casehub.plugins.jira.settings import JiraSettings

__all__ = ["SYSTEM", "issue_of", "link", "unlink"]

SYSTEM = "jira"


def issue_of(case: Case) -> str | None:
    return next((link.id for link in case.external_links if link.system == SYSTEM), None)


def _set_count(jira: JIRA, key: str, delta: int) -> int:
    issue = jira.issue(key, fields="labels")
    current = Issue(key, list(issue.fields.labels or []), "")
    total = max(0, max(current.customers, 1 if delta < 0 else 0) + delta)
    labels = [label for label in current.labels if not label.startswith("customers-")]
    labels = [*labels, count_label(total)] if FEEDBACK_LABEL in labels else [*labels, FEEDBACK_LABEL, count_label(total)]
    set_labels(jira, key, labels)
    return total


def link(hub: Any, jira: JIRA, settings: JiraSettings, ref: str, key: str, actor: str) -> tuple[Case, int]:
    """(the case, the issue's customer count); raises JIRAError 404 for an issue that does not exist."""
    case = hub.service.get(ref)
    key = jira.issue(key, fields="summary").key  # exists, and its canonical key
    if issue_of(case) == key:
        return case, len(linked_cases(jira, key))
    _remote_link(jira, key, case, settings)
    jira.add_comment(key, f"Another customer asked for this (linked by {actor}):\n{_customer_line(case, settings)}")
    total = _set_count(jira, key, +1)
    links = [x for x in case.external_links if x.system != SYSTEM]
    links.append(ExternalLink(system=SYSTEM, id=key, url=browse_url(settings, key)))
    return hub.service.update(case.id, CaseChanges(version=case.version, external_links=links), actor), total


def unlink(hub: Any, jira: JIRA, settings: JiraSettings, ref: str, actor: str) -> tuple[Case, str | None]:
    """(the case, the issue it was linked to, if any)."""
    case = hub.service.get(ref)
    key = issue_of(case)
    if key is None:
        return case, None
    for remote in jira.remote_links(key):
        if getattr(remote, "globalId", "") == f"casehub-case:{case.id}":
            remote.delete()
    _set_count(jira, key, -1)
    links = [x for x in case.external_links if x.system != SYSTEM]
    return hub.service.update(case.id, CaseChanges(version=case.version, external_links=links), actor), key
