"""Benchmark: rule evaluation, rules-file compile time, and the scheduler's tick.

1. The same 35 conditions (20 triggers, 10 assignment entries, 5 SLA policies)
   judged on the same synthetic cases by: casehub's compiled conditions (one
   context per case, shared by every rule), a hand-written Python function per
   rule over the case's attributes (the ceiling), the `rule-engine` library,
   and CEL (`common-expression-language`, one activation per case reused by
   every program). All four must agree on every match count.
2. Loading and compiling a rules file of 1,000 triggers.
3. The scheduler's tick over ``--cases`` open cases: the indexed query for the
   SLA timers that came due, and its query plan.

    python bench/rules_eval.py                      # 100,000 cases
    python bench/rules_eval.py --cases 10000 --peer-cases 2000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text

from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.model import Account, Case, Contact
from casehub.rules.conditions import build_context, compile_condition
from casehub.rules.engine import RuleEngine
from casehub.rules.source import read_rules
from casehub.store import cases as store
from casehub.store.engine import make_engine
from casehub.store.migrate import upgrade
from casehub.store.tables import cases as cases_table

console = Console()
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PRIORITIES = ["low", "normal", "high", "urgent"]
TYPES = ["question", "problem", "incident", "feedback", "request"]
CHANNELS = ["web", "email", "api", "phone", "chat"]
TAGS = ["vip", "billing", "hardware", "refund", "spam", "beta", "churn-risk", "press"]
TIERS = [None, "bronze", "silver", "gold"]
DOMAINS = ["bigcorp.com", "example.org", "mail.test", "startup.io", "gov.example"]
LANGS = ["en", "de", "fr", "es"]

# (field, op, value): a leaf; ("any", [...]) / ("all", [...]) / ("none", [...]): a group.
Leaf = tuple[str, str, Any]


def rule_set(rng: random.Random, n: int) -> list[list[Leaf]]:
    """``n`` conditions, each an 'all' of 2–4 leaves mixing the usual operators."""
    makers: list[Callable[[], Leaf]] = [
        lambda: ("priority", "in", rng.sample(PRIORITIES, 2)),
        lambda: ("type", "eq", rng.choice(TYPES)),
        lambda: ("channel", "in", rng.sample(CHANNELS, 2)),
        lambda: ("tags", "contains", rng.choice(TAGS)),
        lambda: ("account.tier", "eq", rng.choice(TIERS[1:])),
        lambda: ("contact.email", "ends_with", "@" + rng.choice(DOMAINS)),
        lambda: ("hours_since_updated", "gt", rng.choice([4, 24, 72])),
        lambda: ("contact.language", "eq", rng.choice(LANGS)),
        lambda: ("subject", "starts_with", rng.choice(["order", "invoice", "help", "broken"])),
    ]
    return [[rng.choice(makers)() for _ in range(rng.randint(2, 4))] for _ in range(n)]


def make_cases(rng: random.Random, n: int) -> list[Case]:
    out = []
    for i in range(n):
        tier = rng.choice(TIERS)
        out.append(
            Case.model_construct(
                id=f"{i:026d}", number=f"C-{i:06d}",
                subject=rng.choice(["order late", "invoice wrong", "help needed", "broken lamp", "question"]),
                description="", status="open", priority=rng.choice(PRIORITIES), type=rng.choice(TYPES),
                channel=rng.choice(CHANNELS),
                contact=Contact.model_construct(name="x", email=f"u{i}@{rng.choice(DOMAINS)}", phone=None,
                                                language=rng.choice(LANGS), preferred_channel=None),
                account=Account.model_construct(name="acme", tier=tier, external_id=None) if tier else None,
                tags=rng.sample(TAGS, rng.randint(0, 3)), queue=None, owner=None, is_escalated=False,
                custom_fields={}, external_links=[], sla=[], csat=None,
                created_at=NOW - timedelta(hours=rng.uniform(0, 500)),
                updated_at=NOW - timedelta(hours=rng.uniform(0, 200)),
                first_response_at=None, resolved_at=None, closed_at=None, version=1,
            )
        )  # fmt: skip
    return out


# -- the four evaluators ------------------------------------------------------------------


def casehub_rules(rules: list[list[Leaf]]) -> Callable[[Case], int]:
    predicates = [compile_condition({"all": [{"field": f, op: v} for f, op, v in leaves]}) for leaves in rules]

    def judge(case: Case) -> int:
        ctx = build_context(case, now=NOW)
        return sum(1 for p in predicates if p(ctx))

    return judge


def _python(leaf: Leaf) -> str:
    field, op, value = leaf
    source = {
        "priority": "c.priority", "type": "c.type", "channel": "c.channel", "tags": "c.tags",
        "account.tier": "(c.account.tier if c.account else None)", "contact.email": "c.contact.email",
        "contact.language": "c.contact.language", "subject": "c.subject",
        "hours_since_updated": "(NOW - c.updated_at).total_seconds() / 3600",
    }[field]  # fmt: skip
    if op == "in":
        return f"{source} in {set(value)!r}"
    if op == "eq":
        return f"{source} == {value!r}"
    if op == "contains":
        return f"{value!r} in {source}"
    if op == "ends_with":
        return f"{source}.endswith({value!r})"
    if op == "starts_with":
        return f"{source}.startswith({value!r})"
    return f"{source} > {value!r}"


def hand_written(rules: list[list[Leaf]]) -> Callable[[Case], int]:
    """What one would write by hand: one function per rule, reading the case's attributes directly."""
    functions = [eval(f"lambda c: {' and '.join(_python(l) for l in leaves)}", {"NOW": NOW}) for leaves in rules]  # noqa: S307 - our own generated code

    def judge(case: Case) -> int:
        return sum(1 for f in functions if f(case))

    return judge


