"""Feedback → one well-formed Jira issue per request, however many customers ask for it.

The delivery engine hands the ``create_jira_issue`` deliveries waiting for a
project over together. Each case is matched, in order:

1. by its explicit feedback key (``custom.feedback_key``, set by a rule or an
   agent) against the open issues labelled with that key;
2. by text similarity (:mod:`similarity`) against the open feedback issues of
   the last ``lookback_days`` — and against the issues this batch is about to
   create and the cases that joined an issue in it, so twenty customers asking
   for the same thing in one burst make one issue;
3. else it gets a new issue, created in bulk, 50 to a request.

Linking a case to an issue adds a remote link to the case (its ``globalId``
makes a retry harmless) and, once per issue per batch, one comment naming
the new customers and one update of the reporter count label: a popular
issue gets one write per batch, not one per customer.

Creation is idempotent: a new issue carries the label
``casehub-case-<case id>``, and a retried delivery looks for it before
creating anything.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from jira import JIRA
from sqlalchemy import select

from casehub.model import Case
from casehub.outbox import DeliveryResult, OutboxItem
from casehub.plugins.jira.markup import jql_string, wiki
from casehub.plugins.jira.settings import JiraSettings
from casehub.plugins.jira.similarity import Index
from casehub.rules.actions import Template
from casehub.store.cases import row_to_case
from casehub.store.tables import cases

__all__ = ["BULK", "FEEDBACK_LABEL", "Issue", "browse_url", "case_label", "count_label", "deliver", "key_label"]

log = logging.getLogger(__name__)
BULK = 50  # Jira's bulk create takes at most 50 issues per request
FEEDBACK_LABEL = "casehub-feedback"
_COUNT = re.compile(r"^customers-(\d+)$")


def case_label(case_id: str) -> str:
    return f"casehub-case-{case_id.lower()}"


def key_label(feedback_key: str) -> str:
    return "casehub-fb-" + re.sub(r"[^a-z0-9]+", "-", feedback_key.lower()).strip("-")[:60]


def count_label(n: int) -> str:
    return f"customers-{n}"


def browse_url(settings: JiraSettings, key: str) -> str:
    return f"{str(settings.url).rstrip('/')}/browse/{key}"


@dataclass
class Issue:
    """An open feedback issue as this batch sees it (or one it is about to create)."""

    key: str | None
    labels: list[str]
    text: str
    new_cases: list[Case] = field(default_factory=list)
    error: str | None = None  # why Jira did not create it

    @property
    def customers(self) -> int:
        return max((int(m.group(1)) for label in self.labels if (m := _COUNT.match(label))), default=0)


CUSTOMERS_HEADING = "h3. Customers asking"


def _text(summary: str, description: str | None) -> str:
    """What was asked: the summary and the description without the customers list casehub keeps under it."""
    asked = (description or "").split(f"\n\n{CUSTOMERS_HEADING}", 1)[0]
    return f"{summary}\n{summary}\n{asked}"  # the summary twice: it says what is asked; the text says it at length


def _open_issues(jira: JIRA, settings: JiraSettings, project: str) -> list[Issue]:
    jql = (
        f"project = {jql_string(project)} AND labels = {FEEDBACK_LABEL} AND statusCategory != Done "
        f"AND created >= -{settings.lookback_days}d ORDER BY created DESC"
    )
    found = jira.search_issues(jql, maxResults=False, fields="summary,description,labels")
    return [Issue(i.key, list(i.fields.labels or []), _text(i.fields.summary, i.fields.description)) for i in found]


def _already_created(jira: JIRA, project: str, cases_: list[Case]) -> dict[str, Issue]:
    """Issues a lost answer left behind: found by their creating case's label."""
    if not cases_:
        return {}
    labels = ", ".join(case_label(c.id) for c in cases_)
    found = jira.search_issues(f"project = {jql_string(project)} AND labels in ({labels})", maxResults=False,
                               fields="summary,description,labels")  # fmt: skip
    by_label: dict[str, Issue] = {}
    for i in found:
        issue = Issue(i.key, list(i.fields.labels or []), _text(i.fields.summary, i.fields.description))
        for label in issue.labels:
            by_label[label] = issue
    return {c.id: by_label[case_label(c.id)] for c in cases_ if case_label(c.id) in by_label}


