"""casehub → Salesforce: cases upserted by their external id, comments added as CaseComments.

Pushes go through the outbox, so a change is pushed if and only if it was
stored, with retries, in order per case. The delivery engine hands over up to
200 at once (one sObject Collections request); each record's own error
becomes that delivery's outcome. The record is built from the case as it is
when the push runs, so a late retry cannot overwrite a newer value.

Upserting by ``Casehub_Id__c`` (the case's id) makes every retry of a
create safe: a request that reached Salesforce but whose answer was lost
updates the same Case the second time. CaseComment has no external id, so a
comment whose answer was lost may be added twice (documented).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from simple_salesforce import format_soql
from sqlalchemy import select

from casehub.model import Case, Event, Priority
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.plugins.salesforce.client import LoginFailed, SalesforceClient
from casehub.plugins.salesforce.mapping import ALL, record_for
from casehub.store.cases import row_to_case
from casehub.store.tables import cases

__all__ = ["ACTOR", "COLLECTION_SIZE", "DESTINATION", "deliver", "linked_id", "plan", "upsert_cases"]

DESTINATION = "salesforce"
ACTOR = "salesforce"  # changes pulled from Salesforce; never pushed back
COLLECTION_SIZE = 200  # sObject Collections take at most 200 records per request
BATCH = 2000  # deliveries per call: ten collections, their senders looked up in one composite batch
BATCH_SUBREQUESTS = 25  # a composite batch takes at most 25 subrequests
COMMENT_LIMIT = 4000  # CaseComment.CommentBody

_PUSHED = {
    "subject", "description", "status", "priority", "channel", "is_escalated", "contact", "account",
    "custom_fields", "type", "tags", "queue", "owner",
}  # fmt: skip
# Record errors worth another try: the row was busy, or the org was.
_RETRYABLE = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "UNKNOWN_EXCEPTION"}


def plan(event: Event, case: Case) -> list[Delivery]:
    """The pushes an event causes; none for what Salesforce itself changed (it would echo)."""
    if event.actor == ACTOR or event.actor.startswith(f"{ACTOR}:"):  # pulled or imported: Salesforce has it
        return []
    if event.type == "case.created":
        return [Delivery(DESTINATION, "upsert_case", payload={"fields": ALL})]
    if event.type == "case.updated":
        changed = sorted(set(event.data.get("changes", {})) & _PUSHED)
        return [Delivery(DESTINATION, "upsert_case", payload={"fields": changed})] if changed else []
    if event.type == "comment.added":
        data = event.data
        return [Delivery(DESTINATION, "add_comment", payload={"body": data["body"], "public": data["public"]})]
    return []


def case_url(client: SalesforceClient, record_id: str) -> str:
    return f"{str(client.settings.instance_url).rstrip('/')}/lightning/r/Case/{record_id}/view"


def deliver(items: list[OutboxItem], client: SalesforceClient, engine: Any) -> list[DeliveryResult]:
    """Push a batch; one result per item, in order."""
    settings = client.settings
    with engine.connect() as conn:
        rows = conn.execute(select(cases).where(cases.c.id.in_({i.case_id for i in items})))
        current = {c.id: c for c in map(row_to_case, rows)}
    results: dict[int, DeliveryResult] = {}
    try:
        slowed = _slowed(client, items, current)
        results |= slowed
        todo = [i for i in items if i.id not in slowed]
        upserts = [i for i in todo if i.action == "upsert_case"]
        comments = [i for i in todo if i.action == "add_comment"]
        # The senders of every new case in the call are looked up at once (a composite batch), not per collection.
        new = [current[i.case_id] for i in upserts if i.case_id in current and i.payload.get("fields") == ALL]
        contacts = _contacts(client, [c for c in new if linked_id(c) is None]) if settings.match_contacts else {}
        for start in range(0, len(upserts), COLLECTION_SIZE):
            results |= _upsert(client, upserts[start : start + COLLECTION_SIZE], current, contacts)
        for start in range(0, len(comments), COLLECTION_SIZE):
            results |= _comment(client, comments[start : start + COLLECTION_SIZE], current)
    except LoginFailed as exc:  # retrying a refused login only locks the user out
        error = DeliveryResult(ok=False, permanent=True, error=str(exc))
        return [results.get(i.id, error) for i in items]
    unknown = DeliveryResult(ok=False, permanent=True, error="unknown Salesforce action")
    return [results.get(i.id, unknown) for i in items]


def _slowed(client: SalesforceClient, items: list[OutboxItem], current: dict[str, Case]) -> dict[int, DeliveryResult]:
    """Non-urgent pushes wait while the org's API usage is above the threshold."""
    percent = client.usage.percent
    settings = client.settings
    if percent is None or percent < settings.usage_threshold_percent:
        return {}
    error = (
        f"Salesforce API usage is at {percent:.0f}% of the org's daily limit "
        f"(threshold {settings.usage_threshold_percent}%): non-urgent sync waits"
    )
    urgent = (Priority.HIGH, Priority.URGENT)
    return {
        i.id: DeliveryResult(ok=False, error=error, retry_after=float(settings.slowed_delay_seconds), deferred=True)
        for i in items
        if i.case_id in current and current[i.case_id].priority not in urgent
    }


