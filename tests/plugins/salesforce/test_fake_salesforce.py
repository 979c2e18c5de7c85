"""The Salesforce fake, driven by the real simple-salesforce client over real TLS.

What is checked is what the Salesforce plugin will rely on: the client's URLs and exception classes line
up with the fake's answers, and the fake refuses what Salesforce refuses.
"""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.util import Usage

from casehub.fakes.salesforce import SalesforceFake, SalesforceFakeError
from casehub.fakes.soql import SoqlError, tokenize

SF_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceFake]:
    # requests lets these override session.verify: with them set, the fake's CA would be ignored.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with SalesforceFake() as sf_fake:
        yield sf_fake


@pytest.fixture
def session(fake: SalesforceFake) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.verify = fake.ca_path
        yield s


@pytest.fixture
def sf(fake: SalesforceFake, session: requests.Session) -> Salesforce:
    return Salesforce(instance_url=fake.url, session_id=fake.token, session=session)


def error_codes(exc: pytest.ExceptionInfo[Any]) -> list[str]:
    return [e["errorCode"] for e in exc.value.content]


# -- records --------------------------------------------------------------------------------------------------


def test_create_get_update_delete(sf: Salesforce, fake: SalesforceFake) -> None:
    created = sf.Case.create({"Subject": "Lamp flickers", "Priority": "High", "SuppliedEmail": "ann@example.com"})
    assert created["success"] and created["errors"] == []
    case_id = created["id"]
    assert len(case_id) == 18 and case_id.startswith("500")

    case = sf.Case.get(case_id)
    assert case["attributes"] == {"type": "Case", "url": f"/services/data/v{sf.sf_version}/sobjects/Case/{case_id}"}
    assert (case["Subject"], case["Priority"], case["Status"]) == ("Lamp flickers", "High", "New")
    assert case["IsClosed"] is False
    assert case["CaseNumber"] == "00001001"
    for stamp in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        assert case[stamp] and re.fullmatch(SF_DATETIME, case[stamp])
    assert case["LastModifiedById"] == fake.api_user_id

    assert sf.Case.update(case_id, {"Status": "Closed", "Description": "Replaced the bulb"}) == 204
    closed = sf.Case.get(case_id)
    assert closed["IsClosed"] is True and closed["ClosedDate"] is not None
    assert closed["SystemModstamp"] >= case["SystemModstamp"]
    assert sf.Case.get(case_id, params={"fields": "Subject,Status"}) == {
        "attributes": case["attributes"], "Subject": "Lamp flickers", "Status": "Closed"}  # fmt: skip

    assert sf.Case.delete(case_id) == 204
    assert fake.get("Case", case_id) is None
    with pytest.raises(SalesforceResourceNotFound):
        sf.Case.get(case_id)
    assert [r["Id"] for r in sf.query_all("SELECT Id FROM Case", include_deleted=True)["records"]] == [case_id]
    assert sf.query("SELECT Id FROM Case")["totalSize"] == 0


def test_case_numbers_and_ids_per_object(sf: Salesforce, fake: SalesforceFake) -> None:
    account = sf.Account.create({"Name": "Acme"})["id"]
    contact = sf.Contact.create({"LastName": "Lovelace", "FirstName": "Ada", "AccountId": account})["id"]
    case = sf.Case.create({"Subject": "a", "ContactId": contact})["id"]
    second = sf.Case.create({"Subject": "b"})["id"]
    comment = sf.CaseComment.create({"ParentId": case, "CommentBody": "Thanks"})["id"]
    assert [x[:3] for x in (account, contact, case, comment)] == ["001", "003", "500", "00a"]
    assert fake.default_queue_id.startswith("00G") and fake.agent_user_id.startswith("005")
    assert [c["CaseNumber"] for c in fake.records("Case")] == ["00001001", "00001002"]
    assert sf.Contact.get(contact)["Name"] == "Ada Lovelace"
    assert sf.Case.get(case[:15])["Id"] == case  # 15-character ids work too
    assert sf.Case.get(second.lower())["Id"] == second  # and 18-character ones are case-insensitive


