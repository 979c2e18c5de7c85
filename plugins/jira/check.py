"""What ``casehub check`` says about Jira: the login works, and the project, issue type and fields are there."""

from __future__ import annotations

from jira import JIRA
from jira.exceptions import JIRAError

from casehub.plugins.jira.client import connect
from casehub.plugins.jira.settings import JiraSettings

__all__ = ["check"]

# Fields casehub fills itself on every feedback issue.
_OURS = {"project", "issuetype", "summary", "description", "labels", "reporter", "components", "priority"}


def check(settings: JiraSettings) -> list[tuple[bool, str]]:
    """(ok, message) lines; creates nothing."""
    try:
        jira = connect(settings)
        me = jira.myself()
    except JIRAError as exc:
        return [(False, f"jira: {settings.url} answered {exc.status_code}: {exc.text}")]
    except OSError as exc:
        return [(False, f"jira: cannot reach {settings.url}: {type(exc).__name__}")]
    lines = [(True, f"jira: logged in to {settings.url} as {me.get('displayName') or me.get('name')}")]
    fields = _createmeta(jira, settings)
    if isinstance(fields, str):
        return [*lines, (False, f"jira: {fields}")]
    problems = []
    for field_id in settings.custom_fields:
        if field_id not in fields:
            problems.append(f"custom_fields.{field_id}: not a field of {settings.issue_type} in {settings.project}")
    for field_id, meta in fields.items():
        if meta.get("required") and not meta.get("hasDefaultValue") and field_id not in _OURS | set(settings.custom_fields):
            problems.append(f"{meta.get('name', field_id)} ({field_id}) is required in {settings.project} "
                            f"{settings.issue_type}: map it in [jira] custom_fields")  # fmt: skip
    if problems:
        return [*lines, *((False, f"jira: {p}") for p in problems)]
    return [*lines, (True, f"jira: {settings.project} takes {settings.issue_type} issues with every field casehub sets")]


def _createmeta(jira: JIRA, settings: JiraSettings) -> dict[str, dict[str, object]] | str:
    """The issue type's fields by id, from createmeta (the per-project endpoint, which Cloud and Server 9 both have)."""
    try:
        types = jira._get_json(f"issue/createmeta/{settings.project}/issuetypes")
    except JIRAError as exc:
        return f"project {settings.project}: {exc.status_code} {exc.text}"
    listed = types.get("issueTypes") or types.get("values") or []
    chosen = next((t for t in listed if t.get("name") == settings.issue_type), None)
    if chosen is None:
        names = ", ".join(sorted(t.get("name", "?") for t in listed))
        return f"project {settings.project} has no issue type {settings.issue_type!r} (it has {names})"
    meta = jira._get_json(f"issue/createmeta/{settings.project}/issuetypes/{chosen['id']}")
    return {f.get("fieldId") or f.get("key"): f for f in (meta.get("fields") or meta.get("values") or [])}
