"""The Jira feedback section of the report: open issues, customers waiting, and how long they waited."""

from __future__ import annotations

from datetime import timedelta

from test_feedback import HubFactory, ask, feedback_issues, jira_hub, site  # noqa: F401 (fixtures)

from casehub.fakes.jira import JiraFake
from casehub.plugins.jira import backsync
from casehub.plugins.jira.hooks import jira_for
from casehub.reports import Period, Scope, report
from casehub.testing import settle_outbox


def test_the_report_counts_what_the_product_team_still_owes(jira_hub: HubFactory, site: JiraFake) -> None:
    hub = jira_hub(deliveries=False)
    export = [hub.service.create(ask("Export reports to Excel", "XLSX export", f"{n}@example.com"), actor="test")
              for n in ("a", "b")]  # fmt: skip
    dark = hub.service.create(ask("Dark mode", "A dark theme for night shifts", "c@example.com"), actor="test")
    hub.service.create(ask("Dark mode", "not feedback", "d@example.com", type="question"), actor="test")
    hub.start_deliveries()
    settle_outbox(hub, 3)
    jira, settings = jira_for(hub), hub.settings.section("jira")
    mark = backsync.poll(hub, jira, settings, None)
    [issue] = [i for i in feedback_issues(site) if i["fields"]["summary"] == "Export reports to Excel"]
    site.transition(issue["key"], "Done", resolution="Done")
    backsync.poll(hub, jira, settings, mark)

    now = hub.clock()
    section = report(hub, Period(now - timedelta(days=1), now + timedelta(minutes=1)), Scope())["sections"]["jira feedback"]
    took = hub.service.get(export[0].id).updated_at - export[0].created_at
    assert section["feedback_cases_created"] == 3  # the question is not feedback
    assert (section["issues_open"], section["customers_waiting"]) == (1, 1)  # dark mode, its one customer
    assert (section["issues_resolved"], section["customers_told"]) == (1, 2)  # the export, both its customers
    assert 0 < section["feedback_to_resolution_median_s"] <= took.total_seconds() + 1
    assert hub.service.get(dark.id).custom_fields.get("feedback_status") is None
    only_other = report(hub, Period(now - timedelta(days=1), now + timedelta(minutes=1)), Scope(channel="email"))
    assert only_other["sections"]["jira feedback"]["feedback_cases_created"] == 0  # the asks came in by API
