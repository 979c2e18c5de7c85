"""What `casehub check` reports about the org, from its describe, without writing to it."""

from __future__ import annotations

from typing import Any

from casehub.fakes.salesforce import SalesforceFake
from casehub.plugins.salesforce.check import check
from casehub.plugins.salesforce.settings import SalesforceSettings


def settings(fake: SalesforceFake, **extra: Any) -> SalesforceSettings:
    return SalesforceSettings.model_validate(
        {"instance_url": fake.url, "access_token": fake.token, "ca_bundle": fake.ca_path, **extra}
    )


def test_a_matching_org_is_all_good(sf_fake: SalesforceFake) -> None:
    writes_before = [r for r in sf_fake.requests if r.method != "GET"]

    lines = check(settings(sf_fake))

    assert all(ok for ok, _ in lines), lines
    assert "API requests today" in lines[0][1]
    assert [r for r in sf_fake.requests if r.method != "GET"] == writes_before  # read only


def test_missing_unwritable_fields_and_unknown_values_are_named(sf_fake: SalesforceFake) -> None:
    sf_fake.add_field("Case", "Region__c", type="string", createable=False, updateable=False)
    mapped = {
        "custom.product": {"field": "Product__c"},
        "custom.region": {"field": "Region__c", "direction": "push"},
        "custom.score": {"field": "Region__c", "direction": "pull"},  # reading it is fine
    }
    lines = check(settings(sf_fake, fields=mapped, status_map={"on_hold": "Waiting on Customer"}))

    problems = [message for ok, message in lines if not ok]
    assert any("Case.Product__c (fields.custom.product) does not exist" in p for p in problems), problems
    assert any("Case.Region__c (fields.custom.region) is not writable" in p for p in problems), problems
    assert not any("fields.custom.score" in p for p in problems)
    assert any("status_map.on_hold = 'Waiting on Customer' is not a value of Case.Status" in p for p in problems)


def test_a_missing_external_id_field_says_how_to_create_it(sf_fake: SalesforceFake) -> None:
    lines = check(settings(sf_fake, external_id_field="Helpdesk_Id__c"))
    assert (False, "salesforce: Case.Helpdesk_Id__c (external_id_field) does not exist: "
                   "create it as Text(255), External ID, Unique") in lines  # fmt: skip


def test_a_refused_login_is_one_line_without_the_secret(sf_fake: SalesforceFake) -> None:
    sf_fake.add_client("casehub-app", "right-secret")
    lines = check(settings(sf_fake, access_token=None, consumer_key="casehub-app", consumer_secret="wrong-secret"))

    [(ok, message)] = lines
    assert not ok and "client_credentials" in message and "wrong-secret" not in message
