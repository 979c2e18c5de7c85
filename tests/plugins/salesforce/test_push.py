"""casehub → Salesforce through the real simple-salesforce client and the fake org over TLS."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from casehub import usage
from casehub.fakes.salesforce import SalesforceFake
from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft, CommentDraft

from casehub.testing import outbox_rows, settle_outbox as settle

HubFactory = Callable[..., Hub]


def draft(subject: str = "Lamp flickers", email: str = "ada@example.com", **extra: object) -> CaseDraft:
    contact = {"email": email, "name": "Ada Lovelace", "phone": "+44 20 7946 0000"}
    return CaseDraft.model_validate({"subject": subject, "channel": "web", "contact": contact, **extra})


def test_a_new_case_is_upserted_by_its_id_and_linked(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case = hub.service.create(draft(description="Since Monday."), actor="test")

    [row] = settle(hub)
    assert row["status"] == "done", row["last_error"]
    [record] = sf_fake.records("Case")
    assert record["Casehub_Id__c"] == case.id
    assert (record["Subject"], record["Description"], record["Origin"]) == ("Lamp flickers", "Since Monday.", "Web")
    assert (record["Status"], record["Priority"]) == ("New", "Medium")
    assert (record["SuppliedEmail"], record["SuppliedName"]) == ("ada@example.com", "Ada Lovelace")
    [link] = hub.service.get(case.id).external_links
    assert (link.system, link.id) == ("salesforce", record["Id"])
    assert link.url == f"{sf_fake.url}/lightning/r/Case/{record['Id']}/view"
    [request] = [r for r in sf_fake.requests if "composite/sobjects/Case" in r.path]
    assert request.header("Sforce-Auto-Assign") == "FALSE"  # casehub's rules own assignment
    assert record["OwnerId"] != sf_fake.default_queue_id


def test_changes_push_only_what_changed_to_the_same_record(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case = hub.service.create(draft(), actor="test")
    settle(hub, 1)
    record_id = sf_fake.records("Case")[0]["Id"]
    sf_fake.agent_edit("Case", record_id, Description="edited by an agent")

    current = hub.service.get(case.id)  # linking it changed it
    hub.service.update(case.id, CaseChanges(version=current.version, priority="high", status="open"), actor="test")

    rows = settle(hub, 2)
    assert [r["status"] for r in rows] == ["done", "done"]
    [record] = sf_fake.records("Case")  # one record, however often it is pushed
    assert (record["Priority"], record["Status"]) == ("High", "Working")
    assert record["Description"] == "edited by an agent"  # not part of this change: left alone
    [update] = [r for r in sf_fake.requests if r.method == "PATCH" and "composite" in r.path][1:]
    assert set(update.body["records"][0]) == {"attributes", "id", "Casehub_Id__c", "Priority", "Status"}  # by its Id, once linked


def test_a_known_sender_is_linked_to_their_contact_and_account(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    account = sf_fake.insert("Account", Name="O'Brien & Sons")
    contact = sf_fake.insert("Contact", LastName="O'Brien", Email="o'brien@example.com", AccountId=account)
    hub = sf_hub()

    hub.service.create(draft(email="o'brien@example.com"), actor="test")
    hub.service.create(draft("No contact", email="nobody@example.com"), actor="test")

    rows = settle(hub, 2)
    assert all(r["status"] == "done" for r in rows), [r["last_error"] for r in rows]
    by_subject = {r["Subject"]: r for r in sf_fake.records("Case")}
    assert (by_subject["Lamp flickers"]["ContactId"], by_subject["Lamp flickers"]["AccountId"]) == (contact, account)
    assert by_subject["No contact"]["ContactId"] is None
    assert len(sf_fake.records("Contact")) == 1  # nobody@ was not created: create_contacts is off
    lookups = [r.query["q"][0] for r in sf_fake.requests if "FROM Contact" in str(r.query)]
    assert any("'o\\'brien@example.com'" in q for q in lookups), lookups  # the quote escaped the SOQL way


def test_an_unknown_sender_becomes_a_contact_when_configured(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub(create_contacts=True)
    hub.service.create(draft(email="grace@example.com"), actor="test")

    settle(hub, 1)
    [contact] = sf_fake.records("Contact")
    assert (contact["FirstName"], contact["LastName"], contact["Email"]) == ("Ada", "Lovelace", "grace@example.com")
    assert sf_fake.records("Case")[0]["ContactId"] == contact["Id"]


def test_replies_and_notes_become_public_and_private_case_comments(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub()
    case = hub.service.create(draft(), actor="test")
    hub.service.comment(case.id, CommentDraft(body="We are on it.", public=True), actor="agent")
    hub.service.comment(case.id, CommentDraft(body="Check the <b>ballast</b>", public=False), actor="agent")

    rows = settle(hub, 3)
    assert all(r["status"] == "done" for r in rows), [r["last_error"] for r in rows]
    parent = sf_fake.records("Case")[0]["Id"]
    comments = sorted(sf_fake.records("CaseComment"), key=lambda c: c["CreatedDate"])
    assert [(c["ParentId"], c["CommentBody"], c["IsPublished"]) for c in comments] == [
        (parent, "We are on it.", True),
        (parent, "Check the <b>ballast</b>", False),
    ]


def test_a_field_the_org_does_not_have_is_a_dead_letter_on_the_timeline(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub(fields={"custom.product": {"field": "Product__c", "direction": "push"}})
    case = hub.service.create(draft(custom_fields={"product": "Lamp 3000"}), actor="test")

    [row] = settle(hub)
    assert row["status"] == "dead" and row["attempts"] == 1
    assert "INVALID_FIELD" in row["last_error"] and "Product__c" in row["last_error"]
    dead = [e for e in hub.service.events(case.id) if e.type == "delivery.dead"]
    assert dead and "Product__c" in dead[0].data["error"]
    assert sf_fake.records("Case") == []


def test_an_expired_session_logs_in_again_once(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    sf_fake.add_client("casehub-app", "app-secret", run_as=sf_fake.api_username)
    hub = sf_hub(access_token=None, consumer_key="casehub-app", consumer_secret="app-secret")
    hub.service.create(draft("first"), actor="test")
    settle(hub, 1)
    sf_fake.expire_sessions()

    hub.service.create(draft("second"), actor="test")

    rows = settle(hub, 2)
    assert [r["status"] for r in rows] == ["done", "done"] and rows[1]["attempts"] == 1
    logins = [r for r in sf_fake.requests if r.path == "/services/oauth2/token"]
    assert len(logins) == 2
    assert "app-secret" not in str(rows)


def test_a_refused_login_is_a_dead_letter_naming_the_flow_not_the_secret(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub(access_token=None, consumer_key="casehub-app", consumer_secret="wrong-secret")
    hub.service.create(draft(), actor="test")

    [row] = settle(hub)
    assert row["status"] == "dead" and row["attempts"] == 1
    assert "client_credentials" in row["last_error"] and "wrong-secret" not in row["last_error"]


def test_vendor_outages_are_retried(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    sf_fake.fail_next(2, status=503, error_code="SERVER_UNAVAILABLE", message="down for maintenance")
    hub = sf_hub()
    hub.service.create(draft(), actor="test")

    [row] = settle(hub)
    assert row["status"] == "done" and row["attempts"] == 3
    assert len(sf_fake.records("Case")) == 1


def test_high_api_usage_holds_back_non_urgent_pushes_only(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub(usage_threshold_percent=90, slowed_delay_seconds=3600)
    hub.service.create(draft("warm-up"), actor="test")
    settle(hub, 1)
    sf_fake.set_api_limit(1000, used=950)
    hub.service.create(draft("routine"), actor="test")  # learns the usage from this response
    settle(hub, 2)

    hub.service.create(draft("routine again"), actor="test")
    hub.service.create(draft("outage", priority="urgent"), actor="test")

    deadline = time.monotonic() + 10
    while {r["Subject"] for r in sf_fake.records("Case")} != {"warm-up", "routine", "outage"}:
        assert time.monotonic() < deadline, [r["Subject"] for r in sf_fake.records("Case")]
        time.sleep(0.05)
    [held] = [r for r in outbox_rows(hub) if r["status"] != "done"]
    assert held["status"] == "pending" and "95% of the org's daily limit" in held["last_error"]
    assert held["attempts"] == 0  # waiting is not an attempt: a long spike cannot make it a dead letter
    assert held["next_attempt_at"] > hub.clock() + timedelta(minutes=59)
    routine_again = [e.type for e in hub.service.events(held["case_id"])]
    assert "delivery.failed" not in routine_again


def test_many_cases_go_in_collections_of_200(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    hub = sf_hub(deliveries=False, outbox_settings={"claim_batch": 500})
    for n in range(250):
        hub.service.create(draft(f"case {n}", email=f"p{n}@example.com"), actor="test")
    sf_fake.clear_requests()

    hub.start_deliveries()

    rows = settle(hub, 250)
    assert all(r["status"] == "done" for r in rows)
    assert len(sf_fake.records("Case")) == 250
    upserts = [r for r in sf_fake.requests if "composite/sobjects/Case" in r.path]
    assert sorted(len(r.body["records"]) for r in upserts) == [50, 200]


def test_contact_lookups_stay_within_salesforces_url_limit_and_take_one_round_trip(
    sf_hub: HubFactory, sf_fake: SalesforceFake
) -> None:
    hub = sf_hub(deliveries=False, outbox_settings={"claim_batch": 200})
    long_local = "a.very.long.name.with.many.dots.and.quotes'" + "x" * 20
    for n in range(200):
        hub.service.create(draft(f"case {n}", email=f"{long_local}{n}@example.com"), actor="test")
    sf_fake.insert("Contact", LastName="Known", Email=f"{long_local}7@example.com")
    sf_fake.clear_requests()

    hub.start_deliveries()

    settle(hub, 200)
    [batch] = [r for r in sf_fake.requests if r.path.endswith("/composite/batch")]  # every lookup in one round trip
    urls = [sub["url"] for sub in batch.body["batchRequests"]]
    assert len(urls) > 1 and all("FROM+Contact" in u for u in urls)
    assert max(len("/services/data/" + u) for u in urls) < 16_384
    linked = [r for r in sf_fake.records("Case") if r["ContactId"]]
    assert [r["Subject"] for r in linked] == ["case 7"]


def test_the_orgs_api_usage_is_on_metrics_and_in_outbox_stats(
    sf_hub: HubFactory, sf_fake: SalesforceFake, serve: Callable[..., Any]
) -> None:
    sf_fake.set_api_limit(1000, used=700)
    hub = sf_hub()
    hub.service.create(draft(), actor="test")
    settle(hub)

    with serve(hub) as client:
        metrics = client.get("/metrics").text
    [allowance] = usage.read(hub.engine)

    used = sf_fake.api_usage[0]
    assert (allowance.vendor, allowance.limit) == ("salesforce", 1000) and 700 < allowance.used <= used
    assert f'casehub_vendor_api_requests_used{{vendor="salesforce"}} {float(allowance.used)}' in metrics
    assert 'casehub_vendor_api_requests_limit{vendor="salesforce"} 1000.0' in metrics


def test_the_jwt_bearer_flow_logs_in_with_the_connected_apps_key(
    sf_hub: HubFactory, sf_fake: SalesforceFake, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "server.key").write_bytes(pem)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    sf_fake.register_jwt_key("casehub-app", public)
    hub = sf_hub(access_token=None, consumer_key="casehub-app", username=sf_fake.api_username,
                 private_key_file=str(tmp_path / "server.key"))  # fmt: skip

    hub.service.create(draft(), actor="test")

    [row] = settle(hub)
    assert row["status"] == "done", row["last_error"]
    [login] = [r for r in sf_fake.requests if r.path == "/services/oauth2/token"]
    assert login.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_the_username_password_flow_appends_the_security_token(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    sf_fake.add_user("ops@example.com", "pa55word", "TOKEN123")
    sf_fake.add_client("casehub-app", "app-secret")
    hub = sf_hub(access_token=None, consumer_key="casehub-app", consumer_secret="app-secret",
                 username="ops@example.com", password="pa55word", security_token="TOKEN123")  # fmt: skip

    hub.service.create(draft(), actor="test")

    [row] = settle(hub)
    assert row["status"] == "done", row["last_error"]
    [login] = [r for r in sf_fake.requests if r.path == "/services/oauth2/token"]
    assert login.body["grant_type"] == "password" and login.body["password"] == "pa55wordTOKEN123"


def test_one_at_a_time_when_the_config_says_so(sf_hub: HubFactory, sf_fake: SalesforceFake) -> None:
    # batch_size 1 makes the worker call deliver(); the plugin only takes batches, so it gets a batch of one
    hub = sf_hub(outbox_settings={"destinations": {"salesforce": {"batch_size": 1}}})
    hub.service.create(draft("first"), actor="test")
    hub.service.create(draft("second", email="b@example.com"), actor="test")

    rows = settle(hub, 2)
    assert [r["status"] for r in rows] == ["done", "done"]
    upserts = [r for r in sf_fake.requests if "composite/sobjects/Case" in r.path]
    assert [len(r.body["records"]) for r in upserts] == [1, 1]