def test_upsert_by_external_id_twice_gives_one_record(sf: Salesforce, fake: SalesforceFake) -> None:
    first = sf.Case.upsert("Casehub_Id__c/CH-1", {"Subject": "first"}, raw_response=True)
    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], "success": True, "errors": [], "created": True}
    second = sf.Case.upsert("Casehub_Id__c/CH-1", {"Subject": "second"}, raw_response=True)
    assert second.status_code == 200
    assert second.json() == {"id": first.json()["id"], "success": True, "errors": [], "created": False}
    assert [(c["Subject"], c["Casehub_Id__c"]) for c in fake.records("Case")] == [("second", "CH-1")]
    assert sf.Case.get_by_custom_id("Casehub_Id__c", "CH-1")["Subject"] == "second"

    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Case.create({"Subject": "dup", "Casehub_Id__c": "ch-1"})  # unique external ids ignore case
    assert error_codes(exc) == ["DUPLICATE_VALUE"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Case.get_by_custom_id("Casehub_Id__c", "CH-2")


def test_write_errors_are_shaped_like_salesforce(sf: Salesforce) -> None:
    cases: list[tuple[Any, str, list[str]]] = [
        (lambda: sf.Case.create({"Subjekt": "x"}), "INVALID_FIELD", []),
        (lambda: sf.Case.create({"IsClosed": True}), "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsClosed"]),
        (lambda: sf.Contact.create({"FirstName": "Ada"}), "REQUIRED_FIELD_MISSING", ["LastName"]),
        (lambda: sf.Case.create({"Status": "Bogus"}), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        (lambda: sf.Case.create({"ContactId": "not-an-id"}), "MALFORMED_ID", ["ContactId"]),
        (lambda: sf.Case.create({"SuppliedEmail": "nope"}), "INVALID_EMAIL_ADDRESS", ["SuppliedEmail"]),
        (lambda: sf.Case.create({"Subject": "x" * 256}), "STRING_TOO_LONG", ["Subject"]),
        (lambda: sf.Case.create({"IsEscalated": "yes"}), "JSON_PARSER_ERROR", ["IsEscalated"]),
        (lambda: sf.Case.update("garbage", {"Subject": "x"}), "MALFORMED_ID", ["Id"]),
    ]
    for call, code, fields in cases:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            call()
        assert exc.value.status == 400
        assert exc.value.content == [{"message": exc.value.content[0]["message"], "errorCode": code, "fields": fields}]
    case_id = sf.Case.create({"Subject": "x"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Case.update(case_id, {"CaseNumber": "1"})
    assert error_codes(exc) == ["INVALID_FIELD_FOR_INSERT_UPDATE"]
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Case.get(case_id[:3] + "000000000000")  # well-formed, no such record
    assert error_codes(exc) == ["NOT_FOUND"]


# -- queries --------------------------------------------------------------------------------------------------


def test_query_all_follows_next_records_url(sf: Salesforce, fake: SalesforceFake) -> None:
    fake.page_size = 3
    for i in range(8):
        fake.insert("Contact", LastName=f"Person {i}")
    first = sf.query("SELECT Id, LastName FROM Contact ORDER BY LastName")
    assert (first["totalSize"], first["done"], len(first["records"])) == (8, False, 3)
    assert re.fullmatch(r"/services/data/v59\.0/query/01g\w{15}-3", first["nextRecordsUrl"])
    fake.clear_requests()
    everything = sf.query_all("SELECT Id, LastName FROM Contact ORDER BY LastName")
    assert [r["LastName"] for r in everything["records"]] == [f"Person {i}" for i in range(8)]
    paths = [r.path for r in fake.requests]
    assert len(paths) == 3 and paths[0] == "/services/data/v59.0/query/"
    assert paths[1].endswith("-3") and paths[2].endswith("-6") and paths[1][:-2] == paths[2][:-2]


def test_quotes_and_backslashes_must_be_escaped_the_salesforce_way(sf: Salesforce) -> None:
    subject = "O'Brien's lamp \\ \"desk\"\nline two"
    case_id = sf.Case.create({"Subject": subject})["id"]
    escaped = subject.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\n", "\\n")
    found = sf.query(f"SELECT Id, Subject FROM Case WHERE Subject = '{escaped}'")
    assert [(r["Id"], r["Subject"]) for r in found["records"]] == [(case_id, subject)]

    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(f"SELECT Id FROM Case WHERE Subject = '{subject}'")
    assert error_codes(exc) == ["MALFORMED_QUERY"]
    sf.query("SELECT Id FROM Case WHERE Subject = 'C:\\temp'")  # \t is an escape, \q is not
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Case WHERE Subject = 'C:\\quux'")
    assert error_codes(exc) == ["MALFORMED_QUERY"] and "Illegal character sequence" in exc.value.content[0]["message"]


def test_query_errors(sf: Salesforce) -> None:
    refused = {
        "SELECT Id, Colour__c FROM Case": "INVALID_FIELD",
        "SELECT Id FROM Case WHERE Colour__c = 'red'": "INVALID_FIELD",
        "SELECT Id FROM Lamp__c": "INVALID_TYPE",
        "SELECT Id FROM Case WHERE SystemModstamp > '2026-11-25T10:00:00Z'": "INVALID_FIELD",  # quoted datetime
        "SELECT Id FROM Case WHERE Subject = 5": "INVALID_FIELD",
        "SELECT Id FROM Case WHERE Description = 'x'": "INVALID_FIELD",  # long text areas can't be filtered
        "SELECT Id FROM Case WHERE Subject = 'a' AND Status = 'New' OR Priority = 'High'": "MALFORMED_QUERY",
        "SELECT Id, Id FROM Case": "MALFORMED_QUERY",
        "SELECT Id FROM Case WHERE ContactId = 'abc'": "INVALID_QUERY_FILTER_OPERATOR",
        "SELECT Id FROM Case LIMIT": "MALFORMED_QUERY",
        "SELECT Id FROM Case WHERE": "MALFORMED_QUERY",
    }
    for soql, code in refused.items():
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.query(soql)
        assert error_codes(exc) == [code], soql
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id, Colour__c FROM Case")
    assert "No such column 'Colour__c' on entity 'Case'" in exc.value.content[0]["message"]


def test_query_conditions_order_and_relationships(sf: Salesforce, fake: SalesforceFake) -> None:
    ada = fake.insert("Contact", LastName="Lovelace", Email="ada@example.com")
    rows = [("Broken lamp", "High", "New", ada), ("Chair wobbles", "Low", "Working", None),
            ("Lamp is dim", "Medium", "Closed", ada), ("Desk", None, "Escalated", None)]  # fmt: skip
    ids = {s: fake.insert("Case", Subject=s, Priority=p, Status=st, ContactId=c) for s, p, st, c in rows}

    def subjects(where: str, order: str = "ORDER BY Subject") -> list[str]:
        return [r["Subject"] for r in sf.query_all(f"SELECT Subject FROM Case {where} {order}")["records"]]

    assert subjects("WHERE subject LIKE '%lamp%'") == ["Broken lamp", "Lamp is dim"]  # names and LIKE ignore case
    assert subjects("WHERE Priority IN ('High', 'Low')") == ["Broken lamp", "Chair wobbles"]
    assert subjects("WHERE Priority NOT IN ('High', 'Low')") == ["Desk", "Lamp is dim"]
    assert subjects("WHERE (Priority = 'High' OR Status = 'Escalated') AND IsClosed = false") == ["Broken lamp", "Desk"]
    assert subjects("WHERE NOT Subject LIKE 'L%'") == ["Broken lamp", "Chair wobbles", "Desk"]
    assert subjects("WHERE Priority != 'Medium'") == ["Broken lamp", "Chair wobbles", "Desk"]
    assert subjects("WHERE ContactId = null") == ["Chair wobbles", "Desk"]
    assert subjects("WHERE Contact.Email = 'ADA@example.com'") == ["Broken lamp", "Lamp is dim"]
    # picklists sort in their defined order (High, Medium, Low), not alphabetically
    by_priority = subjects("", "ORDER BY Priority DESC NULLS LAST, Subject LIMIT 2 OFFSET 1")
    assert by_priority == ["Lamp is dim", "Broken lamp"]
    assert subjects("", "ORDER BY Priority, Subject") == ["Desk", "Broken lamp", "Lamp is dim", "Chair wobbles"]
    assert subjects(f"WHERE Id = '{ids['Desk'][:15]}'") == ["Desk"]
    assert subjects("WHERE CreatedDate > 2000-01-01T00:00:00Z AND CreatedDate < 2999-12-31T23:59:59.000+0000") == [
        "Broken lamp", "Chair wobbles", "Desk", "Lamp is dim"]  # fmt: skip
    assert sf.query("SELECT COUNT() FROM Case WHERE IsClosed = true")["totalSize"] == 1

    joined = sf.query(f"SELECT Id, Contact.Email, Contact.LastName, Owner.Name FROM Case WHERE Id = '{ids['Desk']}' "
                      f"OR Id = '{ids['Broken lamp']}' ORDER BY Subject")["records"]  # fmt: skip
    assert joined[0]["Contact"]["Email"] == "ada@example.com" and joined[0]["Contact"]["LastName"] == "Lovelace"
    assert joined[0]["Contact"]["attributes"]["type"] == "Contact"
    assert joined[1]["Contact"] is None
    assert joined[0]["Owner"]["Name"] == fake.records("User")[0]["Name"]  # inserted as the API user


def test_polling_on_system_modstamp_sees_agent_edits(sf: Salesforce, fake: SalesforceFake) -> None:
    case_id = sf.Case.create({"Subject": "Lamp"}, headers={"Sforce-Auto-Assign": "FALSE"})["id"]
    before = fake.get("Case", case_id)
    assert before is not None
    time.sleep(0.002)
    edited = fake.agent_edit("Case", case_id, Status="Working", Priority="High")
    assert edited["LastModifiedById"] == fake.agent_user_id and edited["SystemModstamp"] > before["SystemModstamp"]
    comment_id = fake.agent_comment(case_id, "We are on it", public=False)

    since = before["SystemModstamp"]  # a datetime literal: unquoted
    changed = sf.query(f"SELECT Id, Status, LastModifiedById FROM Case WHERE SystemModstamp > {since}")
    assert [(r["Id"], r["Status"], r["LastModifiedById"]) for r in changed["records"]] == [
        (case_id, "Working", fake.agent_user_id)]  # fmt: skip
    comments = sf.query(f"SELECT Id, CommentBody, IsPublished, CreatedById FROM CaseComment "
                        f"WHERE ParentId = '{case_id}'")  # fmt: skip
    assert [(c["Id"], c["CommentBody"], c["IsPublished"], c["CreatedById"]) for c in comments["records"]] == [
        (comment_id, "We are on it", False, fake.agent_user_id)]  # fmt: skip
    with pytest.raises(SalesforceFakeError) as exc:
        fake.agent_edit("Case", case_id, Status="Sleeping")
    assert exc.value.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


# -- collections ----------------------------------------------------------------------------------------------


def test_collections_create_update_and_upsert(sf: Salesforce, fake: SalesforceFake) -> None:
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Case"}, "Subject": "one", "Casehub_Id__c": "CH-1"},
        {"attributes": {"type": "Case"}, "Subject": "two", "Status": "Sleeping"},
        {"attributes": {"type": "Contact"}, "LastName": "Three"},
    ]})  # fmt: skip
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"] == [{"statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                     "message": "Status: bad value for restricted picklist field: Sleeping",
                                     "fields": ["Status"]}]  # fmt: skip
    assert [c["Subject"] for c in fake.records("Case")] == ["one"]

    updated = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Case"}, "id": results[0]["id"], "Status": "Working"}]})  # fmt: skip
    assert updated == [{"id": results[0]["id"], "success": True, "errors": []}]

    upserted = sf.restful("composite/sobjects/Case/Casehub_Id__c", method="PATCH", json={"records": [
        {"attributes": {"type": "Case"}, "Casehub_Id__c": "CH-1", "Subject": "one again"},
        {"attributes": {"type": "Case"}, "Casehub_Id__c": "CH-2", "Subject": "two"},
        {"attributes": {"type": "Case"}, "Casehub_Id__c": "CH-3", "Subject": "x", "Priority": "Urgent"},
    ]})  # fmt: skip
    assert [(r["success"], r.get("created")) for r in upserted] == [(True, False), (True, True), (False, None)]
    assert upserted[0]["id"] == results[0]["id"]
    assert sorted((c["Casehub_Id__c"], c["Subject"], c["Status"]) for c in fake.records("Case")) == [
        ("CH-1", "one again", "Working"), ("CH-2", "two", "New")]  # fmt: skip
    usage_before = fake.api_usage[0]
    accounts = [{"attributes": {"type": "Account"}, "Name": f"A{i}"} for i in range(3)]
    sf.restful("composite/sobjects", method="POST", json={"records": accounts})
    assert fake.api_usage[0] == usage_before + 1  # a collections call counts once


