"""Salesforce → casehub: what agents change in Salesforce flows back, by SOQL polling on ``SystemModstamp``.

Polling, not Streaming/CDC: it needs no extra licence or org setup and
survives any outage, since the watermark says exactly where to go on.

**No gap.** A record's ``SystemModstamp`` is set when its transaction starts
writing, so a long transaction can commit a stamp older than one already
seen. Each poll therefore looks back ``OVERLAP`` before the watermark; the
records seen in that window are remembered (id → stamp) in the watermark so
**nothing is applied twice**. Applying is idempotent anyway for fields (a value
casehub already has is no change); comments rely on the memory.

**No echo.** Records last changed by casehub's own integration user are
skipped, and a pulled value that casehub's value already maps to is no change.
Changes are applied through the case service as actor ``salesforce``, so they
fire events and rules like any other change but are not pushed back.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from simple_salesforce import format_soql
from sqlalchemy import select

from casehub.errors import CaseNotFound, InvalidTransition, VersionConflict
from casehub.model import Case, CaseChanges, CommentDraft
from casehub.plugins.salesforce.client import SalesforceClient
from casehub.plugins.salesforce.mapping import pulled_changes, sf_fields_to_read
from casehub.plugins.salesforce.push import ACTOR, DESTINATION
from casehub.store.cases import row_to_case
from casehub.store.tables import cases, outbox

__all__ = ["OVERLAP", "poll"]

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=5)
_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"


def _stamp(text: str) -> datetime:
    return datetime.strptime(text.replace("Z", "+0000"), _FORMAT)


def _soql_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class Mark:
    """Where one object's poll stands: the newest stamp applied, and what was seen in the overlap before it."""

    def __init__(self, since: datetime | None, seen: dict[str, str]) -> None:
        self.since = since
        self.seen = seen

    def dump(self) -> dict[str, Any]:
        return {"since": self.since.isoformat() if self.since else None, "seen": self.seen}

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Mark:
        data = data or {}
        since = data.get("since")
        return cls(datetime.fromisoformat(since) if since else None, dict(data.get("seen") or {}))

    def fresh(self, record: dict[str, Any]) -> bool:
        return self.seen.get(record["Id"]) != record["SystemModstamp"]

    def saw(self, record: dict[str, Any]) -> None:
        stamp = _stamp(record["SystemModstamp"])
        self.seen[record["Id"]] = record["SystemModstamp"]
        if self.since is None or stamp > self.since:
            self.since = stamp

    def prune(self) -> None:
        if self.since is not None:
            floor = self.since - OVERLAP
            self.seen = {k: v for k, v in self.seen.items() if _stamp(v) >= floor}


def _latest(client: SalesforceClient, sobject: str) -> datetime | None:
    query = f"SELECT SystemModstamp FROM {sobject} ORDER BY SystemModstamp DESC LIMIT 1"
    records = client.call(lambda sf: sf.query(query))["records"]
    return _stamp(records[0]["SystemModstamp"]) if records else None


def _changed(client: SalesforceClient, sobject: str, fields: list[str], mark: Mark) -> list[dict[str, Any]]:
    assert mark.since is not None
    start = _soql_time(mark.since - OVERLAP)
    query = f"SELECT {', '.join(fields)} FROM {sobject} WHERE SystemModstamp >= {start} ORDER BY SystemModstamp, Id"
    records = client.call(lambda sf: sf.query_all(query))["records"]  # follows nextRecordsUrl
    return [r for r in records if mark.fresh(r)]


