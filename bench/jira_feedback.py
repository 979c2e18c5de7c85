"""Benchmark: 1,000 feedback cases, 80 % of them repeats of 50 requests, through the Jira plugin to the fake Jira.

The set is labelled: 800 cases ask for one of 50 things (ten actions on
five objects, so topics share words: "export invoices" and "export reports"
are different requests), each worded by one of several templates with filler
and the odd typo; 200 cases ask for something nobody else asks for. Ideal:
50 + 200 issues. Reported: issues created, requests to Jira (bulk creates of
50), time, and the duplicate detection's precision and recall — a case is
"matched" when it joined an existing issue; the match is right when that
issue was created for the same request.

    python bench/jira_feedback.py [--cases 1000] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import casehub.plugins.jira as jira_plugin
from casehub.fakes.jira import JiraFake
from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.model import CaseDraft
from casehub.testing import settle_outbox

ACTIONS = ["export", "import", "print", "share", "archive", "schedule", "filter", "merge", "translate", "encrypt"]
OBJECTS = ["invoices", "reports", "contacts", "orders", "attachments"]
RARE_ACTIONS = ["rotate", "watermark", "geotag", "transcribe", "benchmark", "colour-code", "timestamp", "zip", "annotate",
                "mirror", "redact", "pin", "snooze", "bookmark", "star", "mute", "forecast", "audit", "compare", "sync"]  # fmt: skip
RARE_OBJECTS = ["photos", "voice memos", "calendars", "spreadsheets", "logbooks", "floor plans", "recipes", "playlists",
                "timesheets", "maps", "contracts", "receipts"]  # fmt: skip
SUBJECTS = [
    "Please let us {a} {o}", "{O}: {a} option missing", "Feature request: {a} {o}", "Can we {a} our {o}?",
    "{A} for {o}", "Would love to {a} {o} in bulk",
]
BODIES = [
    "We need a way to {a} {o} directly from the app.", "Right now we cannot {a} the {o}, which costs us hours.",
    "It would help our team a lot if {o} could be {a}ed.", "Our accountant asked whether we can {a} {o}.",
    "{A} {o} would save us a lot of manual work every week.",
]
FILLER = ["Thanks a lot!", "Keep up the good work.", "We use the product every day.", "Best regards, the ops team.",
          "This came up in our last team meeting.", "", "", ""]  # fmt: skip


def _text(rng: random.Random, action: str, obj: str) -> tuple[str, str]:
    values = {"a": action, "A": action.capitalize(), "o": obj, "O": obj.capitalize()}
    subject = rng.choice(SUBJECTS).format(**values)
    body = " ".join(p for p in (rng.choice(BODIES).format(**values), rng.choice(FILLER), rng.choice(FILLER)) if p)
    if rng.random() < 0.15:  # a typo in a word that is not the request's own
        body = body.replace("would", "woudl", 1).replace("team", "taem", 1)
    return subject, body


def dataset(cases: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """(topic, subject, description); topics 't<n>' repeat, 'u<n>' are asked once."""
    rng = random.Random(seed)
    topics = [(a, o) for a in ACTIONS for o in OBJECTS]
    repeated = int(cases * 0.8)
    rows = []
    for n in range(repeated):
        index = n % len(topics) if n < len(topics) else rng.randrange(len(topics))
        rows.append((f"t{index}", *_text(rng, *topics[index])))
    uniques = rng.sample([(a, o) for a in RARE_ACTIONS for o in RARE_OBJECTS], cases - repeated)
    rows += [(f"u{n}", *_text(rng, a, o)) for n, (a, o) in enumerate(uniques)]
    rng.shuffle(rows)
    return rows


def run(cases: int, threshold: float, workdir: Path) -> dict[str, float]:
    rows = dataset(cases)
    (workdir / "rules.yaml").write_text(
        "triggers:\n  - name: feedback\n    on: [case.created]\n    all: [{field: type, eq: feedback}]\n"
        "    actions: [{create_jira_issue: {}}]\n"
    )
    with JiraFake() as site:
        host = PluginHost()
        host.register(jira_plugin, "jira")
        config = {
            "casehub": {"database_url": f"sqlite:///{workdir / 'jira.db'}"},
            "rules": {"file": str(workdir / "rules.yaml")},
            "outbox": {"claim_batch": 200},
            "jira": {"url": site.url, "email": site.email, "api_token": site.api_token, "project": "FEED",
                     "similarity_threshold": threshold},
        }  # fmt: skip
        hub = build_hub(config, plugins=host)
        hub.start()
        topic_of: dict[str, str] = {}
        for n, (topic, subject, body) in enumerate(rows):
            case = hub.service.create(
                CaseDraft(subject=subject, description=body, type="feedback", contact={"email": f"p{n}@example.com"}),
                actor="bench",
            )
            topic_of[case.id] = topic
        before = site.request_count
        start = time.perf_counter()
        hub.start_deliveries()
        done = settle_outbox(hub, cases, timeout=1200)
        elapsed = time.perf_counter() - start
        requests = site.request_count - before
        bulk = sum(1 for r in site.requests if r.path.endswith("/issue/bulk"))
        hub.close()
    issue_of = {}
    for row in done:
        assert row["status"] == "done", row["last_error"]
        issue_of[row["case_id"]] = row["remote_id"]
    # The topic an issue stands for: its first case's (the one that created it).
    first_topic: dict[str, str] = {}
    for row in sorted(done, key=lambda r: r["id"]):
        first_topic.setdefault(issue_of[row["case_id"]], topic_of[row["case_id"]])
    creators = {min((r for r in done if r["remote_id"] == key), key=lambda r: r["id"])["case_id"] for key in first_topic}
    seen_topics: set[str] = set()
    tp = fp = fn = 0
    for row in sorted(done, key=lambda r: r["id"]):
        case_id, topic = row["case_id"], topic_of[row["case_id"]]
        matched = case_id not in creators
        if matched and first_topic[issue_of[case_id]] == topic:
            tp += 1
        elif matched:
            fp += 1
        elif topic in seen_topics:
            fn += 1
        seen_topics.add(topic)
    ideal = len({t for t in topic_of.values()})
    return {
        "issues": len(first_topic), "ideal": ideal, "requests": requests, "bulk": bulk, "seconds": elapsed,
        "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--threshold", type=float, action="append")
    args = parser.parse_args()
    console = Console()
    table = Table("threshold", "issues", "ideal", "requests", "bulk creates", "seconds", "precision", "recall",
                  title=f"{args.cases} feedback cases, 80 % repeats of 50 requests")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for n, threshold in enumerate(args.threshold or [0.5]):
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            r = run(args.cases, threshold, workdir)
            console.log(f"threshold {threshold}: {r}")
            table.add_row(f"{threshold:.2f}", str(r["issues"]), str(r["ideal"]), str(r["requests"]), str(r["bulk"]),
                          f"{r['seconds']:.1f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}")  # fmt: skip
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
