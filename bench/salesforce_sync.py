"""Benchmark: pushing and pulling 10,000 cases to and from the fake Salesforce org, against the naive way.

casehub's way: new cases go through the outbox and the delivery worker, 200
per sObject Collections request, with one Contact lookup per 200; changes come
back in one SOQL poll that pages through them. The naive way, driven through
the same simple-salesforce client against the same fake in the same run: one
upsert (and one Contact lookup) per case, and one GET per case to see changes.

    python bench/salesforce_sync.py                 # 10,000 cases, SQLite
    python bench/salesforce_sync.py --cases 2000

Requests are counted by the fake; each figure is one run (the counts do not vary).
"""

from __future__ import annotations

import argparse
from collections import Counter
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table
from simple_salesforce import Salesforce, format_soql
from sqlalchemy import func, select

import casehub.plugins.salesforce as salesforce
from casehub.fakes.salesforce import SalesforceFake
from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.model import CaseDraft
from casehub.plugins.salesforce import pull
from casehub.plugins.salesforce.hooks import client_for
from casehub.store.tables import cases
from casehub.testing import settle_outbox


def _hub(fake: SalesforceFake, workdir: Path, match_contacts: bool) -> Any:
    host = PluginHost()
    host.register(salesforce, "salesforce")
    config = {
        "casehub": {"database_url": f"sqlite:///{workdir / f'sync-{match_contacts}.db'}"},
        "outbox": {"claim_batch": 200, "poll_interval": 0.05},
        "salesforce": {"instance_url": fake.url, "access_token": fake.token, "ca_bundle": fake.ca_path,
                       "match_contacts": match_contacts},
    }  # fmt: skip
    return build_hub(config, plugins=host)


def _drafts(n: int) -> list[CaseDraft]:
    return [
        CaseDraft.model_validate(
            {"subject": f"Lamp {i} flickers", "channel": "web", "contact": {"email": f"p{i}@example.com", "name": f"P {i}"}}
        )
        for i in range(n)
    ]


def casehub_push(fake: SalesforceFake, workdir: Path, n: int, match_contacts: bool) -> tuple[int, float, Any]:
    hub = _hub(fake, workdir, match_contacts)
    hub.start()
    for draft in _drafts(n):
        hub.service.create(draft, actor="bench")
    before = fake.request_count
    start = time.perf_counter()
    hub.start_deliveries()
    rows = settle_outbox(hub, n, timeout=600)
    elapsed = time.perf_counter() - start
    assert all(r["status"] == "done" for r in rows), {r["last_error"] for r in rows if r["status"] != "done"}
    kinds = Counter(_kind(r) for r in fake.requests[before:])
    Console().log(f"requests by kind: {dict(kinds)}")
    return fake.request_count - before, elapsed, hub


def _kind(request: Any) -> str:
    if "oauth2" in request.path:
        return "auth"
    if "/query" in request.path:
        return "query " + request.query.get("q", ["next page"])[0].split(" FROM ")[-1].split()[0]
    return f"{request.method} {request.path.split('/v62.0/')[-1]}"


def naive_push(fake: SalesforceFake, n: int, match_contacts: bool) -> tuple[int, float]:
    session = requests.Session()
    session.verify = fake.ca_path
    sf = Salesforce(instance_url=fake.url, session_id=fake.token, session=session, version="62.0")
    before = fake.request_count
    start = time.perf_counter()
    for i, draft in enumerate(_drafts(n)):
        record = {"Subject": draft.subject, "Origin": "Web", "Status": "New", "Priority": "Medium",
                  "SuppliedEmail": draft.contact.email, "SuppliedName": draft.contact.name}  # fmt: skip
        if match_contacts:
            found = sf.query(format_soql("SELECT Id, AccountId FROM Contact WHERE Email = {}", draft.contact.email))
            if found["records"]:
                record["ContactId"] = found["records"][0]["Id"]
        sf.Case.upsert(f"Casehub_Id__c/naive-{i}", record, headers={"Sforce-Auto-Assign": "FALSE"})
    return fake.request_count - before, time.perf_counter() - start


def casehub_pull(fake: SalesforceFake, hub: Any, n: int) -> tuple[int, float, int]:
    client = client_for(hub)
    mark = pull.poll(hub, client, None)
    for record in fake.records("Case")[:n]:
        fake.agent_edit("Case", record["Id"], Priority="High")
    before = fake.request_count
    start = time.perf_counter()
    pull.poll(hub, client, mark)
    elapsed = time.perf_counter() - start
    with hub.engine.connect() as conn:
        changed = conn.execute(select(func.count()).select_from(cases).where(cases.c.priority == "high")).scalar_one()
    assert changed == n, f"only {changed} of {n} changes arrived"
    return fake.request_count - before, elapsed, changed


def naive_pull(fake: SalesforceFake, hub: Any, ids: list[str]) -> tuple[int, float]:
    """One GET per case, each applied the way casehub applies a pulled change."""
    for record_id in ids:
        fake.agent_edit("Case", record_id, Priority="Low")
    settings = client_for(hub).settings
    session = requests.Session()
    session.verify = fake.ca_path
    sf = Salesforce(instance_url=fake.url, session_id=fake.token, session=session, version="62.0")
    before = fake.request_count
    start = time.perf_counter()
    for record_id in ids:
        record = sf.Case.get(record_id)
        case_id = record[settings.external_id_field]
        pull._apply_case(hub, record, settings, hub.service.get(case_id), False)
    return fake.request_count - before, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    console = Console()
    table = Table("what", "way", "requests", "seconds", "cases/s", title=f"Salesforce sync, {args.cases:,} cases")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for match in (True, False):  # each way against an org of its own, empty at the start
            label = "push, contacts matched" if match else "push, no contact matching"
            with SalesforceFake(api_limit=10_000_000) as fake:
                count, seconds, hub = casehub_push(fake, workdir, args.cases, match)
                console.log(f"casehub {label}: {count} requests in {seconds:.1f} s")
                if match:
                    pull_count, pull_seconds, _ = casehub_pull(fake, hub, args.cases)
                    ids = [r["Id"] for r in fake.records("Case") if r.get("Priority") == "High"]
                    naive_pull_count, naive_pull_seconds = naive_pull(fake, hub, ids)
                hub.close()
            with SalesforceFake(api_limit=10_000_000) as fake:
                naive_count, naive_seconds = naive_push(fake, args.cases, match)
            console.log(f"naive {label}: {naive_count} requests in {naive_seconds:.1f} s")
            table.add_row(label, "casehub", f"{count:,}", f"{seconds:.1f}", f"{args.cases / seconds:,.0f}")
            table.add_row("", "naive", f"{naive_count:,}", f"{naive_seconds:.1f}", f"{args.cases / naive_seconds:,.0f}")
            table.add_row("", "ratio", f"{naive_count / count:,.0f}×", f"{naive_seconds / seconds:,.1f}×", "")
            if match:
                table.add_row("pull changes", "casehub", f"{pull_count:,}", f"{pull_seconds:.1f}",
                              f"{args.cases / pull_seconds:,.0f}")  # fmt: skip
                table.add_row("", "naive", f"{naive_pull_count:,}", f"{naive_pull_seconds:.1f}",
                              f"{args.cases / naive_pull_seconds:,.0f}")  # fmt: skip
                table.add_row("", "ratio", f"{naive_pull_count / pull_count:,.0f}×",
                              f"{naive_pull_seconds / pull_seconds:,.1f}×", "")  # fmt: skip
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