def _customer_line(case: Case, settings: JiraSettings, *, words: bool = False) -> str:
    """A customer on the issue; ``words``: with how they put it, for the product team."""
    account = wiki(case.account.name) if case.account else "no account"
    tier = f", tier {wiki(case.account.tier)}" if case.account and case.account.tier else ""
    number = f"[{case.number}|{settings.case_url.format(number=case.number, id=case.id)}]" if settings.case_url else case.number
    line = f"* {account}{tier}: case {number} ({wiki(case.contact.email) or 'no email'})"
    return f"{line} asked: “{wiki(' '.join(case.subject.split())[:200])}”" if words else line


def _fields(case: Case, settings: JiraSettings, project: str, issue_type: str, params: dict[str, Any]) -> dict[str, Any]:
    summary = Template(params.get("summary_template") or settings.summary_template).render(case)
    asked = Template(params.get("description_template") or settings.description_template).render(case)
    labels = [FEEDBACK_LABEL, case_label(case.id), count_label(1), *settings.labels]
    if case.custom_fields.get("feedback_key"):
        labels.append(key_label(str(case.custom_fields["feedback_key"])))
    description = f"{wiki(asked)}\n\n{CUSTOMERS_HEADING}\n{_customer_line(case, settings)}"
    values: dict[str, Any] = {
        "project": {"key": project},
        "issuetype": {"name": issue_type},
        "summary": " ".join(summary.split())[:250] or case.number,
        "description": description[:32_000],
        "labels": labels,
    }
    if settings.components:
        values["components"] = [{"name": c} for c in settings.components]
    if str(case.priority) in settings.priority_map:
        values["priority"] = {"name": settings.priority_map[str(case.priority)]}
    for field_id, template in settings.custom_fields.items():
        values[field_id] = Template(template).render(case)
    return values


def _remote_link(jira: JIRA, key: str, case: Case, settings: JiraSettings) -> None:
    url = settings.case_url.format(number=case.number, id=case.id) if settings.case_url else f"casehub:{case.number}"
    title = f"{case.number}: {case.subject}"[:250]
    # One request, not the library's two: add_remote_link first lists the application links, which most users
    # may not read (403), so the library asks again every time. The globalId makes a repeat update in place.
    body = {"globalId": f"casehub-case:{case.id}", "object": {"url": url, "title": title}}
    response = jira._session.post(jira._get_url(f"issue/{key}/remotelink"), data=json.dumps(body))
    response.raise_for_status()


def set_labels(jira: JIRA, key: str, labels: list[str]) -> None:
    """One PUT (the library's ``issue.update`` reads the issue before and after: three requests)."""
    body = {"fields": {"labels": labels}}
    jira._session.put(jira._get_url(f"issue/{key}"), data=json.dumps(body)).raise_for_status()


