"""Bringing an org's existing cases into casehub, and back-filling casehub's cases into the org.

Both work in chunks of 200 (one sObject Collections request each) and can be
stopped at any moment and started again:

* **import** asks only for Cases whose external-id field is empty and fills
  it in after each chunk, so a second run goes on where the first stopped.
  The one chunk an interruption can leave half done (cases created in
  casehub, ids not yet written back) is recognised by its links and not
  imported twice.
* **push --all** upserts by the external id (or updates by the linked Id),
  so running it again only costs requests; ``start_after`` skips what is done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from simple_salesforce import format_soql
from sqlalchemy import String, cast, func, or_, select

from casehub.errors import InvalidTransition
from casehub.model import Case, CaseChanges, CaseDraft, Channel, ExternalLink, Priority, Status
from casehub.plugins.salesforce.client import SalesforceClient
from casehub.plugins.salesforce.mapping import ALL
from casehub.plugins.salesforce.push import ACTOR, COLLECTION_SIZE, DESTINATION, case_url, linked_id, upsert_cases
from casehub.store.cases import format_number, row_to_case
from casehub.store.tables import cases

__all__ = ["IMPORT_ACTOR", "Report", "count_cases", "count_to_import", "import_cases", "push_all"]

IMPORT_ACTOR = f"{ACTOR}:import"
_FIELDS = [
    "Id", "CaseNumber", "Subject", "Description", "Status", "Priority", "Origin", "IsEscalated",
    "SuppliedName", "SuppliedEmail", "SuppliedPhone", "SuppliedCompany", "CreatedDate",
]  # fmt: skip


@dataclass
class Report:
    done: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # "what: why", one per record
    last: str | None = None  # where a new run would go on (push: the last case number done)


def _where(client: SalesforceClient, since: datetime | None) -> str:
    clause = f"{client.settings.external_id_field} = null"
    if since is not None:
        clause += " AND " + format_soql("CreatedDate >= {}", since)
    return clause


def count_to_import(client: SalesforceClient, since: datetime | None = None) -> int:
    query = f"SELECT COUNT() FROM Case WHERE {_where(client, since)}"
    return int(client.call(lambda sf: sf.query(query))["totalSize"])


def _pages(client: SalesforceClient, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
    query = f"SELECT {', '.join(_FIELDS)} FROM Case WHERE {_where(client, since)} ORDER BY CreatedDate, Id"
    chunk: list[dict[str, Any]] = []
    for record in client.call(lambda sf: sf.query_all_iter(query)):
        chunk.append(record)
        if len(chunk) == COLLECTION_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _already_imported(engine: Any, sf_ids: list[str]) -> dict[str, Case]:
    """casehub cases already linked to these Salesforce Ids (an import that stopped before writing back)."""
    links = cast(cases.c.external_links, String)
    query = select(cases).where(or_(*(links.like(f'%"{sf_id}"%') for sf_id in sf_ids)))
    with engine.connect() as conn:
        found = [row_to_case(r) for r in conn.execute(query)]
    return {sf_id: case for case in found if (sf_id := linked_id(case)) in sf_ids}


def _back(mapping: dict[Any, str], value: Any, default: Any) -> Any:
    return next((ours for ours, theirs in mapping.items() if theirs == value), default)


def _draft(record: dict[str, Any], client: SalesforceClient) -> CaseDraft:
    s = client.settings
    contact = {"email": record.get("SuppliedEmail"), "name": record.get("SuppliedName"), "phone": record.get("SuppliedPhone")}
    link = ExternalLink(system=DESTINATION, id=record["Id"], url=case_url(client, record["Id"]))
    return CaseDraft.model_validate(
        {
            "subject": (record.get("Subject") or "").strip() or f"Salesforce case {record.get('CaseNumber')}",
            "description": record.get("Description") or "",
            "priority": _back(s.priority_map, record.get("Priority"), Priority.NORMAL),
            "channel": _back(s.origin_map, record.get("Origin"), Channel.OTHER),
            "contact": {k: v for k, v in contact.items() if v},
            "account": {"name": record["SuppliedCompany"]} if record.get("SuppliedCompany") else None,
            "external_links": [link.model_dump()],
        }
    )


def import_cases(
    hub: Any, client: SalesforceClient, since: datetime | None = None, progress: Callable[[int], None] = lambda n: None
) -> Report:
    """Create a casehub case for each Case not yet in casehub; ``progress(n)`` after each chunk of ``n``."""
    report = Report()
    first = True
    for chunk in _pages(client, since):
        done: dict[str, Case] = _already_imported(hub.engine, [r["Id"] for r in chunk]) if first else {}
        first = False
        for record in chunk:
            if record["Id"] in done:
                continue
            try:
                draft = _draft(record, client)
            except ValidationError as exc:
                problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                report.failed.append(f"Case {record.get('CaseNumber')} ({record['Id']}): {problem}")
                continue
            case = hub.service.create(draft, actor=IMPORT_ACTOR, rules=False)  # no acknowledgement for old cases
            done[record["Id"]] = _settle_state(hub, case, record, client)
            report.done += 1
        _write_back(client, done, report)
        progress(len(chunk))
    return report


def _settle_state(hub: Any, case: Case, record: dict[str, Any], client: SalesforceClient) -> Case:
    """Status and escalation as Salesforce has them (a case starts new)."""
    status = _back(client.settings.status_map, record.get("Status"), Status.NEW)
    changes: dict[str, Any] = {}
    if status != Status.NEW:
        changes["status"] = status
    if record.get("IsEscalated"):
        changes["is_escalated"] = True
    if not changes:
        return case
    try:
        return hub.service.update(case.id, CaseChanges(version=case.version, **changes), actor=IMPORT_ACTOR, rules=False)
    except InvalidTransition:  # not reachable from new today; kept so a stricter status machine cannot stop an import
        return case


def _write_back(client: SalesforceClient, done: dict[str, Case], report: Report) -> None:
    if not done:
        return
    field_name = client.settings.external_id_field
    records = [{"attributes": {"type": "Case"}, "id": sf_id, field_name: case.id} for sf_id, case in done.items()]
    body = {"allOrNone": False, "records": records}
    headers = {"Sforce-Auto-Assign": "FALSE"}
    answers = client.call(lambda sf: sf.restful("composite/sobjects", method="PATCH", json=body, headers=headers))
    for (sf_id, case), answer in zip(done.items(), answers, strict=True):
        if not answer.get("success"):
            errors = answer.get("errors") or [{}]
            report.failed.append(f"{case.number} ← {sf_id}: could not store its casehub id: {errors[0].get('message')}")


def push_all(
    hub: Any,
    client: SalesforceClient,
    start_after: int = 0,
    progress: Callable[[int], None] = lambda n: None,
    report: Report | None = None,
) -> Report:
    """Upsert every casehub case (in number order, after number ``start_after``) and link it.

    ``report`` is filled as it goes, so a caller stopped half way knows the last case done.
    """
    report = report if report is not None else Report()
    after = start_after
    while True:
        with hub.engine.connect() as conn:
            rows = conn.execute(select(cases).where(cases.c.seq > after).order_by(cases.c.seq).limit(COLLECTION_SIZE))
            page = [(row.seq, row_to_case(row)) for row in rows]
        if not page:
            return report
        results = upsert_cases(client, [(case, ALL) for _, case in page])
        for (_, case), result in zip(page, results, strict=True):
            if not result.ok:
                report.failed.append(f"{case.number}: {result.error}")
            elif result.remote_id and linked_id(case) != result.remote_id:
                _link(hub, case, result.remote_id, result.remote_url)
                report.done += 1
            else:
                report.done += 1
        after = page[-1][0]
        report.last = format_number(after)
        progress(len(page))


def count_cases(hub: Any, start_after: int = 0) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(cases).where(cases.c.seq > start_after)).scalar_one()


def _link(hub: Any, case: Case, sf_id: str, url: str | None) -> None:
    links = [link for link in case.external_links if link.system != DESTINATION]
    links.append(ExternalLink(system=DESTINATION, id=sf_id, url=url))
    hub.service.update(case.id, CaseChanges(version=case.version, external_links=links), actor=ACTOR)