def test_collections_all_or_none_and_limits(sf: Salesforce, fake: SalesforceFake) -> None:
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "Fine"},
        {"attributes": {"type": "Contact"}, "FirstName": "No last name"},
    ]})  # fmt: skip
    assert [r["success"] for r in results] == [False, False]
    assert [r["errors"][0]["statusCode"] for r in results] == ["ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                                               "REQUIRED_FIELD_MISSING"]  # fmt: skip
    assert fake.records("Contact") == []

    too_many = [{"attributes": {"type": "Contact"}, "LastName": f"n{i}"} for i in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="POST", json={"records": too_many})
    assert error_codes(exc) == ["EXCEEDED_ID_LIMIT"]
    ok = sf.restful("composite/sobjects", method="POST", json={"records": too_many[:200]})
    assert all(r["success"] for r in ok) and len(fake.records("Contact")) == 200

    dup = sf.restful("composite/sobjects/Case/Casehub_Id__c", method="PATCH", json={"records": [
        {"attributes": {"type": "Case"}, "Casehub_Id__c": "X", "Subject": "a"},
        {"attributes": {"type": "Case"}, "Casehub_Id__c": "x", "Subject": "b"}]})  # fmt: skip
    assert [r["errors"][0]["statusCode"] for r in dup] == ["DUPLICATE_EXTERNAL_ID"] * 2


# -- describe, limits, sessions -------------------------------------------------------------------------------


def test_describe(sf: Salesforce, fake: SalesforceFake) -> None:
    fake.add_field("Case", "Product__c", type="picklist", picklist=("Lamp", "Chair"), restricted=True)
    described = sf.Case.describe()
    assert (described["name"], described["keyPrefix"]) == ("Case", "500")
    fields = {f["name"]: f for f in described["fields"]}
    assert {"Id", "CaseNumber", "Subject", "Description", "Status", "Priority", "Origin", "Type", "Reason", "OwnerId",
            "ContactId", "AccountId", "SuppliedName", "SuppliedEmail", "SuppliedPhone", "SuppliedCompany",
            "IsEscalated", "IsClosed", "ClosedDate", "CreatedDate", "LastModifiedDate", "SystemModstamp",
            "LastModifiedById", "Casehub_Id__c", "Product__c"} <= set(fields)  # fmt: skip
    status = fields["Status"]
    assert status["type"] == "picklist" and status["restrictedPicklist"] is True
    assert [(p["value"], p["active"], p["defaultValue"]) for p in status["picklistValues"]] == [
        ("New", True, True), ("Working", True, False), ("Escalated", True, False), ("Closed", True, False)]  # fmt: skip
    ext = fields["Casehub_Id__c"]
    assert (ext["externalId"], ext["unique"], ext["type"], ext["createable"]) == (True, True, "string", True)
    assert (fields["IsClosed"]["createable"], fields["IsClosed"]["updateable"]) == (False, False)
    assert (fields["SystemModstamp"]["createable"], fields["SystemModstamp"]["updateable"]) == (False, False)
    assert fields["ContactId"]["referenceTo"] == ["Contact"] and fields["ContactId"]["relationshipName"] == "Contact"
    assert {f["name"]: f["nillable"] for f in sf.Contact.describe()["fields"]}["LastName"] is False
    assert sf.Case.create({"Product__c": "Lamp"})["success"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.Case.create({"Product__c": "Sofa"})


def test_limit_info_header_and_daily_limit(sf: Salesforce, fake: SalesforceFake) -> None:
    fake.set_api_limit(5, used=2)
    sf.query("SELECT Id FROM Case")
    assert sf.api_usage["api-usage"] == Usage(used=3, total=5)
    assert sf.limits()["DailyApiRequests"] == {"Max": 5, "Remaining": 1}
    assert fake.requests[-1].status == 200
    sf.query("SELECT Id FROM Case")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.query("SELECT Id FROM Case")
    assert exc.value.status == 403 and error_codes(exc) == ["REQUEST_LIMIT_EXCEEDED"]
    assert fake.api_usage == (5, 5)


def test_expired_session(fake: SalesforceFake, session: requests.Session) -> None:
    old = fake.token
    sf = Salesforce(instance_url=fake.url, session_id=old, session=session)
    sf.query("SELECT Id FROM Case")
    fake.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Case")
    assert exc.value.status == 401
    assert exc.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID",
                                  "fields": []}]  # fmt: skip
    assert fake.token != old
    assert Salesforce(instance_url=fake.url, session_id=fake.token, session=session).query("SELECT Id FROM Case")
    with pytest.raises(SalesforceExpiredSession):
        Salesforce(instance_url=fake.url, session_id="made-up", session=session).query("SELECT Id FROM Case")