def deliver(items: list[OutboxItem], jira: JIRA, settings: JiraSettings, engine: Any) -> list[DeliveryResult]:
    project = items[0].key or settings.project
    with engine.connect() as conn:
        current = {c.id: c for c in map(row_to_case, conn.execute(select(cases).where(cases.c.id.in_({i.case_id for i in items}))))}
    results: dict[int, DeliveryResult] = {}
    open_issues = _open_issues(jira, settings, project)
    retried = [current[i.case_id] for i in items if i.attempts > 1 and i.case_id in current]
    earlier = _already_created(jira, project, retried)
    # How common a word is, among the open issues and all of this batch's feedback: the batch's own wording counts.
    asked = [_text(current[i.case_id].subject, current[i.case_id].description) for i in items if i.case_id in current]
    index = Index(((i.key, i.text) for i in open_issues if i.key), background=asked)
    by_ref: dict[str, Issue] = {i.key: i for i in open_issues if i.key}  # index key → issue (new ones: "new:<n>")
    planned: list[tuple[Issue, Case, dict[str, Any]]] = []  # new issues, with their first case and params
    target: dict[int, Issue] = {}
    for item in items:
        case = current.get(item.case_id)
        if case is None:
            results[item.id] = DeliveryResult(ok=False, permanent=True, error="the case no longer exists")
            continue
        if case.id in earlier:
            found = earlier[case.id]
            target[item.id] = by_ref.setdefault(found.key or "", found)
            continue
        text = _text(case.subject, case.description)
        issue = _by_feedback_key(case, open_issues, planned)
        if issue is None:
            match = index.best(text)
            if match is not None and match[1] >= settings.similarity_threshold:
                issue = by_ref[match[0]]
        if issue is None:
            issue = Issue(None, [], text)
            planned.append((issue, case, item.payload.get("params") or {}))
            ref = f"new:{len(planned)}"
            by_ref[ref] = issue
            index.add(ref, text)
        else:
            issue.new_cases.append(case)
            # Its words join the issue's: the next customer may put it the way this one did.
            ref = f"ask:{case.id}"
            by_ref[ref] = issue
            index.add(ref, text)
        target[item.id] = issue
    _create(jira, settings, project, planned)
    _link_new_customers(jira, settings, [i for i in {id(t): t for t in target.values()}.values() if i.key], current)
    for item in items:
        if item.id in results:
            continue
        issue = target[item.id]
        if issue.key is None:
            results[item.id] = DeliveryResult(ok=False, permanent=issue.error is not None, error=issue.error or "Jira did not create the issue")
        else:
            results[item.id] = DeliveryResult(remote_id=issue.key, remote_url=browse_url(settings, issue.key))
    return [results[i.id] for i in items]


def _by_feedback_key(case: Case, open_issues: list[Issue], planned: list[tuple[Issue, Case, dict[str, Any]]]) -> Issue | None:
    key = case.custom_fields.get("feedback_key")
    if not key:
        return None
    label = key_label(str(key))
    for issue in open_issues:
        if label in issue.labels:
            return issue
    for issue, first, _ in planned:
        if first.custom_fields.get("feedback_key") and key_label(str(first.custom_fields["feedback_key"])) == label:
            return issue
    return None


def _create(jira: JIRA, settings: JiraSettings, project: str, planned: list[tuple[Issue, Case, dict[str, Any]]]) -> None:
    for start in range(0, len(planned), BULK):
        chunk = planned[start : start + BULK]
        fields = [
            _fields(case, settings, params.get("project") or project, params.get("issue_type") or settings.issue_type, params)
            for _, case, params in chunk
        ]
        answers = jira.create_issues(field_list=fields)
        for (issue, case, _), values, answer in zip(chunk, fields, answers, strict=True):
            if answer.get("status") == "Success" and answer.get("issue") is not None:
                issue.key = answer["issue"].key
                issue.labels = list(values["labels"])
                _remote_link(jira, issue.key, case, settings)
            else:
                issue.error = f"Jira refused the issue: {answer.get('error')}"


def _link_new_customers(jira: JIRA, settings: JiraSettings, issues: list[Issue], current: dict[str, Case]) -> None:
    """For each issue that gained customers in this batch: their remote links, one comment, one count update."""
    for issue in issues:
        if not issue.new_cases or issue.key is None:
            continue
        for case in issue.new_cases:
            _remote_link(jira, issue.key, case, settings)
        lines = "\n".join(_customer_line(c, settings, words=True) for c in issue.new_cases)
        many = len(issue.new_cases)
        jira.add_comment(issue.key, f"{'Another customer' if many == 1 else f'{many} more customers'} asked for this:\n{lines}")
        total = max(issue.customers, 1) + many
        labels = [label for label in issue.labels if not _COUNT.match(label)] + [count_label(total)]
        set_labels(jira, issue.key, labels)
        issue.labels = labels
