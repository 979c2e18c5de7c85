"""``casehub salesforce import`` and ``push --all`` against the fake org, run as a user runs them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casehub.cli import build_cli
from casehub.fakes.salesforce import SalesforceFake
from casehub.hub import Hub, build_hub
from casehub.model import CaseDraft
from casehub.plugins.salesforce import bulk
from casehub.plugins.salesforce.hooks import client_for
from casehub.store.cases import CaseFilter

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sf_fake: SalesforceFake) -> Path:
    """A folder with a casehub.toml syncing with the fake org, as the current directory."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CASEHUB_") and n != "CASEHUB_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CASEHUB_SALESFORCE__ACCESS_TOKEN", sf_fake.token)
    (tmp_path / "casehub.toml").write_text(
        f'[casehub]\ndatabase_url = "sqlite:///{tmp_path / "casehub.db"}"\n'
        f'[salesforce]\ninstance_url = "{sf_fake.url}"\nca_bundle = "{sf_fake.ca_path}"\n'
    )
    return tmp_path


@pytest.fixture
def run(desk: Path) -> Run:
    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)
        return result.exit_code, " ".join(result.output.split())

    return invoke


@pytest.fixture
def hub(desk: Path) -> Iterator[Hub]:
    built = build_hub(desk / "casehub.toml")
    yield built
    built.close()


def org_case(fake: SalesforceFake, subject: str, **fields: object) -> str:
    return fake.insert("Case", **{"Subject": subject, "Status": "New", "Priority": "Medium", "Origin": "Email", **fields})


def test_import_brings_each_case_once_and_marks_it_in_salesforce(run: Run, hub: Hub, sf_fake: SalesforceFake) -> None:
    closed = org_case(sf_fake, "Broken hinge", Status="Closed", Priority="High", SuppliedEmail="bo@example.com",
                      SuppliedName="Bo Berg", SuppliedCompany="Berg AB", IsEscalated=True)  # fmt: skip
    web = org_case(sf_fake, "Where is my order?", Origin="Web")
    org_case(sf_fake, "Already in casehub", Casehub_Id__c="01EXISTING")

    code, text = run("salesforce", "import")

    assert code == 0, text
    assert "2 cases imported" in text
    imported = {c.subject: c for c in hub.service.list(CaseFilter()).items}
    assert set(imported) == {"Broken hinge", "Where is my order?"}
    hinge = imported["Broken hinge"]
    assert (hinge.status, hinge.priority, hinge.channel, hinge.is_escalated) == ("resolved", "high", "email", True)
    assert (hinge.contact.email, hinge.contact.name, hinge.account.name) == ("bo@example.com", "Bo Berg", "Berg AB")
    assert [(link.system, link.id) for link in hinge.external_links] == [("salesforce", closed)]
    assert sf_fake.get("Case", closed)["Casehub_Id__c"] == hinge.id
    assert sf_fake.get("Case", web)["Casehub_Id__c"] == imported["Where is my order?"].id
    assert all(e.actor == bulk.IMPORT_ACTOR for e in hub.service.events(hinge.id))  # no rule reacted

    again, text = run("salesforce", "import")
    assert again == 0 and "0 cases imported" in text
    assert len(hub.service.list(CaseFilter()).items) == 2


def test_an_import_stopped_before_writing_back_is_not_imported_twice(hub: Hub, sf_fake: SalesforceFake) -> None:
    first = org_case(sf_fake, "First")
    org_case(sf_fake, "Second")
    client = client_for(hub)
    assert client is not None
    [record] = [r for r in client.call(lambda sf: sf.query_all("SELECT Id, Subject, CaseNumber FROM Case"))["records"]
                if r["Id"] == first]  # fmt: skip
    half_done = hub.service.create(bulk._draft(record, client), actor=bulk.IMPORT_ACTOR, rules=False)

    report = bulk.import_cases(hub, client)

    assert report.done == 1
    assert sorted(c.subject for c in hub.service.list(CaseFilter()).items) == ["First", "Second"]
    assert sf_fake.get("Case", first)["Casehub_Id__c"] == half_done.id


def test_push_all_back_fills_and_links_every_case_once(run: Run, hub: Hub, sf_fake: SalesforceFake) -> None:
    made = [hub.service.create(CaseDraft(subject=f"case {n}"), actor="test") for n in range(5)]

    code, text = run("salesforce", "push", "--all")
    assert code == 0 and "5 cases pushed" in text, text
    again, _ = run("salesforce", "push", "--all", "--after", made[2].number)

    assert again == 0
    records = sf_fake.records("Case")
    assert sorted(r["Casehub_Id__c"] for r in records) == sorted(c.id for c in made)
    assert all(hub.service.get(c.id).external_links[0].system == "salesforce" for c in made)
    upserts = [r for r in sf_fake.requests if r.method == "PATCH" and "composite" in r.path]
    assert [len(r.body["records"]) for r in upserts] == [5, 2]
    code, text = run("outbox", "stats")
    used, limit = sf_fake.api_usage
    assert code == 0 and f"salesforce API requests: {used:,} of {limit:,}" in text, text


def test_push_needs_all_and_a_real_case_number(run: Run) -> None:
    code, text = run("salesforce", "push")
    assert code == 2 and "--all" in text
    code, text = run("salesforce", "push", "--all", "--after", "yesterday")
    assert code == 2 and "not a case number" in text


def test_a_refused_login_is_one_clear_line(run: Run, monkeypatch: pytest.MonkeyPatch, sf_fake: SalesforceFake) -> None:
    monkeypatch.setenv("CASEHUB_SALESFORCE__ACCESS_TOKEN", "stale-token")
    code, text = run("salesforce", "import")
    assert code == 1
    assert "expired" in text and "stale-token" not in text


def test_casehub_check_logs_in_and_compares_the_field_map_with_the_org(
    run: Run, desk: Path, sf_fake: SalesforceFake
) -> None:
    good, text = run("check")
    assert good == 0, text
    assert "salesforce: logged in to" in text and "Case has every mapped field and value" in text

    with (desk / "casehub.toml").open("a") as config:
        config.write('fields = { "custom.product" = { field = "Product__c" } }\n')
    bad, text = run("check")
    assert bad == 1 and "Case.Product__c (fields.custom.product) does not exist" in text
    assert sf_fake.token not in text


def test_without_a_salesforce_section_the_commands_say_what_is_missing(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEHUB_SALESFORCE__ACCESS_TOKEN")  # it alone would start a section
    (desk / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "sqlite:///{desk / "casehub.db"}"\n')

    code, text = run("salesforce", "import")

    assert code == 1 and "there is no [salesforce] section in the config" in text
