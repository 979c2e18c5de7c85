"""The feedback loop through the real jira client against the fake Jira: one issue per request, and back."""

from __future__ import annotations

import json
from dataclasses import replace
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import casehub.plugins.jira as jira_plugin
from casehub.fakes.jira import JiraFake
from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.outbox import OutboxItem
from casehub.plugins.jira import backsync, feedback
from casehub.plugins.jira.check import check
from casehub.plugins.jira.hooks import jira_for
from casehub.plugins.jira.settings import JiraSettings
from casehub.testing import outbox_rows, run_server, settle_outbox

HubFactory = Callable[..., Hub]
SECRET = "webhook-secret-1"
RULES = """
triggers:
  - name: feedback to the product team
    on: [case.created]
    all: [{field: type, eq: feedback}]
    actions: [{create_jira_issue: {}}]
  - name: tell the customer when it is done
    on: [feedback.resolved]
    all: [{field: custom.feedback_status, eq: done}]
    actions:
      - reply: "Good news: what you asked for in {{ case.number }} is done."
  - name: tell the customer when it will not be done
    on: [feedback.resolved]
    all: [{field: custom.feedback_status, eq: wont_do}]
    actions:
      - reply: "We decided against what you asked for in {{ case.number }}; thank you for telling us."
"""


@pytest.fixture
def site() -> Iterator[JiraFake]:
    with JiraFake() as fake:
        yield fake


@pytest.fixture
def jira_hub(make_hub: HubFactory, any_database_url: str, site: JiraFake, tmp_path: Path) -> HubFactory:
    (tmp_path / "rules.yaml").write_text(RULES)

    def make(deliveries: bool = True, **settings: Any) -> Hub:
        section = {
            "url": site.url, "email": site.email, "api_token": site.api_token, "project": "FEED",
            "webhook_secret": SECRET, "case_url": "https://casehub.example.com/cases/{number}", **settings,
        }  # fmt: skip
        config = {
            "jira": section,
            "rules": {"file": str(tmp_path / "rules.yaml")},
            "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_cap": 0.2},
        }
        return make_hub(config, plugins={"jira": jira_plugin}, database_url=any_database_url, deliveries=deliveries)

    return make


def ask(subject: str, description: str = "", email: str = "ann@example.com", **extra: Any) -> CaseDraft:
    account = {"name": extra.pop("account", "Acme"), "tier": extra.pop("tier", "gold")}
    return CaseDraft.model_validate({"subject": subject, "description": description, "type": "feedback",
                                     "contact": {"email": email}, "account": account, **extra})  # fmt: skip


def feedback_issues(site: JiraFake) -> list[dict[str, Any]]:
    return [i for i in site.issues("FEED") if "casehub-feedback" in i["fields"]["labels"]]


def test_feedback_becomes_an_issue_with_the_customer_context_and_both_link_each_other(
    jira_hub: HubFactory, site: JiraFake
) -> None:
    hub = jira_hub()
    case = hub.service.create(ask("Export reports to Excel", "We need XLSX export of the monthly report."), actor="test")

    [row] = settle_outbox(hub)
    assert row["status"] == "done", row["last_error"]
    [issue] = feedback_issues(site)
    fields = issue["fields"]
    assert fields["summary"] == "Export reports to Excel"
    assert "casehub-case-" + case.id.lower() in fields["labels"] and "customers-1" in fields["labels"]
    assert "Acme, tier gold: case [C-000001|https://casehub.example.com/cases/C-000001]" in fields["description"]
    [link] = hub.service.get(case.id).external_links
    assert (link.system, link.id, link.url) == ("jira", issue["key"], f"{site.url}/browse/{issue['key']}")
    assert backsync.linked_cases(jira_for(hub), issue["key"]) == [case.id]


