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
# The "distinct" set: 50 different feature requests as customers name them, each in two or three ways.
DISTINCT = [
    "dark mode|dark theme|night mode", "export to Excel|Excel export|download as xlsx", "single sign-on with Okta|Okta SSO|login through Okta",
    "two-factor authentication|2FA login|second factor when signing in", "offline mode in the mobile app|use the app without internet|offline access on the phone",
    "bulk edit of tickets|edit many tickets at once|mass update tickets", "custom fields on contacts|own fields for contacts|extra contact fields",
    "Slack notifications for new tickets|ticket alerts in Slack|post new tickets to Slack", "German translation|interface in German|German language support",
    "keyboard shortcuts|hotkeys|shortcut keys", "API rate limit increase|higher API limits|more API calls per minute",
    "webhook retries|retry failed webhooks|resend webhooks that failed", "PDF invoices|invoices as PDF|download invoice PDF",
    "calendar sync with Google Calendar|Google Calendar integration|sync appointments to Google Calendar",
    "audit log of user actions|who changed what log|activity history for admins", "saved searches|save my filters|stored search filters",
    "merge duplicate contacts|combine duplicate customers|dedupe contacts", "canned responses|reply templates|saved answers",
    "customer satisfaction survey|CSAT survey after resolution|ask customers for a rating", "SLA reports|SLA compliance report|report on SLA breaches",
    "time tracking on tickets|log time spent on tickets|track working time per ticket", "attachments larger than 10 MB|bigger file uploads|upload large files",
    "markdown in replies|format replies with markdown|markdown formatting", "round robin assignment|assign tickets in turn|rotate ticket assignment",
    "mobile push notifications|push alerts on my phone|phone notifications", "Salesforce integration|sync with Salesforce|connect to Salesforce",
    "Jira integration|link tickets to Jira|create Jira issues from tickets", "customer portal|self-service portal|help center for customers",
    "knowledge base search|search help articles|find articles in the knowledge base", "chat widget on our website|live chat on the site|website chat",
    "WhatsApp channel|tickets from WhatsApp|WhatsApp support", "IP allowlist|restrict logins by IP|allow only office IPs",
    "data retention settings|delete old tickets automatically|retention policy for tickets", "GDPR export of customer data|export a customer's personal data|data subject access export",
    "ticket priority colours|colour tickets by priority|priority colour coding", "split a ticket into two|separate ticket parts|divide one ticket",
    "scheduled reports by email|email me reports weekly|report subscriptions", "multiple brands|several brands in one account|multi-brand support",
    "business hours per team|team working hours|office hours per group", "holiday calendars|public holidays in SLA|holidays for SLA timers",
    "tags autocomplete|suggest tags while typing|tag suggestions", "undo send|recall a sent reply|take back an email",
    "spell check in the editor|spelling correction|check spelling in replies", "bulk import of contacts from CSV|CSV contact import|upload contacts as CSV",
    "dashboard widgets|customise the dashboard|dashboard tiles", "Microsoft Teams notifications|alerts in Teams|post tickets to Microsoft Teams",
    "read receipts for replies|know when customers read replies|email open tracking", "custom ticket statuses|our own statuses|add ticket states",
    "agent collision detection|see who else is replying|warn when two agents answer", "voice calls in the browser|phone calls from the app|built-in telephony",
]  # fmt: skip
DISTINCT_SUBJECTS = ["{n}", "Feature request: {n}", "Please add {n}", "Any plans for {n}?", "We need {n}", "{N} would be great"]
DISTINCT_BODIES = [
    "Our team has been asking for {n} for a while.", "Is {n} on your roadmap?", "Without {n} we spend a lot of time on workarounds.",
    "Competitors offer {n}; we would love to see it here too.", "{N} would make our daily work much easier.",
]  # fmt: skip
FILLER = ["Thanks a lot!", "Keep up the good work.", "We use the product every day.", "Best regards, the ops team.",
          "This came up in our last team meeting.", "", "", ""]  # fmt: skip


def _text(rng: random.Random, action: str, obj: str) -> tuple[str, str]:
    values = {"a": action, "A": action.capitalize(), "o": obj, "O": obj.capitalize()}
    subject = rng.choice(SUBJECTS).format(**values)
    body = " ".join(p for p in (rng.choice(BODIES).format(**values), rng.choice(FILLER), rng.choice(FILLER)) if p)
    if rng.random() < 0.15:  # a typo in a word that is not the request's own
        body = body.replace("would", "woudl", 1).replace("team", "taem", 1)
    return subject, body


def _distinct_text(rng: random.Random, topic: str) -> tuple[str, str]:
    name = rng.choice(topic.split("|"))
    values = {"n": name, "N": name[0].upper() + name[1:]}
    body = " ".join(p for p in (rng.choice(DISTINCT_BODIES).format(**values), rng.choice(FILLER)) if p)
    return rng.choice(DISTINCT_SUBJECTS).format(**values), body


def distinct_dataset(cases: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """50 different requests, 80 % of the cases; the rest each ask for something of their own (the hard set's rare asks)."""
    rng = random.Random(seed)
    repeated = int(cases * 0.8)
    rows = [(f"t{n % 50}" if n < 50 else f"t{(i := rng.randrange(50))}", *_distinct_text(rng, DISTINCT[n % 50 if n < 50 else i]))
            for n in range(repeated)]  # fmt: skip
    uniques = rng.sample([(a, o) for a in RARE_ACTIONS for o in RARE_OBJECTS], cases - repeated)
    rows += [(f"u{n}", *_text(rng, a, o)) for n, (a, o) in enumerate(uniques)]
    rng.shuffle(rows)
    return rows


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


def run(cases: int, threshold: float, workdir: Path, kind: str = "overlapping") -> dict[str, float]:
    rows = dataset(cases) if kind == "overlapping" else distinct_dataset(cases)
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
    parser.add_argument("--set", dest="kinds", action="append", choices=["overlapping", "distinct"],
                        help="overlapping: 10 actions x 5 objects (requests share words); distinct: 50 different requests")
    args = parser.parse_args()
    console = Console()
    table = Table("set", "threshold", "issues", "ideal", "requests", "bulk creates", "seconds", "precision", "recall",
                  title=f"{args.cases} feedback cases, 80 % repeats of 50 requests")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(k, t) for k in (args.kinds or ["overlapping", "distinct"]) for t in (args.threshold or [0.5])]
        for n, (kind, threshold) in enumerate(runs):
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            r = run(args.cases, threshold, workdir, kind)
            console.log(f"{kind}, threshold {threshold}: {r}")
            table.add_row(kind, f"{threshold:.2f}", str(r["issues"]), str(r["ideal"]), str(r["requests"]), str(r["bulk"]),
                          f"{r['seconds']:.1f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}")  # fmt: skip
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