def flat(case: Case) -> dict[str, Any]:
    return {
        "priority": str(case.priority), "type": str(case.type), "channel": str(case.channel), "tags": list(case.tags),
        "tier": case.account.tier if case.account and case.account.tier else "", "email": case.contact.email or "",
        "language": case.contact.language or "", "subject": case.subject,
        "hours_since_updated": (NOW - case.updated_at).total_seconds() / 3600,
    }  # fmt: skip


_NAMES = {"account.tier": "tier", "contact.email": "email", "contact.language": "language"}


def _text(leaf: Leaf, dialect: str) -> str:
    field, op, value = leaf
    name = _NAMES.get(field, field)
    if op == "in":
        return f"{name} in {list(value)!r}"
    if op == "eq":
        return f"{name} == {value!r}"
    if op == "contains":
        return f"{value!r} in {name}"
    if op in ("ends_with", "starts_with"):
        if dialect == "cel":
            return f"{name}.{'endsWith' if op == 'ends_with' else 'startsWith'}({value!r})"
        escaped = value.replace(".", "\\\\.")
        return f"{name} =~ '.*{escaped}$'" if op == "ends_with" else f"{name} =~ '^{escaped}.*'"
    return f"{name} > {float(value)}"


def rule_engine_rules(rules: list[list[Leaf]]) -> Callable[[Case], int]:
    import rule_engine

    compiled = [rule_engine.Rule(" and ".join(_text(l, "re") for l in leaves)) for leaves in rules]

    def judge(case: Case) -> int:
        thing = flat(case)
        return sum(1 for r in compiled if r.matches(thing))

    return judge


def cel_rules(rules: list[list[Leaf]]) -> Callable[[Case], int]:
    import cel

    programs = [cel.compile(" && ".join(_text(l, "cel") for l in leaves)) for leaves in rules]

    def judge(case: Case) -> int:
        context = cel.Context(variables=flat(case))  # one activation per case, reused by every program
        return sum(1 for p in programs if p.execute(context))

    return judge


def measure(name: str, judge: Callable[[Case], int], cases: list[Case], rules: int) -> dict[str, Any]:
    started = time.perf_counter()
    matches = sum(judge(c) for c in cases)
    elapsed = time.perf_counter() - started
    return {"name": name, "cases": len(cases), "matches": matches, "per_s": len(cases) * rules / elapsed}


# -- compile time and the scheduler's tick -------------------------------------------------