def test_fail_next_scripts_errors(sf: Salesforce, fake: SalesforceFake) -> None:
    fake.fail_next(2, 503, "SERVER_UNAVAILABLE", "Down for maintenance", retry_after=7)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as exc:
            sf.query("SELECT Id FROM Case")
        assert exc.value.status == 503 and error_codes(exc) == ["SERVER_UNAVAILABLE"]
    assert fake.requests[-1].status == 503
    assert sf.query("SELECT Id FROM Case")["totalSize"] == 0


def test_auto_assign_header(sf: Salesforce, fake: SalesforceFake) -> None:
    queued = sf.Case.create({"Subject": "default rule", "OwnerId": fake.agent_user_id})["id"]
    assert fake.get("Case", queued)["OwnerId"] == fake.default_queue_id  # type: ignore[index]
    kept = sf.Case.create({"Subject": "keep", "OwnerId": fake.agent_user_id},
                          headers={"Sforce-Auto-Assign": "FALSE"})["id"]  # fmt: skip
    assert fake.get("Case", kept)["OwnerId"] == fake.agent_user_id  # type: ignore[index]
    mine = sf.Case.create({"Subject": "mine"}, headers={"Sforce-Auto-Assign": "false"})["id"]
    assert fake.get("Case", mine)["OwnerId"] == fake.api_user_id  # type: ignore[index]
    assert [r.header("sforce-auto-assign") for r in fake.requests] == [None, "FALSE", "false"]

    sf.Case.upsert("Casehub_Id__c/CH-9", {"Subject": "via upsert"}, headers={"Sforce-Auto-Assign": "TRUE"})
    assert fake.records("Case")[-1]["OwnerId"] == fake.default_queue_id
    # Salesforce runs the assignment rule on updates too unless told not to:
    sf.Case.update(kept, {"Priority": "Low"}, headers={"Sforce-Auto-Assign": "FALSE"})
    assert fake.get("Case", kept)["OwnerId"] == fake.agent_user_id  # type: ignore[index]
    sf.Case.update(kept, {"Priority": "High"})
    assert fake.get("Case", kept)["OwnerId"] == fake.default_queue_id  # type: ignore[index]