def _error(result: dict[str, Any]) -> DeliveryResult:
    errors = result.get("errors") or [{}]
    first = errors[0]
    code = first.get("statusCode") or first.get("errorCode") or "UNKNOWN"
    fields = f" (fields: {', '.join(first['fields'])})" if first.get("fields") else ""
    message = f"Salesforce {code}: {first.get('message', 'no message')}{fields}"
    return DeliveryResult(ok=False, error=message, permanent=code not in _RETRYABLE)


def _contacts(client: SalesforceClient, wanted: list[Case]) -> dict[str, dict[str, Any]]:
    """Contacts (Id, AccountId) by lower-cased email, for the senders of ``wanted``; created if configured."""
    emails = sorted({c.contact.email.lower() for c in wanted if c.contact.email})
    if not emails:
        return {}
    found: dict[str, dict[str, Any]] = {}
    queries = [format_soql("SELECT Id, AccountId, Email FROM Contact WHERE Email IN {}", c) for c in _chunks_for_url(emails)]
    for record in _query_many(client, queries):
        found.setdefault((record.get("Email") or "").lower(), record)
    missing = [c for c in wanted if c.contact.email and c.contact.email.lower() not in found]
    if client.settings.create_contacts and missing:
        found |= _create_contacts(client, missing)
    return found


def _query_many(client: SalesforceClient, queries: list[str]) -> list[dict[str, Any]]:
    """The records of several SOQL queries: one query alone, more in composite batches of 25 (one round trip each)."""
    if len(queries) == 1:
        return list(client.call(lambda sf: sf.query_all(queries[0]))["records"])
    records: list[dict[str, Any]] = []
    version = client.settings.api_version
    for start in range(0, len(queries), BATCH_SUBREQUESTS):
        chunk = queries[start : start + BATCH_SUBREQUESTS]
        body = {"batchRequests": [{"method": "GET", "url": f"v{version}/query?q={quote_plus(q)}"} for q in chunk]}
        answer = client.call(lambda sf, b=body: sf.restful("composite/batch", method="POST", json=b))
        for query, result in zip(chunk, answer["results"], strict=True):
            if result["statusCode"] >= 300:
                raise RuntimeError(f"Salesforce refused a Contact lookup ({result['statusCode']}): {result['result']}")
            page = result["result"]
            records.extend(page["records"])
            while not page.get("done", True) and page.get("nextRecordsUrl"):
                page = client.call(lambda sf, u=page["nextRecordsUrl"]: sf.query_more(u, identifier_is_url=True))
                records.extend(page["records"])
    return records


def _chunks_for_url(values: list[str], limit: int = 12_000) -> list[list[str]]:
    """``values`` in as few chunks as keep each query's URL under Salesforce's 16,384-byte limit."""
    chunks: list[list[str]] = [[]]
    size = 0
    for value in values:
        cost = len(quote_plus(format_soql("{},", value)))  # as it travels: quoted, escaped, URL-encoded
        if chunks[-1] and size + cost > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(value)
        size += cost
    return chunks


def _create_contacts(client: SalesforceClient, senders: list[Case]) -> dict[str, dict[str, Any]]:
    by_email: dict[str, Case] = {}
    for case in senders:
        by_email.setdefault(case.contact.email.lower(), case)  # type: ignore[union-attr]
    records = []
    for email, case in by_email.items():
        name = (case.contact.name or "").strip()
        first, _, last = name.rpartition(" ")
        records.append(
            {
                "attributes": {"type": "Contact"},
                "FirstName": first or None,
                "LastName": (last or email.split("@")[0])[:80],  # LastName is required
                "Email": email,
                "Phone": case.contact.phone,
            }
        )
    created: dict[str, dict[str, Any]] = {}
    for start in range(0, len(records), COLLECTION_SIZE):
        chunk = records[start : start + COLLECTION_SIZE]
        body = {"allOrNone": False, "records": chunk}
        results = client.call(lambda sf, b=body: sf.restful("composite/sobjects", method="POST", json=b))
        for record, result in zip(chunk, results, strict=True):
            if result.get("success"):
                created[record["Email"]] = {"Id": result["id"], "AccountId": None}
    return created