def test_many_customers_asking_for_the_same_thing_make_one_issue(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub(deliveries=False)
    asks = [
        ("Export reports to Excel", "Please add an Excel export for reports", "a@example.com", "Acme"),
        ("Excel export of reports", "We would like to export our reports to Excel", "b@example.com", "Globex"),
        ("Dark mode", "The app should have a dark mode for night shifts", "c@example.com", "Initech"),
        ("Reports: export to Excel please", "Export the reports to Excel (xlsx)", "d@example.com", "Umbrella"),
    ]
    made = [hub.service.create(ask(s, d, e, account=a), actor="test") for s, d, e, a in asks]
    hub.start_deliveries()

    rows = settle_outbox(hub, 4)
    assert all(r["status"] == "done" for r in rows), [r["last_error"] for r in rows]
    issues = {i["fields"]["summary"]: i for i in feedback_issues(site)}
    assert sorted(issues) == ["Dark mode", "Export reports to Excel"]
    export = issues["Export reports to Excel"]
    assert "customers-3" in export["fields"]["labels"]
    keys = {c.number: hub.service.get(c.id).external_links[0].id for c in made}
    assert keys["C-000001"] == keys["C-000002"] == keys["C-000004"] == export["key"] != keys["C-000003"]
    [comment] = site.get(export["key"])["fields"]["comment"]["comments"]
    assert comment["body"].startswith("2 more customers asked for this") and "Globex" in comment["body"]
    assert sorted(backsync.linked_cases(jira_for(hub), export["key"])) == sorted(c.id for c in made if c.number != "C-000003")
    creates = [r for r in site.requests if r.path.endswith("/issue/bulk")]
    assert len(creates) == 1 and len(creates[0].body["issueUpdates"]) == 2  # one bulk request for the two new topics


def test_a_later_duplicate_and_an_explicit_feedback_key_join_the_open_issue(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub()
    hub.service.create(ask("Export reports to Excel", "XLSX export of reports", custom_fields={"feedback_key": "xlsx"}), actor="test")
    settle_outbox(hub, 1)

    hub.service.create(ask("Spreadsheet download", "Could we download as a spreadsheet?", "z@example.com",
                                custom_fields={"feedback_key": "XLSX"}), actor="test")  # fmt: skip
    hub.service.create(ask("Excel export for reports", "Export reports to Excel", "y@example.com"), actor="test")
    settle_outbox(hub, 3)

    issues = feedback_issues(site)
    assert len(issues) == 1, [(i["key"], i["fields"]["summary"], i["fields"]["labels"]) for i in issues]
    issue = issues[0]
    assert "customers-3" in issue["fields"]["labels"]
    comments = " ".join(c["body"] for c in site.get(issue["key"])["fields"]["comment"]["comments"])
    assert "z@example.com" in comments and "y@example.com" in comments  # one comment per batch that added them


def test_customer_text_is_not_jira_markup_or_a_mention(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub()
    hostile = "{code}x{code} [click here|https://evil.example] [~admin] *bold* h1. big"
    hub.service.create(ask("Weird request", hostile, account="Evil [Corp|https://evil.example]"), actor="test")

    settle_outbox(hub)
    [issue] = feedback_issues(site)
    description = issue["fields"]["description"]
    assert "{code}" not in description and "\\{code\\}" in description
    assert "[click here|" not in description and "[~admin]" not in description and "\\[\\~admin\\]" in description
    assert "[Corp|" not in description


def test_a_retry_after_an_unknown_outcome_does_not_create_a_second_issue(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub(deliveries=False)
    case = hub.service.create(ask("Export reports to Excel", "XLSX please"), actor="test")
    [row] = outbox_rows(hub)
    item = OutboxItem(id=row["id"], case_id=case.id, event_id=row["event_id"], destination="jira", key=row["key"],
                      action=row["action"], payload=row["payload"], idempotency_key=row["idempotency_key"],
                      attempts=1, created_at=row["created_at"])  # fmt: skip
    settings = hub.settings.section("jira")

    [first] = feedback.deliver([item], jira_for(hub), settings, hub.engine)  # its answer was lost, say
    [again] = feedback.deliver([replace(item, attempts=2)], jira_for(hub), settings, hub.engine)

    assert first.ok and again.ok and first.remote_id == again.remote_id
    assert len(feedback_issues(site)) == 1


def test_a_status_change_reaches_every_linked_case_and_the_customers_hear_back(
    jira_hub: HubFactory, site: JiraFake
) -> None:
    hub = jira_hub(deliveries=False)
    first = hub.service.create(ask("Export reports to Excel", "XLSX export"), actor="test")
    second = hub.service.create(ask("Excel export of reports", "export reports to Excel", "b@example.com"), actor="test")
    hub.start_deliveries()
    settle_outbox(hub, 2)
    [issue] = feedback_issues(site)

    with run_server(hub) as server:
        site.add_webhook(f"{server.url}/hooks/jira", secret=SECRET)
        site.transition(issue["key"], "In Progress")
        site.transition(issue["key"], "Done", resolution="Done")
        site.wait_for_webhooks(2)

    for case in (first, second):
        after = hub.service.get(case.id)
        assert after.custom_fields["feedback_status"] == "done"
        types = [e.type for e in hub.service.events(case.id)]
        assert types.count("feedback.status_changed") == 2 and types.count("feedback.resolved") == 1
        replies = [e.data["body"] for e in hub.service.events(case.id) if e.type == "comment.added"]
        assert replies == [f"Good news: what you asked for in {after.number} is done."]


def test_a_webhook_with_a_wrong_or_missing_signature_changes_nothing(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub()
    case = hub.service.create(ask("Export reports to Excel"), actor="test")
    settle_outbox(hub)
    [issue] = feedback_issues(site)
    payload = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": issue["key"], "fields": {"labels": ["casehub-feedback"]}},
                          "changelog": {"items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]}})  # fmt: skip

    with run_server(hub) as server:
        forged = httpx.post(f"{server.url}/hooks/jira", content=payload, headers={"X-Hub-Signature": "sha256=00"})
        unsigned = httpx.post(f"{server.url}/hooks/jira", content=payload)

    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert "feedback_status" not in hub.service.get(case.id).custom_fields


def test_polling_finds_what_a_webhook_would_have_said_once(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub()
    case = hub.service.create(ask("Dark mode", "A dark theme please"), actor="test")
    settle_outbox(hub)
    [issue] = feedback_issues(site)
    jira, settings = jira_for(hub), hub.settings.section("jira")
    mark = backsync.poll(hub, jira, settings, None)

    site.transition(issue["key"], "Won't Do", resolution="Won't Do")
    mark = backsync.poll(hub, jira, settings, mark)
    backsync.poll(hub, jira, settings, mark)  # again: nothing new to tell

    after = hub.service.get(case.id)
    assert after.custom_fields["feedback_status"] == "wont_do"
    assert [e.type for e in hub.service.events(case.id)].count("feedback.resolved") == 1
    [reply] = [e.data["body"] for e in hub.service.events(case.id) if e.type == "comment.added"]
    assert reply.startswith("We decided against")


def test_public_jira_comments_reach_the_cases_and_restricted_ones_do_not(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub()
    case = hub.service.create(ask("Dark mode"), actor="test")
    settle_outbox(hub)
    [issue] = feedback_issues(site)

    with run_server(hub) as server:
        site.add_webhook(f"{server.url}/hooks/jira", secret=SECRET)
        site.comment(issue["key"], "Planned for the spring release.", public=True)
        site.comment(issue["key"], "Only 3 people want this, low priority.", public=False)
        site.wait_for_webhooks(2)

    notes = [e.data for e in hub.service.events(case.id) if e.type == "comment.added"]
    assert len(notes) == 1 and "Planned for the spring release." in notes[0]["body"] and notes[0]["public"] is False


def test_check_reports_missing_required_fields_by_name(site: JiraFake) -> None:
    field_id = site.add_custom_field("Product area", required=True, projects=["FEED"])
    base = {"url": site.url, "email": site.email, "api_token": site.api_token, "project": "FEED", "issue_type": "Task"}
    settings = JiraSettings.model_validate(base)

    lines = check(settings)

    assert lines[0][0] and "logged in" in lines[0][1]
    assert (False, f"jira: Product area ({field_id}) is required in FEED Task: map it in [jira] custom_fields") in lines
    wrong_type = check(JiraSettings.model_validate({**base, "issue_type": "Epic"}))
    assert not wrong_type[-1][0] and "no issue type 'Epic'" in wrong_type[-1][1]
    denied = check(JiraSettings.model_validate({**base, "api_token": "wrong"}))
    assert denied[0][0] is False and "401" in denied[0][1]


def test_jira_rate_limits_are_retried_after_retry_after(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub(deliveries=False)
    hub.service.create(ask("Dark mode"), actor="test")
    jira_for(hub)  # connects (serverInfo) before the 429s are scripted
    site.fail_next(1, status=429, retry_after=1)
    hub.start_deliveries()

    [row] = settle_outbox(hub)
    assert row["status"] == "done" and row["attempts"] == 2
    assert len(feedback_issues(site)) == 1
    assert not [r for r in outbox_rows(hub) if r["status"] == "dead"]
