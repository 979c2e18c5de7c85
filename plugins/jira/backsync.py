"""Jira → casehub: an issue's status reaches every case linked to it, by webhook or, as a fallback, by polling.

The cases an issue belongs to are read from the issue's remote links (their
``globalId`` is ``casehub-case:<case id>``), so no case table scan is needed.
Each case gets ``feedback.status_changed`` and, when the issue is done or
won't be done, ``feedback.resolved``, with ``custom.feedback_status`` set to
``done``, ``wont_do``, ``in_progress`` or ``open`` in the same transaction: rules
notify the agent and send the customer's follow-up from there. A comment
visible to everyone on the issue can be relayed to the cases as a note.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from jira import JIRA

from casehub.errors import CaseNotFound
from casehub.model import CommentDraft
from casehub.plugins.jira.markup import jql_string
from casehub.plugins.jira.settings import JiraSettings

__all__ = ["ACTOR", "apply_comment", "apply_status", "linked_cases", "poll"]

log = logging.getLogger(__name__)
ACTOR = "jira"
_GLOBAL = "casehub-case:"


def linked_cases(jira: JIRA, key: str) -> list[str]:
    found = []
    for link in jira.remote_links(key):
        global_id = getattr(link, "globalId", "") or ""
        if global_id.startswith(_GLOBAL):
            found.append(global_id.removeprefix(_GLOBAL))
    return found


def apply_status(hub: Any, settings: JiraSettings, case_ids: list[str], key: str, old: str | None, new: str,
                 resolution: str | None) -> int:  # fmt: skip
    """Tell each linked case; returns how many were told."""
    outcome = settings.outcome(new, resolution)
    data = {"issue": key, "from": old, "to": new, "resolution": resolution, "outcome": outcome}
    events = [("feedback.status_changed", data)]
    if outcome in ("done", "wont_do"):
        events.append(("feedback.resolved", data))
    told = 0
    for case_id in case_ids:
        try:
            case = hub.service.get(case_id)
        except CaseNotFound:
            log.warning("Jira issue %s links casehub case %s, which does not exist", key, case_id)
            continue
        known = case.custom_fields.get("feedback_jira_status")
        if known == new or (known is None and outcome == "open"):
            continue  # told already (by the webhook, or an earlier poll), or nothing to tell: a new issue is open
        custom = {**case.custom_fields, "feedback_issue": key, "feedback_status": outcome, "feedback_jira_status": new}
        hub.service.append(case.id, events, ACTOR, changes={"custom_fields": custom})
        told += 1
    return told


def apply_comment(hub: Any, case_ids: list[str], key: str, author: str, body: str) -> None:
    for case_id in case_ids:
        try:
            hub.service.comment(case_id, CommentDraft(body=f"{key}, {author}: {body}"[:60_000], author=f"jira:{author}"), ACTOR)
        except CaseNotFound:
            continue


def poll(hub: Any, jira: JIRA, settings: JiraSettings, watermark: str | None) -> str:
    """The fallback: feedback issues updated since the last look; each linked case not yet at the issue's status is told.

    The first poll starts from now. JQL compares ``updated`` to the minute, so
    each poll asks again from the minute of the newest update it saw;
    telling a case is idempotent (its ``custom.feedback_jira_status``), so the
    overlap, and a webhook that already told it, change nothing.
    """
    state = json.loads(watermark) if watermark else {}
    since = state.get("since")
    if since is None:
        return json.dumps({"since": hub.clock().strftime("%Y-%m-%d %H:%M")})
    jql = f"project = {jql_string(settings.project)} AND labels = casehub-feedback AND updated >= {jql_string(since)}"
    newest = since
    for issue in jira.search_issues(jql + " ORDER BY updated ASC", maxResults=False, fields="status,resolution,updated"):
        status = issue.fields.status.name
        resolution = issue.fields.resolution.name if issue.fields.resolution else None
        apply_status(hub, settings, linked_cases(jira, issue.key), issue.key, None, status, resolution)
        newest = _jql_minute(issue.fields.updated)
    return json.dumps({"since": newest})


def _jql_minute(updated: str) -> str:
    """Jira's ``2026-11-25T10:00:00.000+0000`` as JQL's ``2026-11-25 10:00`` (JQL compares to the minute)."""
    return updated[:10] + " " + updated[11:16]
