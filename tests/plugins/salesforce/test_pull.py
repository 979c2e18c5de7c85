"""Salesforce → casehub: agents' changes in the fake org come back by SOQL polling, once, without echoes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from casehub.fakes.salesforce import SalesforceFake
from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft, CommentDraft
from casehub.plugins.salesforce import pull
from casehub.plugins.salesforce.hooks import client_for
from casehub.pollers import run_poller, states
from casehub.testing import outbox_rows, settle_outbox

HubFactory = Callable[..., Hub]


def synced_case(hub: Hub, fake: SalesforceFake, subject: str = "Lamp flickers", **extra: object) -> tuple[str, str]:
    """A case created in casehub and pushed: (casehub id, Salesforce Id)."""
    draft = CaseDraft.model_validate({"subject": subject, "contact": {"email": "ada@example.com"}, **extra})
    case = hub.service.create(draft, actor="test")
    settle_outbox(hub)
    [record] = [r for r in fake.records("Case") if r["Casehub_Id__c"] == case.id]
    return case.id, record["Id"]


def poll(hub: Hub, watermark: str | None) -> str:
    client = client_for(hub)
    assert client is not None
    return pull.poll(hub, client, watermark)


def test_the_first_poll_starts_from_now(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case_id, record_id = synced_case(hub, sf_fake)
    sf_fake.agent_edit("Case", record_id, Priority="High")  # before casehub ever polled

    poll(hub, None)

    assert hub.service.get(case_id).priority == "normal"


def test_an_agents_changes_come_back_as_casehub_changes_by_salesforce(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case_id, record_id = synced_case(hub, sf_fake)
    mark = poll(hub, None)
    pushes_before = len(outbox_rows(hub))

    sf_fake.agent_edit("Case", record_id, Status="Working", Priority="High", IsEscalated=True)
    poll(hub, mark)

    case = hub.service.get(case_id)
    assert (case.status, case.priority, case.is_escalated) == ("open", "high", True)
    [update] = [e for e in hub.service.events(case_id) if e.type == "case.updated" and e.actor == "salesforce"]
    assert set(update.data["changes"]) == {"status", "priority", "is_escalated"}
    assert len(outbox_rows(hub)) == pushes_before  # not pushed back


def test_each_change_is_applied_once_and_casehubs_own_pushes_do_not_echo(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case_id, record_id = synced_case(hub, sf_fake)
    mark = poll(hub, None)
    sf_fake.agent_edit("Case", record_id, Priority="Low")
    mark = poll(hub, mark)
    events_after_first = len(hub.service.events(case_id))

    mark = poll(hub, mark)  # the same change is inside the look-back window: not applied again
    case = hub.service.get(case_id)
    hub.service.update(case_id, CaseChanges(version=case.version, priority="urgent"), actor="agent")
    settle_outbox(hub)  # pushed by casehub's integration user
    poll(hub, mark)

    assert hub.service.get(case_id).priority == "urgent"
    events = hub.service.events(case_id)
    assert len([e for e in events if e.actor == "salesforce"]) == 1
    assert len(events) > events_after_first  # only casehub's own change and its delivery


def test_a_change_committed_with_an_older_stamp_is_not_missed(
    sf_hub: HubFactory, sf_fake: SalesforceFake, org_clock
) -> None:
    hub = sf_hub()
    case_id, record_id = synced_case(hub, sf_fake)
    other_id, other_record = synced_case(hub, sf_fake, "Second")
    mark = poll(hub, None)
    sf_fake.agent_edit("Case", record_id, Priority="High")
    mark = poll(hub, mark)

    org_clock.offset = -timedelta(minutes=2)  # a long transaction: its stamp is older than the watermark
    sf_fake.agent_edit("Case", other_record, Priority="Low")
    poll(hub, mark)

    assert hub.service.get(other_id).priority == "low"
    assert hub.service.get(case_id).priority == "high"


def test_more_changes_than_a_page_all_arrive(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    ids = {}
    for n in range(60):  # the fake pages after 50
        draft = CaseDraft(subject=f"case {n}")
        ids[hub.service.create(draft, actor="test").id] = n
    settle_outbox(hub, 60)
    mark = poll(hub, None)
    for record in sf_fake.records("Case"):
        sf_fake.agent_edit("Case", record["Id"], Priority="High")

    mark = poll(hub, mark)

    assert all(hub.service.get(case_id).priority == "high" for case_id in ids)
    assert any("/query/" in r.path and r.path.rstrip("/") != "/services/data/v62.0/query" for r in sf_fake.requests)
    assert json.loads(mark)["Case"]["since"]


def test_agents_comments_arrive_once_as_replies_or_notes(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case_id, record_id = synced_case(hub, sf_fake)
    hub.service.comment(case_id, CommentDraft(body="from casehub", public=True), actor="agent")
    settle_outbox(hub)
    mark = poll(hub, None)

    sf_fake.agent_comment(record_id, "We replaced the ballast.", public=True)
    sf_fake.agent_comment(record_id, "Customer was rude <script>", public=False)
    mark = poll(hub, mark)
    poll(hub, mark)

    comments = [e.data for e in hub.service.events(case_id) if e.type == "comment.added"]
    assert [(c["body"], c["public"]) for c in comments] == [
        ("from casehub", True),
        ("We replaced the ballast.", True),
        ("Customer was rude <script>", False),
    ]
    assert comments[1]["author"] == f"salesforce:{sf_fake.agent_user_id}"


def test_where_casehub_wins_an_unpushed_casehub_change_stands(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    sf_fake.add_field("Case", "Product__c", type="string")
    sf_fake.add_field("Case", "Model__c", type="string")
    fields = {"custom.product": {"field": "Product__c", "wins": "casehub"}, "custom.model": {"field": "Model__c"}}
    hub = sf_hub(deliveries=False, fields=fields)  # casehub's pushes wait in the outbox
    draft = CaseDraft.model_validate({"subject": "Lamp", "custom_fields": {"product": "Lamp 3000", "model": "A"}})
    case = hub.service.create(draft, actor="test")
    record_id = sf_fake.insert("Case", Subject="Lamp", Casehub_Id__c=case.id, Product__c="Lamp 3000", Model__c="A")
    mark = poll(hub, None)
    hub.service.update(case.id, CaseChanges(version=case.version, custom_fields={"product": "Lamp 4000", "model": "A"}), actor="agent")

    sf_fake.agent_edit("Case", record_id, Product__c="Lamp 2000", Model__c="B")
    poll(hub, mark)

    custom = hub.service.get(case.id).custom_fields
    assert custom["product"] == "Lamp 4000"  # casehub's change stands and will be pushed
    assert custom["model"] == "B"  # Salesforce wins this one


def test_the_poller_runs_at_the_configured_interval_and_keeps_its_watermark(
    sf_hub: HubFactory, sf_fake: SalesforceFake
) -> None:
    hub = sf_hub(poll_interval_seconds=30)
    case_id, record_id = synced_case(hub, sf_fake)
    poller = hub.pollers["salesforce"]
    assert poller.interval_seconds == 30

    first = run_poller(hub, poller, force=True)
    sf_fake.agent_edit("Case", record_id, Priority="Low")
    second = run_poller(hub, poller, force=True)

    assert first is not None and first.ok and second is not None and second.ok, (first, second)
    assert hub.service.get(case_id).priority == "low"
    assert states(hub.engine)["salesforce"].watermark == second.watermark


def test_a_change_pulled_from_salesforce_sets_off_the_rules_and_their_work_is_pushed(
    sf_hub: HubFactory, sf_fake: SalesforceFake, tmp_path: Path
) -> None:
    (tmp_path / "rules.yaml").write_text(
        "triggers:\n"
        "  - name: escalated in salesforce\n"
        "    on: [case.updated]\n"
        "    all: [{field: event.actor, eq: salesforce}, {field: is_escalated, eq: true}]\n"
        "    actions: [{add_tag: escalated-by-agent}, {set_priority: urgent}]\n"
    )
    hub = sf_hub(rules_file=str(tmp_path / "rules.yaml"))
    case_id, record_id = synced_case(hub, sf_fake)
    mark = poll(hub, None)

    sf_fake.agent_edit("Case", record_id, IsEscalated=True)
    poll(hub, mark)
    settle_outbox(hub)

    case = hub.service.get(case_id)
    assert "escalated-by-agent" in case.tags and case.priority == "urgent"
    assert sf_fake.get("Case", record_id)["Priority"] == "High"  # the rule's change went back; urgent → High