def _upsert(
    client: SalesforceClient, items: list[OutboxItem], current: dict[str, Case], contacts: dict[str, dict[str, Any]]
) -> dict[int, DeliveryResult]:
    results: dict[int, DeliveryResult] = {}
    sendable = []
    for item in items:
        case = current.get(item.case_id)
        if case is None:
            results[item.id] = DeliveryResult(ok=False, permanent=True, error="the case no longer exists")
        else:
            sendable.append((item, case))
    answers = upsert_cases(client, [(case, item.payload.get("fields", ALL)) for item, case in sendable], contacts)
    return results | {item.id: answer for (item, _), answer in zip(sendable, answers, strict=True)}


def linked_id(case: Case) -> str | None:
    """The Salesforce Case Id casehub linked this case to, if any."""
    return next((link.id for link in case.external_links if link.system == DESTINATION), None)


def upsert_cases(
    client: SalesforceClient, wanted: list[tuple[Case, Any]], contacts: dict[str, dict[str, Any]] | None = None
) -> list[DeliveryResult]:
    """Write up to 200 cases (each with the casehub fields to send, or ``ALL``); one result per case.

    A case already linked to a Salesforce Case is updated by that Id (which
    also writes the external id onto a Case that was imported or linked by
    hand); any other is upserted by the external id, so a retry never makes a
    second Case.
    """
    settings = client.settings
    if contacts is None:  # not looked up by the caller for a larger set
        new = [case for case, fields in wanted if fields == ALL and linked_id(case) is None]
        contacts = _contacts(client, new) if new and settings.match_contacts else {}
    records = []
    for case, fields in wanted:
        record = record_for(case, settings, fields)
        found = contacts.get((case.contact.email or "").lower()) if fields == ALL else None
        if found:
            record["ContactId"] = found["Id"]
            if found.get("AccountId"):
                record["AccountId"] = found["AccountId"]
        record = {"attributes": {"type": "Case"}, settings.external_id_field: case.id, **record}
        if (sf_id := linked_id(case)) is not None:
            record["id"] = sf_id
        records.append(record)
    headers = {"Sforce-Auto-Assign": "TRUE" if settings.auto_assign else "FALSE"}
    by_id = [n for n, r in enumerate(records) if "id" in r]
    by_key = [n for n, r in enumerate(records) if "id" not in r]
    answers: dict[int, dict[str, Any]] = {}
    for picked, path in ((by_id, "composite/sobjects"), (by_key, f"composite/sobjects/Case/{settings.external_id_field}")):
        if picked:
            body = {"allOrNone": False, "records": [records[n] for n in picked]}
            got = client.call(lambda sf, p=path, b=body: sf.restful(p, method="PATCH", json=b, headers=headers))
            answers |= dict(zip(picked, got, strict=True))
    results = []
    for n in range(len(records)):
        answer = answers[n]
        if answer.get("success"):
            results.append(DeliveryResult(remote_id=answer["id"], remote_url=case_url(client, answer["id"])))
        else:
            results.append(_error(answer))
    return results


def _comment(client: SalesforceClient, items: list[OutboxItem], current: dict[str, Case]) -> dict[int, DeliveryResult]:
    results: dict[int, DeliveryResult] = {}
    sendable = []
    for item in items:
        case = current.get(item.case_id)
        parent = linked_id(case) if case else None
        if parent is None:
            error = "the case is not in Salesforce yet (its push has not succeeded)"
            results[item.id] = DeliveryResult(ok=False, error=error)
            continue
        body = str(item.payload["body"])
        if len(body) > COMMENT_LIMIT:
            body = body[: COMMENT_LIMIT - 40] + f"\n[… shortened; full text on case {case.number}]"  # type: ignore[union-attr]
        record = {"attributes": {"type": "CaseComment"}, "ParentId": parent, "CommentBody": body,
                  "IsPublished": bool(item.payload.get("public"))}  # fmt: skip
        sendable.append((item, record))
    if sendable:
        payload = {"allOrNone": False, "records": [r for _, r in sendable]}
        answers = client.call(lambda sf: sf.restful("composite/sobjects", method="POST", json=payload))
        for (item, _), answer in zip(sendable, answers, strict=True):
            results[item.id] = DeliveryResult(remote_id=None) if answer.get("success") else _error(answer)
    return results