def compile_time(n: int) -> float:
    entries = "".join(
        f"""
  - name: rule {i}
    on: [case.created, case.updated]
    all:
      - {{field: priority, in: [high, urgent]}}
      - {{field: contact.email, ends_with: "@d{i}.example"}}
      - {{field: subject, matches: "invoice|refund {i}"}}
    actions:
      - add_tag: t{i}
      - add_note: "Rule {i} for {{{{ case.number }}}}"
"""
        for i in range(n)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text("triggers:" + entries)
        started = time.perf_counter()
        engine = RuleEngine.compile(read_rules(path), {})
        elapsed = time.perf_counter() - started
    assert len(engine.triggers) == n
    return elapsed


def scheduler_tick(n: int, rng: random.Random) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'tick.db'}")
        upgrade(engine)
        rows = []
        for i in range(n):
            rows.append(
                {
                    "id": f"{i:026d}", "subject": "x", "description": "", "status": "open", "priority": "normal",
                    "type": "question", "channel": "web", "contact": {}, "contact_email": None, "account": None,
                    "account_name": None, "tags": [], "queue": None, "owner": None, "is_escalated": False,
                    "custom_fields": {}, "external_links": [], "sla": [], "csat": None, "created_at": NOW,
                    "updated_at": NOW, "version": 1,
                    # a quarter of the cases have no running clock; the rest are due over the next days
                    "next_sla_at": None if i % 4 == 0 else NOW + timedelta(minutes=rng.uniform(-2, 4 * 24 * 60)),
                }
            )  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(cases_table), rows)
            conn.execute(text("ANALYZE"))
        with engine.connect() as conn:
            plan = " / ".join(
                r[-1] for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE next_sla_at <= ? ORDER BY next_sla_at LIMIT 500",
                    (NOW.replace(tzinfo=None).isoformat(" "),),
                )
            )  # fmt: skip
            started = time.perf_counter()
            for _ in range(100):
                due = store.due_timers(conn, NOW, 500)
            per_query = (time.perf_counter() - started) / 100
        engine.dispose()
        # The automations' look: every case that is not closed, page by page, none of them matching.
        rules = Path(folder) / "rules.yaml"
        rules.write_text("automations:\n  - name: stale\n    all: [{field: status, eq: pending}]\n    actions: [{add_tag: stale}]\n")
        hub = build_hub({"casehub": {"database_url": f"sqlite:///{Path(folder) / 'tick.db'}"}, "rules": {"file": str(rules)}}, plugins=PluginHost())
        started = time.perf_counter()
        assert hub.service.run_automations() == 0
        automations = time.perf_counter() - started
        hub.close()
    return {"cases": n, "due": len(due), "query_ms": per_query * 1000, "plan": plan, "automations_s": automations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--peer-cases", type=int, default=10_000, help="cases for rule-engine (slow)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rules = rule_set(rng, 35)
    cases = make_cases(rng, args.cases)

    results = [
        measure("hand-written Python (ceiling)", hand_written(rules), cases, len(rules)),
        measure("casehub", casehub_rules(rules), cases, len(rules)),
        measure("CEL (common-expression-language)", cel_rules(rules), cases, len(rules)),
        measure("rule-engine", rule_engine_rules(rules), cases[: args.peer_cases], len(rules)),
    ]
    # Every evaluator must agree with the ceiling on the cases it judged.
    ceiling = hand_written(rules)
    for r in results:
        expected = sum(ceiling(c) for c in cases[: r["cases"]])
        assert r["matches"] == expected, f"{r['name']} disagrees: {r['matches']} matches, expected {expected}"

    table = Table("evaluator", "cases", "evaluations/s", "vs hand-written", title="35 conditions per case")
    best = results[0]["per_s"]
    for r in results:
        table.add_row(r["name"], f"{r['cases']:,}", f"{r['per_s']:,.0f}", f"{best / r['per_s']:.1f}× slower" if r is not results[0] else "—")
    console.print(table)
    ours = results[1]["per_s"]
    console.print(f"casehub vs rule-engine: {ours / results[3]['per_s']:.0f}× faster; vs CEL: {ours / results[2]['per_s']:.1f}×")

    seconds = compile_time(1000)
    console.print(f"load + compile 1,000 triggers: {seconds * 1000:.0f} ms")
    tick = scheduler_tick(args.cases, rng)
    console.print(
        f"scheduler tick over {tick['cases']:,} open cases (SQLite): {tick['query_ms']:.2f} ms for the due-timers "
        f"query ({tick['due']} due); plan: {tick['plan']}"
    )
    console.print(f"automations' look at {tick['cases']:,} open cases (one automation, nothing matching): {tick['automations_s']:.1f} s")
    console.print(textwrap.dedent("""
        (Matches agree across all four evaluators; rule-engine judged a subset, its rate is per evaluation.)
    """).strip(), style="dim")


if __name__ == "__main__":
    main()