def poll(hub: Any, client: SalesforceClient, watermark: str | None) -> str:
    """One poll: apply what changed in Salesforce since ``watermark``; returns the new one."""
    state = json.loads(watermark) if watermark else {}
    cases_mark, comments_mark = Mark.load(state.get("Case")), Mark.load(state.get("CaseComment"))
    # The first poll starts from now (`casehub salesforce import` brings the past): what it finds is only noted.
    first = cases_mark.since is None
    if first:
        cases_mark.since = _latest(client, "Case") or hub.clock()
        comments_mark.since = _latest(client, "CaseComment") or hub.clock()
    settings = client.settings
    me = client.integration_user()
    records = _changed(client, "Case", sf_fields_to_read(settings), cases_mark)
    field = settings.external_id_field
    theirs = [r for r in records if r.get("LastModifiedById") != me and r.get(field)] if not first else []
    known = _known(hub, [r[field] for r in theirs])
    for record in theirs:
        _apply_case(hub, record, settings, *known.get(record[field], (None, False)))
    for record in records:
        cases_mark.saw(record)
    comment_fields = ["Id", "ParentId", "CommentBody", "IsPublished", "CreatedById", "SystemModstamp"]
    comments = _changed(client, "CaseComment", comment_fields, comments_mark)
    theirs = [c for c in comments if c.get("CreatedById") != me] if not first else []
    parents = _casehub_ids(client, sorted({c["ParentId"] for c in theirs}))
    for comment in theirs:
        if comment["ParentId"] in parents:
            _apply_comment(hub, parents[comment["ParentId"]], comment)
    for comment in comments:
        comments_mark.saw(comment)
    cases_mark.prune()
    comments_mark.prune()
    return json.dumps({"Case": cases_mark.dump(), "CaseComment": comments_mark.dump()}, sort_keys=True)


def _casehub_ids(client: SalesforceClient, parent_ids: list[str]) -> dict[str, str]:
    """casehub case id by Salesforce Case Id, for cases casehub knows (they carry its external id)."""
    found: dict[str, str] = {}
    field = client.settings.external_id_field
    for start in range(0, len(parent_ids), 200):
        query = format_soql(f"SELECT Id, {field} FROM Case WHERE Id IN {{}}", parent_ids[start : start + 200])
        for record in client.call(lambda sf, q=query: sf.query_all(q))["records"]:
            if record.get(field):
                found[record["Id"]] = record[field]
    return found


def _known(hub: Any, case_ids: list[str]) -> dict[str, tuple[Case, bool]]:
    """The casehub cases named, each with whether a push of it to Salesforce is still waiting; two queries per 500."""
    found: dict[str, tuple[Case, bool]] = {}
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        with hub.engine.connect() as conn:
            rows = conn.execute(select(cases).where(cases.c.id.in_(chunk)))
            loaded = [row_to_case(r) for r in rows]
            waiting = set(
                conn.execute(
                    select(outbox.c.case_id).where(
                        outbox.c.case_id.in_(chunk),
                        outbox.c.destination == DESTINATION,
                        outbox.c.status.in_(("pending", "in_flight", "failed")),
                    )
                ).scalars()
            )
        found |= {case.id: (case, case.id in waiting) for case in loaded}
    return found


def _apply_case(hub: Any, record: dict[str, Any], settings: Any, case: Case | None, pending: bool) -> None:
    if case is None:
        missing = record[settings.external_id_field]
        log.warning("Salesforce Case %s names casehub case %s, which does not exist", record["Id"], missing)
        return
    # Where casehub wins, a change made in casehub and not yet pushed stands.
    keep = {n for n, m in settings.fields.items() if m.wins == "casehub"} if pending else set()
    for _ in range(3):  # a concurrent change in casehub: read again and re-apply
        changes = pulled_changes(case, record, settings, keep=keep)
        if not changes:
            return
        try:
            hub.service.update(case.id, CaseChanges(version=case.version, **changes), actor=ACTOR)
            return
        except VersionConflict:
            case = hub.service.get(case.id)
        except InvalidTransition as exc:  # e.g. a Salesforce status the case cannot move to from where it is
            log.warning("case %s: Salesforce's status %r not applied: %s", case.number, record.get("Status"), exc)
            changes.pop("status")
            if changes:
                hub.service.update(case.id, CaseChanges(version=case.version, **changes), actor=ACTOR)
            return


def _apply_comment(hub: Any, case_id: str, comment: dict[str, Any]) -> None:
    body = comment.get("CommentBody") or ""
    if not body.strip():
        return
    draft = CommentDraft(body=body, public=bool(comment.get("IsPublished")), author=f"salesforce:{comment.get('CreatedById')}")
    try:
        hub.service.comment(case_id, draft, actor=ACTOR)
    except CaseNotFound:
        log.warning("Salesforce CaseComment %s belongs to casehub case %s, which does not exist", comment["Id"], case_id)