# -- OAuth ----------------------------------------------------------------------------------------------------


def test_password_and_client_credentials_flows(fake: SalesforceFake, session: requests.Session) -> None:
    fake.add_client("app", "app-secret")
    fake.add_user("ann@example.com", "pw", "TOKEN")
    token_url = fake.url + "/services/oauth2/token"
    granted = session.post(token_url, data={"grant_type": "password", "client_id": "app", "client_secret": "app-secret",
                                            "username": "ann@example.com", "password": "pwTOKEN"})  # fmt: skip
    assert granted.status_code == 200
    body = granted.json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
    assert (body["instance_url"], body["token_type"]) == (fake.url, "Bearer")
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=session)
    case_id = sf.Case.create({"Subject": "as Ann"}, headers={"Sforce-Auto-Assign": "FALSE"})["id"]
    ann = sf.query("SELECT Id FROM User WHERE Username = 'ann@example.com'")["records"][0]["Id"]
    assert fake.get("Case", case_id)["CreatedById"] == ann  # type: ignore[index]

    wrong = session.post(token_url, data={"grant_type": "password", "client_id": "app", "client_secret": "app-secret",
                                          "username": "ann@example.com", "password": "pw"})  # fmt: skip
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "authentication failure"}

    basic = base64.b64encode(b"app:app-secret").decode()  # how simple-salesforce sends client credentials
    by_header = session.post(token_url, data={"grant_type": "client_credentials"},
                             headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    by_form = session.post(token_url, data={"grant_type": "client_credentials", "client_id": "app",
                                            "client_secret": "app-secret"})  # fmt: skip
    assert by_header.status_code == by_form.status_code == 200
    assert session.post(token_url, data={"grant_type": "client_credentials", "client_id": "app",
                                         "client_secret": "nope"}).status_code == 400  # fmt: skip
    assert fake.requests[0].body["grant_type"] == "password"


def test_jwt_bearer_flow(fake: SalesforceFake, session: requests.Session) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    fake.register_jwt_key("consumer-key", public_pem)
    token_url = fake.url + "/services/oauth2/token"

    def assertion(signing_key: Any = key, **claims: Any) -> dict[str, str]:
        expiry = datetime.now(timezone.utc) + timedelta(minutes=3)
        payload = {"iss": "consumer-key", "sub": fake.api_username, "aud": "https://login.salesforce.com",
                   "exp": f"{expiry.timestamp():.0f}", **claims}  # the exp simple-salesforce sends is a string
        return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": jwt.encode(payload, signing_key, algorithm="RS256")}  # fmt: skip

    granted = session.post(token_url, data=assertion())
    assert granted.status_code == 200, granted.text
    sf = Salesforce(instance_url=fake.url, session_id=granted.json()["access_token"], session=session)
    assert sf.query("SELECT Id FROM Case")["totalSize"] == 0

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    hs256 = jwt.encode({"iss": "consumer-key", "sub": fake.api_username}, "k" * 32, algorithm="HS256")
    refused = [assertion(other_key), assertion(exp=int(time.time()) - 10), assertion(sub="nobody@example.com"),
               assertion(aud=""), {**assertion(), "assertion": hs256}]  # fmt: skip
    for data in refused:
        answer = session.post(token_url, data=data)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text


# -- TLS ------------------------------------------------------------------------------------------------------


def test_tls_only(fake: SalesforceFake, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = fake.url.replace("https://", "http://") + "/services/data"
    with pytest.raises(requests.ConnectionError):
        requests.get(plain, timeout=5)
    with pytest.raises(requests.exceptions.SSLError):  # the fake's CA is not a public one
        requests.get(fake.url + "/services/data", timeout=5)
    assert requests.get(fake.url + "/services/data", timeout=5, verify=fake.ca_path).status_code == 200

    # The trap: REQUESTS_CA_BUNDLE beats a session's verify (not a per-request verify=).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with requests.Session() as s:
        s.verify = fake.ca_path
        with pytest.raises(requests.exceptions.SSLError):
            s.get(fake.url + "/services/data", timeout=5)
        s.trust_env = False
        assert s.get(fake.url + "/services/data", timeout=5).status_code == 200


def test_concurrent_writes(fake: SalesforceFake) -> None:
    def create(n: int) -> None:
        with requests.Session() as s:
            s.verify = fake.ca_path
            sf = Salesforce(instance_url=fake.url, session_id=fake.token, session=s)
            for i in range(10):
                sf.Case.create({"Subject": f"{n}-{i}"})

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = [c["CaseNumber"] for c in fake.records("Case")]
    assert sorted(numbers) == [f"{n:08d}" for n in range(1001, 1041)]


def test_standalone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    proc = subprocess.Popen([sys.executable, "-m", "casehub.fakes.salesforce"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = dict(line.split(":", 1) for line in (proc.stdout.readline() for _ in range(3)))
        url, ca, token = (lines[k].strip() for k in ("url", "ca file", "token"))
        with requests.Session() as s:
            s.verify = ca
            assert Salesforce(instance_url=url, session_id=token, session=s).Case.create({"Subject": "demo"})["success"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


# -- the SOQL parser on its own -------------------------------------------------------------------------------


def test_soql_tokens_and_escapes() -> None:
    strings = [t.value for t in tokenize(r"'a\'b' 'c\\d' 'e\"f' 'tab\there' 'nl\Nx' '50\%'") if t.kind == "STRING"]
    assert strings == ["a'b", "c\\d", 'e"f', "tab\there", "nl\nx", "50\\%"]
    kinds = [t.kind for t in tokenize("x >= 2026-11-25T10:00:00.000+0000 AND y = 2026-11-25 AND z = -1.5")]
    assert kinds == ["NAME", "OP", "DATETIME", "NAME", "NAME", "OP", "DATE", "NAME", "NAME", "OP", "NUMBER", "EOF"]
    for bad in (r"'\q'", "'open", "2026-11-25T10:00:00", "#"):
        with pytest.raises(SoqlError) as exc:
            tokenize(bad)
        assert exc.value.error_code == "MALFORMED_QUERY"


def test_soql_like_escapes(sf: Salesforce, fake: SalesforceFake) -> None:
    fake.insert("Case", Subject="50% off")
    fake.insert("Case", Subject="500 off")

    def subjects(pattern: str) -> list[str]:
        soql = f"SELECT Subject FROM Case WHERE Subject LIKE '{pattern}' ORDER BY Subject"
        return [r["Subject"] for r in sf.query(soql)["records"]]

    assert subjects(r"50\%%") == ["50% off"]  # \% is a literal percent sign inside LIKE
    assert subjects("50_ off") == ["50% off", "500 off"]
