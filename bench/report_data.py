"""Data for the reporting benchmark: N realistic cases and their event log, written fast, as casehub writes them.

The reports (``casehub report``, the ``/dashboard`` page) are to be timed on
1,000,000 cases and their events, on PostgreSQL and on SQLite. Creating that
many cases through the service layer would take hours (about 1,000 cases/s,
see README.md), so this module simulates each case's life in plain Python and
bulk-loads the rows: ``COPY`` on PostgreSQL (from every worker process at
once), ``executemany`` in one transaction per chunk on SQLite (WAL,
``synchronous=OFF`` during the load only).

    python bench/report_data.py --url sqlite:///bench-report.db --cases 1000000
    python bench/report_data.py --url postgresql://USER@HOST/DB --cases 1000000
    python bench/report_data.py --check       # 2,000 cases; SQL checks that rows and events agree

What makes the data worth benchmarking on:

- **The schema is casehub's own.** ``--fresh`` (the default) drops casehub's
  tables and runs the migrations (:func:`casehub.store.migrate.upgrade`). For
  the load the secondary indexes of ``cases`` and ``events`` and the events'
  foreign key are dropped and then recreated from the definitions the
  migrations left (the same DDL, read back from the catalogue), which is
  several times faster than maintaining them row by row; the script checks
  that the schema afterwards is the one it started from.
- **Every event is one casehub would have written**, in the order and with the
  data it would have: a status change is ``case.updated`` + ``case.status_changed``,
  then the SLA clocks' reaction (``sla.met``, ``sla.paused``, ``sla.resumed``,
  recorded by actor ``rules``); warnings and breaches come from the scheduler
  (actor ``sla``) on a one-minute tick; assignment is ``rule.fired`` +
  ``case.updated`` + ``case.assigned``; the CSAT survey is the
  ``send_csat_survey`` action's ``rule.fired`` + public comment +
  ``csat.requested``, the answer ``csat.received`` by actor ``customer``.
- **The case row is the projection of its events**: status, ``resolved_at``
  (the latest resolution; NULL while open), ``closed_at``,
  ``first_response_at``, ``reopens``, ``agent_replies``, ``escalated_at``, the
  SLA clocks (``sla`` JSON, ``next_sla_at``, the met clocks' business seconds),
  ``csat``, ``updated_at`` and
  ``version`` (one per row write, as the service counts them: a command whose
  rules change the clocks writes the row twice; a scheduler tick bumps the
  version but not ``updated_at``). ``--check`` verifies it with SQL.
- **Realistic and deterministic.** Two years of cases ending at ``--end``
  (volume growing 20 %, quieter weekends and nights), so a quarter holds about
  an eighth of them; channels, priorities, types (10 % feedback), 8 queues,
  40 agents, 25,000 accounts in four tiers, 400,000 contacts. Most old cases
  are resolved or closed; the open backlog is the recent ones plus 2 % that
  stalled (a few percent of all cases). Chunk *k* is generated from its own
  seeded random generator, so the data does not depend on how many worker
  processes made it.

The rules file the data pretends to come from: assignment rules sending each
queue's cases round the queue's five agents (phone and chat cases are created
by the agent who took the call, with queue and owner set); two SLA policies
around the clock (no business-hours calendar, so the clocks count wall time):
``premium`` for gold and platinum accounts (first response 1 h, resolution
48 h) and ``standard`` for the rest (8 h, 120 h), each warning at 25 % of the
target left; and a trigger sending the CSAT survey when a case is resolved,
sampled to 40 % of cases. No acknowledgement trigger: it would add two events
to most cases without changing any figure.

Event ids are assigned by the database in insertion order; within a chunk of
``--chunk`` cases the events are inserted in time order, so ids ascend with
time per case (and within a chunk), as they would have in a live system.

Per case there are about 14 events, not fewer, because that is what casehub
writes: a status change alone is three (``case.updated``,
``case.status_changed``, the clocks' ``sla.met``), an assignment by rule
three more.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import gc
import json
import math
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casehub.model import TRANSITIONS
from casehub.store.engine import make_engine, normalise_url
from casehub.store.migrate import upgrade
from casehub.store.tables import metadata

console = Console()

DAY = 86_400
HOUR = 3_600
YEARS = 2
GROWTH = 0.20  # the last day has 20 % more cases than the first

# -- the world the cases come from ---------------------------------------------------

CHANNELS = [("web", 35), ("email", 30), ("api", 10), ("phone", 10), ("chat", 15)]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 18), ("urgent", 7)]
TYPES = [("question", 35), ("problem", 28), ("incident", 10), ("feedback", 10), ("request", 17)]
# Feedback goes to its own queue; everything else is spread over these.
QUEUES = [("billing", 22), ("technical", 26), ("sales", 9), ("returns", 11), ("shipping", 14), ("accounts", 10),
          ("integrations", 8)]  # fmt: skip
ALL_QUEUES = [q for q, _ in QUEUES] + ["feedback"]
AGENT_NAMES = [
    "ada", "grace", "linus", "barbara", "ken", "margaret", "dennis", "frances", "alan", "radia", "edsger", "hedy",
    "donald", "shafi", "john", "sophie", "tim", "adele", "guido", "annie", "bjarne", "karen", "niklaus", "mary",
    "larry", "evelyn", "james", "lynn", "robin", "joan", "vint", "katherine", "butler", "jean", "whitfield", "ida",
    "leslie", "carol", "peter", "anita",
]  # fmt: skip
# Five agents per queue, each in one queue.
QUEUE_AGENTS = {q: [AGENT_NAMES[(n * 5 + k) % len(AGENT_NAMES)] for k in range(5)] for n, q in enumerate(ALL_QUEUES)}
TIERS = [("bronze", 40), ("silver", 30), ("gold", 20), ("platinum", 10)]
PREMIUM_TIERS = ("gold", "platinum")
LANGUAGES = [("en", 70), ("de", 15), ("fr", 8), ("es", 7)]
N_ACCOUNTS = 25_000
N_CONTACTS = 400_000
CONSUMER_SHARE = 30  # percent of contacts without an account

# name: (first response, resolution) in seconds; both policies warn at 25 % of the target left.
POLICIES = {"standard": (8 * HOUR, 120 * HOUR), "premium": (1 * HOUR, 48 * HOUR)}
WARN_SHARE = 0.25
SURVEY_DAYS = 30  # [csat] max_age_days

INTAKE_ACTOR = {"web": "webforms:support", "email": "email", "api": "api:shop", "phone": "api:helpdesk",
                "chat": "api:helpdesk"}  # fmt: skip
AGENT_ACTOR = "api:helpdesk"
CONTACT_ACTOR = "email"  # customers answer by mail (casehub.plugins.email: author = their address)
RULES = "rules"
SCHEDULER = "sla"
CUSTOMER = "customer"
TICK = 60  # the scheduler fires SLA timers on this grid
PUBLIC_URL = "https://support.example.com"

FIRST = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
         "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "chris", "karen", "lena",
         "jonas", "lukas", "anna", "paul", "marie", "felix", "sofia", "noah", "emma", "leon", "mia", "louis", "chloe",
         "hugo", "lucia", "mateo", "elena", "omar", "aisha", "yuki", "hiro", "wei", "mei", "arjun", "priya", "ivan",
         "olga", "lars", "ingrid"]  # fmt: skip
LAST = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "martin", "lopez", "wilson",
        "anderson", "taylor", "moore", "jackson", "white", "harris", "clark", "lewis", "walker", "mueller", "schmidt",
        "schneider", "fischer", "weber", "meyer", "wagner", "becker", "dubois", "moreau", "laurent", "simon",
        "fernandez", "gonzalez", "rossi", "russo", "bianchi", "tanaka", "suzuki", "chen", "wang", "kumar", "singh",
        "ivanov", "nielsen", "hansen", "jensen", "berg", "novak", "kowalski"]  # fmt: skip
ADJ = ["blue", "north", "bright", "swift", "green", "silver", "prime", "urban", "global", "quiet", "red", "open",
       "solid", "clear", "true", "rapid", "deep", "high", "first", "smart"]  # fmt: skip
NOUN = ["harbor", "peak", "field", "stone", "river", "forge", "works", "labs", "logic", "media", "foods", "motors",
        "systems", "retail", "health", "energy", "travel", "bank", "cloud", "games", "studio", "supply", "legal",
        "print", "garden"]  # fmt: skip
SUFFIX = ["GmbH", "Ltd", "Inc", "SA", "AG", "BV", "LLC", "Oy", "AB", "SRL", "KG", "Pty"]
CONSUMER_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "post.example.net"]
TAGS = [("vip", 3), ("refund", 6), ("bug", 8), ("how-to", 8), ("mobile", 6), ("invoice", 6), ("churn-risk", 2),
        ("beta", 2), ("outage", 2), ("", 57)]  # fmt: skip

SUBJECTS = {
    "billing": ["Invoice {n} charged twice", "Question about invoice {n}", "Wrong VAT on invoice {n}",
                "Refund for order {n}", "Payment failed with card ending {m}", "Change billing address"],
    "technical": ["Error 500 when saving settings", "App crashes on start (version 4.{m})", "Login fails since update",
                  "Export to CSV is empty", "Sync stuck at {m} %", "Page loads very slowly"],
    "sales": ["Quote for {m} licences", "Upgrade to the business plan", "Volume discount?",
              "Trial extension request", "Compare plans for a team of {m}"],
    "returns": ["Return order {n}", "Item arrived damaged (order {n})", "Wrong size delivered", "Exchange for order {n}",
                "Return label missing"],
    "shipping": ["Where is my order {n}?", "Tracking shows no movement for order {n}", "Delivery address change",
                 "Parcel marked delivered but not received", "Express shipping to Norway?"],
    "accounts": ["Cannot reset my password", "Delete my account", "Change the account owner",
                 "Two-factor codes not arriving", "Merge two accounts"],
    "integrations": ["Webhook not firing", "API returns 429 too often", "Salesforce sync misses contacts",
                     "Slack notifications stopped", "OAuth token expires after {m} minutes"],
    "feedback": ["Please add a dark mode", "Export to Excel would help", "Idea: bulk edit for tags",
                 "The new menu is confusing", "Love the new dashboard", "Calendar view for orders"],
}  # fmt: skip
SENTENCES = [
    "I have tried it again this morning and the problem is still there.",
    "This affects our whole team, so a quick answer would be appreciated.",
    "Attached is a screenshot of what I see.",
    "We did not change anything on our side as far as I know.",
    "Could you please check what happened and let me know?",
    "It worked fine until last week.",
    "I already cleared the cache and tried another browser.",
    "Our order number is in the subject.",
    "Please call me back if that is easier.",
    "Thank you for your help in advance.",
    "The same happens on the mobile app.",
    "I contacted you about this before but did not get an answer.",
]
AGENT_REPLIES = [
    "thanks for reaching out. I have looked into this and fixed the setting on our side; it should work now.",
    "thank you for the details. Could you send us the exact time it happened and a screenshot?",
    "I am sorry for the trouble. I have issued the refund; it will show on your statement in 3-5 days.",
    "our engineers found the cause and deployed a fix this morning. Please try again.",
    "I have created a return label for you and sent it by email.",
    "the parcel is with the carrier; I have opened an investigation and will update you within two days.",
    "you can change this under Settings > Account > Billing. Let me know if anything is unclear.",
    "I have passed your suggestion on to our product team. Thank you for taking the time!",
]
CONTACT_REPLIES = [
    "Thanks, but it still does not work for me.",
    "Here is the screenshot you asked for.",
    "That worked, thank you!",
    "It happened yesterday around 3 pm.",
    "Any news on this?",
    "Sorry, I have one more question about this.",
]
NOTES = ["Checked the logs: matches the known issue from last week.", "Customer called, waiting for the screenshot.",
         "Asked tier 2 for a second opinion.", "Refund approved by finance."]  # fmt: skip
CSAT_COMMENTS = {1: ["Took far too long.", "Nobody really read my message."], 2: ["Slow answers."],
                 3: ["OK in the end.", ""], 4: ["Good, thanks.", "Quick and friendly."],
                 5: ["Excellent service!", "Fast and very helpful, thank you.", "Perfect."]}  # fmt: skip
SCORES = [(1, 9), (2, 6), (3, 10), (4, 25), (5, 50)]
SURVEY_BODY = (
    'Hello {name},\n\nyour request {number} ("{subject}") is resolved. How did we do?\n'
    "One question, one click: {url}\n\nThank you!"
)
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def _plain(value: str) -> bool:
    return value.isascii() and '"' not in value and "\\" not in value and all(c >= " " or c == "\n" for c in value)


def js(value: str) -> str:
    """A JSON string of the generator's own plain text, as ``json.dumps`` writes it, at a fraction of the cost.

    Only for text built from the pools above (checked at import): ASCII, no
    quotes, no backslashes, no control characters but newlines.
    """
    return '"' + value.replace("\n", "\\n") + '"'


_POOLS = [*FIRST, *LAST, *ADJ, *NOUN, *SUFFIX, *AGENT_NAMES, *SENTENCES, *AGENT_REPLIES, *CONTACT_REPLIES, *NOTES,
          *(c for cs in CSAT_COMMENTS.values() for c in cs), *(t for ts in SUBJECTS.values() for t in ts)]  # fmt: skip
assert all(_plain(v) for v in _POOLS), "a text pool holds a character js() does not escape"
CONTACT_REPLIES_JSON = [js(v) for v in CONTACT_REPLIES]
NOTES_JSON = [js(v) for v in NOTES]
CSAT_COMMENTS_JSON = {k: [js(v) for v in vs] for k, vs in CSAT_COMMENTS.items()}
SURVEY_BODY_JSON = json.dumps(SURVEY_BODY)  # a template whose {fields} are filled with plain text
OPEN_STATUSES = ("new", "open", "pending", "on_hold")
STOPPED = ("resolved", "closed")
_ALLOWED = {str(k): {str(v) for v in vs} for k, vs in TRANSITIONS.items()}


class Weighted:
    """Picks from ``(item, weight)`` pairs with one random number and a bisect (``random.choices`` is slower)."""

    def __init__(self, pairs: list[tuple[Any, float]]) -> None:
        self.items = [p[0] for p in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, w in pairs:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, r: Callable[[], float]) -> Any:
        return self.items[bisect.bisect_right(self.cum, r() * self.total)]


PICK_CHANNEL, PICK_PRIORITY, PICK_TYPE = Weighted(CHANNELS), Weighted(PRIORITIES), Weighted(TYPES)
PICK_QUEUE, PICK_TAG, PICK_SCORE = Weighted(QUEUES), Weighted(TAGS), Weighted(SCORES)
PICK_TIER, PICK_LANGUAGE = Weighted(TIERS), Weighted(LANGUAGES)


# -- time ----------------------------------------------------------------------------------

_HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_DAYS: dict[int, str] = {}


def _day(t: int) -> str:
    d = t // DAY
    s = _DAYS.get(d)
    if s is None:
        s = _DAYS[d] = datetime.fromtimestamp(d * DAY, UTC).strftime("%Y-%m-%d")
    return s


def iso_z(t: int) -> str:
    """How pydantic writes a UTC datetime into JSON (the ``sla`` column)."""
    return f"{_day(t)}T{_HMS[t % DAY]}Z"


def iso(t: int) -> str:
    """``datetime.isoformat()`` of a UTC datetime (what event data holds)."""
    return f"{_day(t)}T{_HMS[t % DAY]}+00:00"


def db_time_pg(t: int | None) -> str:
    return "\\N" if t is None else f"{_day(t)} {_HMS[t % DAY]}+00"


def db_time_sqlite(t: int | None) -> str | None:
    """SQLAlchemy's storage format for DateTime on SQLite: string comparisons must match the app's own rows."""
    return None if t is None else f"{_day(t)} {_HMS[t % DAY]}.000000"


def jt(t: int | None) -> str:
    return "null" if t is None else f'"{iso_z(t)}"'


class Timeline:
    """When case number ``i`` of ``n`` was created: a volume growing over two years, quieter nights and weekends.

    The period is cut into hours, each weighted by the growth, the weekday and
    the hour of day (UTC). Case ``i`` sits at quantile ``(i + u) / n`` of the
    volume, so creation times grow with the case number (as ``seq`` does in
    casehub) and a chunk of cases can be placed without knowing the others.
    """

    HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 9, 8, 6, 5, 4, 3, 2, 2, 1]

    def __init__(self, end: int, n: int) -> None:
        self.n, self.end = n, end
        self.hours = YEARS * 365 * 24
        self.start = end - self.hours * HOUR
        weights = []
        for k in range(self.hours):
            moment = self.start + k * HOUR
            weekday = (moment // DAY + 3) % 7  # 1970-01-01 was a Thursday
            weekend = 0.45 if weekday == 5 else 0.35 if weekday == 6 else 1.0
            weights.append((1 + GROWTH * k / self.hours) * weekend * self.HOURS[(moment // HOUR) % 24])
        total = sum(weights)
        self.cum = list(_cumulative([w / total for w in weights]))

    def created(self, i: int, u: float) -> int:
        q = min((i + u) / self.n, 1 - 1e-12)
        k = min(bisect.bisect_right(self.cum, q), self.hours - 1)
        lo = self.cum[k - 1] if k else 0.0
        within = (q - lo) / (self.cum[k] - lo) if self.cum[k] > lo else 0.0
        return min(self.start + k * HOUR + int(within * HOUR), self.end - 1)


def _cumulative(values: list[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


# -- people ------------------------------------------------------------------------------------


def account_of(a: int) -> tuple[str, str, str | None, str]:
    """Account number ``a``: name, tier, external id (half have one, from the CRM), mail domain."""
    adj, noun, suffix = ADJ[a % len(ADJ)], NOUN[(a // len(ADJ)) % len(NOUN)], SUFFIX[(a // 500) % len(SUFFIX)]
    number = a // (len(ADJ) * len(NOUN) * len(SUFFIX))
    name = f"{adj.title()} {noun.title()} {suffix}" + (f" {number + 1}" if number else "")
    h = (a * 2654435761) & 0xFFFFFFFF
    tier = PICK_TIER(lambda: (h % 1000) / 1000)
    external = f"001{a:015d}" if h % 2 else None
    domain = f"{adj}{noun}{a}.example.net"
    return name, tier, external, domain


_accounts: dict[int, tuple[str, str, str | None, str, str, str]] = {}
_contacts: dict[int, tuple[str, str, str | None, str, int | None, str, str]] = {}


def account_json(a: int) -> tuple[str, str, str | None, str, str, str]:
    """Account ``a`` with its column JSON and its intake-snapshot JSON (no ``null`` fields), made once per process."""
    found = _accounts.get(a)
    if found is None:
        name, tier, external, domain = account_of(a)
        ext = "null" if external is None else f'"{external}"'
        column = f'{{"name": "{name}", "tier": "{tier}", "external_id": {ext}}}'
        snapshot = f'{{"name": "{name}", "tier": "{tier}"' + ("" if external is None else f', "external_id": {ext}') + "}"
        found = _accounts[a] = (name, tier, external, domain, column, snapshot)
    return found


def contact_json(c: int) -> tuple[str, str, str | None, str, int | None, str, str]:
    """Contact ``c`` with its column JSON and its intake-snapshot JSON, made once per process."""
    found = _contacts.get(c)
    if found is None:
        name, email, phone, language, account = contact_of(c)
        ph = "null" if phone is None else f'"{phone}"'
        column = (f'{{"name": "{name}", "email": "{email}", "phone": {ph}, "language": "{language}", '
                  '"preferred_channel": null}')  # fmt: skip
        snapshot = (f'{{"name": "{name}", "email": "{email}"' + ("" if phone is None else f', "phone": {ph}')
                    + f', "language": "{language}"}}')  # fmt: skip
        found = _contacts[c] = (name, email, phone, language, account, column, snapshot)
    return found


def contact_of(c: int) -> tuple[str, str, str | None, str, int | None]:
    """Contact number ``c``: name, email, phone, language, account number (``None``: a consumer)."""
    h = (c * 2246822519 + 374761393) & 0xFFFFFFFF
    first, last = FIRST[c % len(FIRST)], LAST[(c // len(FIRST)) % len(LAST)]
    account = None if h % 100 < CONSUMER_SHARE else (h >> 8) % N_ACCOUNTS
    domain = CONSUMER_DOMAINS[h % len(CONSUMER_DOMAINS)] if account is None else account_of(account)[3]
    email = f"{first}.{last}{c // (len(FIRST) * len(LAST)) or ''}@{domain}"
    phone = f"+49 30 {h % 9_000_000 + 1_000_000}" if (h >> 4) % 10 < 4 else None
    language = PICK_LANGUAGE(lambda: ((h >> 12) % 1000) / 1000)
    return f"{first.title()} {last.title()}", email, phone, language, account


# -- one case's life ---------------------------------------------------------------------------


class Clock:
    """One SLA target on the case, as :class:`casehub.model.SlaTarget` with integer epoch seconds."""

    __slots__ = ("name", "policy", "state", "due", "warn", "warned", "target", "elapsed", "started", "met", "breached")

    def __init__(self, name: str, policy: str, target: int, started: int) -> None:
        self.name, self.policy, self.state = name, policy, "running"
        self.target, self.elapsed, self.started = target, 0, started
        self.warned = False
        self.met: int | None = None
        self.breached: int | None = None
        self.due: int | None = None
        self.warn: int | None = None
        self.schedule(started)

    def schedule(self, now: int) -> None:
        """``SlaClocks._schedule`` on an around-the-clock calendar."""
        left = self.target - self.elapsed
        self.due = self.started + max(left, 0)
        self.warn = self.started + max(left - int(self.target * WARN_SHARE), 0)
        if self.warned and self.warn > now:
            self.warned = False

    def json(self) -> str:
        return (
            f'{{"name": "{self.name}", "policy": "{self.policy}", "state": "{self.state}", "due_at": {jt(self.due)}, '
            f'"warn_at": {jt(self.warn)}, "warned": {"true" if self.warned else "false"}, '
            f'"target_seconds": {float(self.target)!r}, "elapsed_seconds": {float(self.elapsed)!r}, '
            f'"started_at": {jt(self.started)}, "met_at": {jt(self.met)}, "breached_at": {jt(self.breached)}}}'
        )


class Life:
    """One case from creation to ``end``: its row and its events, written as the service and the rules would.

    Each method is one command (a transaction in casehub): it appends the
    events in casehub's order and moves ``version`` and ``updated_at`` as the
    service does. :meth:`tick` plays the SLA scheduler up to a moment.
    """

    def __init__(self, case_id: str, created: int, policy: str, contact_email: str) -> None:
        self.id = case_id
        self.created = created
        self.events: list[tuple[int, str, str, str]] = []  # (at, type, actor, data as JSON)
        self.status = "new"
        self.version = 1
        self.updated_at = created
        self.first_response_at: int | None = None
        self.resolved_at: int | None = None
        self.closed_at: int | None = None
        self.escalated_at: int | None = None
        self.reopens = 0
        self.agent_replies = 0
        self.csat: str | None = None
        self.nonce: str | None = None
        self.surveys = self.breaches = 0
        self.contact_email = contact_email
        self.policy = policy
        first, resolution = POLICIES[policy]
        self.clocks = [Clock("first_response", policy, first, created), Clock("resolution", policy, resolution, created)]

    def emit(self, at: int, type_: str, actor: str, data: str) -> None:
        self.events.append((at, type_, actor, data))

    # -- the SLA clocks (SlaClocks in casehub.rules.sla) -----------------------------------

    def _meet(self, clock: Clock, now: int) -> bool:
        if clock.met is not None:
            return False
        if clock.state in ("running", "breached") and clock.started is not None:
            clock.elapsed += now - clock.started
        clock.met, clock.started = now, None
        within = clock.state != "breached"
        clock.state = "met" if within else "breached"
        clock.due = clock.warn = None
        self.emit(now, "sla.met", RULES, f'{{"target": "{clock.name}", "policy": "{clock.policy}", '
                                         f'"within_target": {"true" if within else "false"}}}')  # fmt: skip
        return True

    def _pause(self, now: int) -> bool:
        changed = False
        for clock in self.clocks:
            if clock.state == "running":
                clock.elapsed += now - (clock.started or now)
                clock.state, clock.started, clock.due, clock.warn = "paused", None, None, None
                self.emit(now, "sla.paused", RULES, f'{{"target": "{clock.name}", "policy": "{clock.policy}"}}')
                changed = True
        return changed

    def _resume(self, now: int, reopened: bool) -> bool:
        changed = False
        for clock in self.clocks:
            revive = reopened and clock.name == "resolution" and clock.met is not None
            if clock.state == "paused" or revive:
                changed = True
                if revive:
                    clock.met = None
                    if clock.breached is not None:
                        clock.state, clock.started = "breached", now
                        continue
                clock.state, clock.started = "running", now
                clock.schedule(now)
                self.emit(now, "sla.resumed", RULES, f'{{"target": "{clock.name}", "policy": "{clock.policy}", '
                                                     f'"due_at": "{iso(clock.due)}"}}')  # type: ignore[arg-type]  # fmt: skip
        return changed

    def tick(self, until: int) -> None:
        """The scheduler's ticks up to ``until``: each fires what is due (``SlaClocks.due``), one row write each."""
        while True:
            nxt = None
            for clock in self.clocks:
                if clock.state != "running":
                    continue
                for x in (None if clock.warned else clock.warn, clock.due):
                    if x is not None and (nxt is None or x < nxt):
                        nxt = x
            if nxt is None:
                return
            at = -(-nxt // TICK) * TICK
            if at > until:
                return
            for clock in self.clocks:
                if clock.state != "running":
                    continue
                due = f'"{iso(clock.due)}"' if clock.due is not None else "null"
                if not clock.warned and clock.warn is not None and clock.warn <= at:
                    clock.warned = True
                    self.emit(at, "sla.warning", SCHEDULER,
                              f'{{"target": "{clock.name}", "policy": "{clock.policy}", "due_at": {due}}}')  # fmt: skip
                if clock.due is not None and clock.due <= at:
                    clock.state, clock.breached, clock.warned = "breached", clock.due, True
                    self.breaches += 1
                    self.emit(at, "sla.breached", SCHEDULER,
                              f'{{"target": "{clock.name}", "policy": "{clock.policy}", "due_at": {due}}}')  # fmt: skip
            self.version += 1  # the clocks are written; updated_at is not

    # -- commands ------------------------------------------------------------------------------

    def create(self, actor: str, snapshot: str, assignment: tuple[str, str, str] | None) -> None:
        """``CaseService.create``: the row (version 1), ``case.created``, then the rules (one more row write)."""
        t = self.created
        self.emit(t, "case.created", actor, snapshot)
        due = ", ".join(f'"{c.name}": "{iso(c.due)}"' for c in self.clocks)  # type: ignore[arg-type]
        self.emit(t, "sla.applied", RULES, f'{{"policy": "{self.policy}", "previous": null, "due": {{{due}}}}}')
        if assignment is not None:
            rule, queue, owner = assignment
            self.emit(t, "rule.fired", RULES, f'{{"rule": "{rule}", "kind": "assignment", "event": "case.created", '
                                              f'"actions": ["queue \\u2192 {queue}, owner \\u2192 {owner}"]}}')  # fmt: skip
            change = f'"queue": [null, "{queue}"], "owner": [null, "{owner}"]'
            self.emit(t, "case.updated", RULES, f'{{"changes": {{{change}}}}}')
            self.emit(t, "case.assigned", RULES, f"{{{change}}}")
        self.version = 2

    def comment(self, t: int, actor: str, author: str, body: str, public: bool) -> None:
        """``CaseService.comment``: a public reply by anyone but the contact counts, and meets the first response."""
        self.version += 1
        self.updated_at = t
        self.emit(t, "comment.added", actor, f'{{"body": {body}, "public": {"true" if public else "false"}, '
                                             f'"author": "{author}"}}')  # fmt: skip
        if public and author != self.contact_email:
            self.agent_replies += 1
            if self.first_response_at is None:
                self.first_response_at = t
            if self._meet(self.clocks[0], t):
                self.version += 1

    def set_status(self, t: int, new: str, actor: str, survey: tuple[str, str] | None = None) -> None:
        """``CaseService._change`` for a status, then the SLA clocks' reaction and the survey trigger."""
        old = self.status
        if new not in _ALLOWED[old]:
            raise AssertionError(f"{self.id}: {old} -> {new} is not allowed")
        self.version += 1
        self.updated_at = t
        self.emit(t, "case.updated", actor, f'{{"changes": {{"status": ["{old}", "{new}"]}}}}')
        self.emit(t, "case.status_changed", actor, f'{{"from": "{old}", "to": "{new}"}}')
        if new == "resolved":
            self.resolved_at = t
        elif new == "closed":
            self.closed_at = t
            self.resolved_at = self.resolved_at or t
        elif old == "resolved":
            self.resolved_at = None
            self.reopens += 1
        self.status = new
        if new in STOPPED:
            changed = any([self._meet(c, t) for c in self.clocks])
        elif new == "pending":
            changed = self._pause(t)
        elif old == "pending" or old in STOPPED:
            changed = self._resume(t, reopened=old in STOPPED)
        else:
            changed = False
        if new == "resolved" and survey is not None:
            nonce, body = survey
            self.nonce = nonce
            self.surveys += 1
            self.emit(t, "rule.fired", RULES, '{"rule": "survey resolved cases", "kind": "trigger", '
                                              '"event": "case.status_changed", "actions": ["CSAT survey sent"]}')  # fmt: skip
            self.emit(t, "comment.added", RULES, f'{{"body": {body}, "public": true, "author": "rules"}}')
            self.emit(t, "csat.requested", RULES, f'{{"nonce": "{nonce}", "expires_at": "{iso(t + SURVEY_DAYS * DAY)}"}}')
        if changed:
            self.version += 1

    def escalate(self, t: int) -> None:
        self.version += 1
        self.updated_at = t
        self.emit(t, "case.updated", AGENT_ACTOR, '{"changes": {"is_escalated": [false, true]}}')
        if self.escalated_at is None:
            self.escalated_at = t

    def answer(self, t: int, score: int, comment: str) -> None:
        """``casehub.csat.answers.record_answer``: ``csat.received`` and the ``csat`` column, no ``case.updated``."""
        data = f'"score": {score}, "comment": {comment}, "nonce": "{self.nonce}"'
        self.emit(t, "csat.received", CUSTOMER, f"{{{data}}}")
        self.csat = f'{{{data}, "at": "{iso(t)}"}}'
        self.version += 1
        self.updated_at = t

    def business_seconds(self) -> tuple[float | None, float | None]:
        """The met first-response and resolution clocks' counted seconds, as ``casehub.store.cases.business_seconds``."""
        first, resolution = self.clocks
        return tuple(float(c.elapsed) if c.met is not None else None for c in (first, resolution))  # type: ignore[return-value]

    def next_sla_at(self) -> int | None:
        times = []
        for c in self.clocks:
            if c.state == "running" and c.due is not None:
                times.append(c.due)
                if not c.warned and c.warn is not None:
                    times.append(c.warn)
        return min(times, default=None)


def ulid(ms: int, rng: random.Random) -> str:
    """A ULID (what ``str(ULID())`` gives casehub) for a creation time, its random part from ``rng``."""
    value = (ms << 80) | rng.getrandbits(80)  # 128 bits; shifted to 160, base32 of its top 130 bits is the ULID
    return base64.b32encode((value << 30).to_bytes(20, "big")).decode()[:26].translate(_CROCKFORD)


def token(rng: random.Random, n: int) -> str:
    """``secrets.token_urlsafe(n)``, from ``rng``."""
    return base64.urlsafe_b64encode(rng.getrandbits(8 * n).to_bytes(n, "big")).decode().rstrip("=")


def _ln(rng: random.Random, median: float, sigma: float) -> int:
    return int(rng.lognormvariate(math.log(median), sigma))


PRIORITY_PACE = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 1.6}
RESOLUTION_MEDIAN = {"question": 8 * HOUR, "problem": 30 * HOUR, "incident": 16 * HOUR, "feedback": 72 * HOUR,
                     "request": 40 * HOUR}  # fmt: skip
EXTRA_REPLIES = Weighted([(0, 60), (1, 25), (2, 9), (3, 4), (4, 2)])
AFTER_FIRST_REPLY = Weighted([(None, 72), ("open", 16), ("pending", 10), ("on_hold", 2)])
STALLED_STATUS = Weighted([("open", 45), ("pending", 40), ("on_hold", 15)])


def live(i: int, rng: random.Random, timeline: Timeline) -> tuple[tuple[Any, ...], Life]:
    """Plan case ``i``'s whole life, then play what of it happened by ``end``.

    Returns the case's column values (backend-neutral: times as epoch seconds,
    JSON as text) and its simulation (events, counters).
    """
    r = rng.random

    def rr(lo: int, hi: int) -> int:  # rng.randrange(lo, hi) at a quarter of the cost
        return lo + int(r() * (hi - lo))

    end = timeline.end
    t0 = timeline.created(i, r())
    case_id = ulid(t0 * 1000 + rr(0, 1000), rng)
    channel, priority, ctype = PICK_CHANNEL(r), PICK_PRIORITY(r), PICK_TYPE(r)
    queue = "feedback" if ctype == "feedback" else PICK_QUEUE(r)
    name, email, phone, language, account_no, contact_column, contact_snapshot = contact_json(rr(0, N_CONTACTS))
    account = account_json(account_no) if account_no is not None else None
    policy = "premium" if account is not None and account[1] in PREMIUM_TIERS else "standard"
    agents = QUEUE_AGENTS[queue]
    owner = agents[rr(0, len(agents))]
    subject = rng.choice(SUBJECTS[queue]).format(n=rr(10_000, 99_999), m=rr(2, 60))
    description = " ".join(rng.sample(SENTENCES, rr(1, 5)))
    if rng.random() < 0.3:
        description = f"Hello,\n\n{description}\n\nBest regards,\n{name}"
    tags = [t for t in dict.fromkeys((PICK_TAG(r), PICK_TAG(r))) if t]  # not a set: its order varies by process

    # The intake snapshot: CaseDraft.model_dump(mode="json", exclude_defaults=True), in the model's field order.
    tags_json = "[" + ", ".join(f'"{t}"' for t in tags) + "]"
    draft = f'{{"subject": {js(subject)}, "description": {js(description)}'
    if priority != "normal":
        draft += f', "priority": "{priority}"'
    if ctype != "question":
        draft += f', "type": "{ctype}"'
    if channel != "api":
        draft += f', "channel": "{channel}"'
    draft += f', "contact": {contact_snapshot}'
    if account is not None:
        draft += f', "account": {account[5]}'
    if tags:
        draft += f', "tags": {tags_json}'
    by_agent = channel in ("phone", "chat")
    if by_agent:
        draft += f', "queue": "{queue}", "owner": "{owner}"'
    draft += "}"

    life = Life(case_id, t0, policy, email)
    life.create(INTAKE_ACTOR[channel], draft,
                None if by_agent else (f"{queue} cases to {queue}", queue, owner))  # fmt: skip

    # -- the plan: (at, order, what, argument) ----------------------------------------------
    plan: list[tuple[int, int, str, Any]] = []

    def at(t: int, what: str, arg: Any = None) -> None:
        plan.append((t, len(plan), what, arg))

    resolution_target = POLICIES[policy][1]
    surveyed = False
    if r() < 0.03:  # spam, duplicates: closed without an answer
        at(t0 + 60 + _ln(rng, 2 * HOUR, 1.0), "status", "closed")
    else:
        stalled = r() < 0.02
        pace = PRIORITY_PACE[priority]
        fr_median = (20 * 60 if policy == "premium" else 2 * HOUR) * pace * (0.3 if by_agent else 1.0)
        r1 = t0 + 30 + _ln(rng, fr_median, 1.2) if stalled or r() < 0.975 else None
        res_delay = _ln(rng, RESOLUTION_MEDIAN[ctype] * pace * (0.7 if policy == "premium" else 1.0), 1.1)
        res = None if stalled else t0 + max(res_delay, (r1 - t0 + 120) if r1 else 300)
        horizon = res if res is not None else (r1 or t0) + 600 + _ln(rng, 5 * DAY, 1.0)
        replies = 0
        if r1 is not None:
            at(r1, "reply")
            replies = 1
            extra = EXTRA_REPLIES(r) if horizon - r1 > 3600 else 0
            times = sorted(rr(r1 + 600, horizon - 300) for _ in range(extra))
            prev = r1
            contact_replies = []
            for t in times:
                if r() < 0.55 and t - prev > 600:  # after the status change that follows the first reply
                    contact_replies.append(rr(prev + 400, t - 60))
                    at(contact_replies[-1], "contact")
                at(t, "reply")
                prev = t
            replies += extra
            next_status = STALLED_STATUS(r) if stalled else AFTER_FIRST_REPLY(r)
            if next_status is not None and r1 + 400 < horizon - 60:
                at(r1 + rr(20, 300), "status", next_status)
                if next_status == "pending" and contact_replies:
                    back = contact_replies[0] + rr(60, 1200)
                    if back < horizon - 30:
                        at(back, "status", "open")
        escalate_p = 0.22 if stalled or res_delay > resolution_target else 0.035
        if r() < escalate_p and horizon - t0 > 1200:
            at(rr(t0 + 300, min(horizon, t0 + 10 * DAY) - 60), "escalate")
        if r() < 0.12:
            at(rr(t0 + 60, horizon + 1), "note", owner)
        if res is not None:
            surveyed = r() < 0.40
            at(res, "status", "resolved")
            final = res
            if r() < 0.08:  # the customer writes back and the case is reopened, then resolved again
                back = res + 300 + _ln(rng, 36 * HOUR, 1.0)
                at(back, "contact")
                reopen = back + rr(120, 3600)
                at(reopen, "status", "open")
                final = reopen + 600 + _ln(rng, 20 * HOUR, 1.0)
                if replies < 5:
                    at(reopen + rr(60, final - reopen - 60), "reply")
                at(final, "status", "resolved")
            if r() < 0.30:
                at(final + rr(DAY, 10 * DAY), "status", "closed")
            if surveyed and r() < 0.35:
                at(final + min(_ln(rng, 6 * HOUR, 1.5), (SURVEY_DAYS - 1) * DAY) + 30, "csat")

    # -- play it until ``end`` ---------------------------------------------------------------
    plan.sort()
    number = f"C-{i + 1:06d}"
    first_name = name.split()[0]
    for t, _, what, arg in plan:
        if t > end:
            break
        life.tick(t)
        if what == "reply":
            body = f"Hello {first_name},\n\n{rng.choice(AGENT_REPLIES)}\n\nBest regards,\n{owner.title()}"
            life.comment(t, AGENT_ACTOR, owner, js(body), True)
        elif what == "contact":
            life.comment(t, CONTACT_ACTOR, email, rng.choice(CONTACT_REPLIES_JSON), True)
        elif what == "note":
            life.comment(t, AGENT_ACTOR, arg, rng.choice(NOTES_JSON), False)
        elif what == "escalate":
            life.escalate(t)
        elif what == "status":
            survey = None
            if arg == "resolved" and surveyed:
                link = f"{PUBLIC_URL}/csat/{token(rng, 72)}"
                survey = (token(rng, 12), SURVEY_BODY_JSON.format(name=name, number=number, subject=subject, url=link))
            life.set_status(t, arg, AGENT_ACTOR, survey)
        elif what == "csat":
            score = PICK_SCORE(r)
            life.answer(t, score, rng.choice(CSAT_COMMENTS_JSON[score]))
    life.tick(end)

    row = (
        i + 1, case_id, subject, description, life.status, priority, ctype, channel, email, contact_column,
        account[0] if account else None, account[4] if account else "null", tags_json, queue, owner,
        life.escalated_at is not None, "{}", "[]", "[" + ", ".join(c.json() for c in life.clocks) + "]", life.next_sla_at(), life.csat or "null",
        t0, life.updated_at, life.first_response_at, life.resolved_at, life.closed_at, life.version, life.reopens,
        life.agent_replies, life.escalated_at, *life.business_seconds(),
    )  # fmt: skip
    return row, life


CASE_COLUMNS = (
    "seq", "id", "subject", "description", "status", "priority", "type", "channel", "contact_email", "contact",
    "account_name", "account", "tags", "queue", "owner", "is_escalated", "custom_fields", "external_links", "sla",
    "next_sla_at", "csat", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "version",
    "reopens", "agent_replies", "escalated_at", "first_response_business_s", "resolution_business_s",
)  # fmt: skip
EVENT_COLUMNS = ("case_id", "type", "at", "actor", "data")
_TIME_COLUMNS = {CASE_COLUMNS.index(c) for c in ("next_sla_at", "created_at", "updated_at", "first_response_at",
                                                  "resolved_at", "closed_at", "escalated_at")}  # fmt: skip
_TEXT_COLUMNS = {CASE_COLUMNS.index(c) for c in ("subject", "description", "contact", "account", "sla", "csat",
                                                  "account_name")}  # fmt: skip


# -- chunks (one per task of a worker process) ---------------------------------------------------

_job: dict[str, Any] = {}


def _init(seed: int, n: int, end: int, backend: str, copy_url: str | None = None) -> None:
    """Set up a worker; with ``copy_url`` (PostgreSQL) it COPYs its chunks itself, over a connection of its own."""
    # A worker only makes short-lived lists of tuples: the cycle collector would walk them again and again.
    gc.disable()
    _job.update(seed=seed, timeline=Timeline(end, n), backend=backend, conn=None)
    if copy_url is not None:
        import psycopg
        from multiprocessing.util import Finalize

        conn = psycopg.connect(copy_url)
        conn.execute("SET synchronous_commit = off")
        conn.commit()
        _job["conn"] = conn
        Finalize(conn, conn.close, exitpriority=10)  # run when the pool closes and the worker exits


def _copy_text(value: str) -> str:
    """A value for PostgreSQL's COPY text format."""
    if "\\" in value or "\n" in value or "\t" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return value


def make_chunk(k: int, size: int) -> tuple[int, int, Any, Any, Counter[str]]:
    """Chunk ``k``: cases ``k*size`` on, from a generator seeded by (seed, k); rows ready for the backend."""
    timeline: Timeline = _job["timeline"]
    rng = random.Random(f"{_job['seed']}:{k}")
    first, last = k * size, min((k + 1) * size, timeline.n)
    rows, events = [], []
    stats: Counter[str] = Counter()
    for i in range(first, last):
        row, life = live(i, rng, timeline)
        rows.append(row)
        for n, (t, type_, actor, data) in enumerate(life.events):
            events.append((t, i, n, life.id, type_, actor, data))
        stats[f"status:{life.status}"] += 1
        stats["events"] += len(life.events)
        stats["reopened"] += life.reopens > 0
        stats["escalated"] += life.escalated_at is not None
        stats["answered"] += life.first_response_at is not None
        stats["surveys"] += life.surveys
        stats["responses"] += life.csat is not None
        stats["breaches"] += life.breaches
    events.sort()  # time order within the chunk; a case's own events keep theirs (same instant: by n)
    if _job["backend"] == "postgresql":
        lines = []
        for row in rows:
            values = []
            for c, v in enumerate(row):
                if c in _TIME_COLUMNS:
                    values.append(db_time_pg(v))
                elif v is None:
                    values.append("\\N")
                elif c in _TEXT_COLUMNS:
                    values.append(_copy_text(v))
                elif v is True or v is False:
                    values.append("t" if v else "f")
                else:
                    values.append(str(v))
            lines.append("\t".join(values))
        case_data: Any = "\n".join(lines) + "\n"
        event_data: Any = "".join(
            # JSON text has no raw newlines or tabs; its escapes' backslashes must be doubled for COPY.
            f"{cid}\t{type_}\t{db_time_pg(t)}\t{actor}\t{data.replace(chr(92), chr(92) * 2)}\n"
            for t, _, _, cid, type_, actor, data in events
        )
    else:
        case_data = [
            tuple(db_time_sqlite(v) if c in _TIME_COLUMNS else (int(v) if v is True or v is False else v)
                  for c, v in enumerate(row))
            for row in rows
        ]  # fmt: skip
        event_data = [(cid, type_, db_time_sqlite(t), actor, data) for t, _, _, cid, type_, actor, data in events]
    if _job["conn"] is not None:
        copy_chunk(_job["conn"], case_data, event_data)
        case_data = event_data = None
    return last - first, len(events), case_data, event_data, stats


def copy_chunk(conn: Any, cases: str, events: str) -> None:
    """One chunk into PostgreSQL: a COPY per table, one transaction."""
    cur = conn.cursor()
    with cur.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
        copy.write(cases)
    with cur.copy(f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
        copy.write(events)
    conn.commit()


# -- loading ---------------------------------------------------------------------------------------


def backend_of(url: str) -> str:
    return make_url(normalise_url(url)).get_backend_name()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise SystemExit("a SQLite URL with a file is needed (sqlite:///bench-report.db)")
    return Path(database)


class Loader:
    """Schema, bulk writes and the indexes afterwards; one subclass per database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def prepare(self, fresh: bool) -> None:
        raise NotImplementedError

    def write(self, cases: Any, events: Any) -> None:
        raise NotImplementedError

    def finish(self, log: Callable[[str], None]) -> None:
        raise NotImplementedError

    def size(self) -> int:
        raise NotImplementedError

    def _migrate(self) -> None:
        engine = make_engine(self.url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()


class PostgresLoader(Loader):
    """COPY in text format, one COPY per table per chunk and a commit per chunk, by the worker processes.

    Each worker generates a chunk and COPYs it over its own connection, so
    generating and PostgreSQL's parsing (about 9 µs of server CPU per event
    row, most of it the JSONB) overlap on every core; the rows never pass
    through this process. Event ids of two chunks loaded at once interleave;
    within a chunk they follow time.

    The secondary indexes of ``cases`` and ``events`` and the events' foreign
    key are dropped before and recreated after (their definitions read from
    the catalogue). Primary keys and ``uq_cases_id`` stay: other tables'
    foreign keys hang on them.
    """

    def prepare(self, fresh: bool) -> None:
        import psycopg

        if fresh:
            engine = create_engine(normalise_url(self.url), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for table in reversed(metadata.sorted_tables):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                conn.execute(text("DROP FUNCTION IF EXISTS casehub_events_append_only() CASCADE"))
            engine.dispose()
        self._migrate()
        self.conn = psycopg.connect(self.copy_url())
        cur = self.conn.cursor()
        if cur.execute("SELECT EXISTS (SELECT 1 FROM cases)").fetchone()[0]:  # type: ignore[index]
            raise SystemExit("the database has cases already: use --fresh")
        self.schema_before = self._schema()
        self.indexes = cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('cases', 'events') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        ).fetchall()
        self.foreign_keys = cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'events'::regclass AND contype = 'f'"
        ).fetchall()
        for name, _ in self.foreign_keys:
            cur.execute(f'ALTER TABLE events DROP CONSTRAINT "{name}"')
        for name, _ in self.indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET synchronous_commit = off")
        self.conn.commit()

    def _schema(self) -> set[tuple[str, ...]]:
        cur = self.conn.cursor()
        indexes = cur.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        ).fetchall()
        constraints = cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace"
        ).fetchall()
        return {tuple(r) for r in indexes} | {tuple(r) for r in constraints}

    def copy_url(self) -> str:
        """Where the worker processes COPY their chunks to: each parses and sends its own, in parallel."""
        return normalise_url(self.url).replace("postgresql+psycopg://", "postgresql://", 1)

    def write(self, cases: str | None, events: str | None) -> None:
        """Nothing left to do: the worker wrote the chunk (see :func:`copy_chunk`)."""

    def finish(self, log: Callable[[str], None]) -> None:
        cur = self.conn.cursor()
        cur.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in self.indexes:
            t = time.perf_counter()
            cur.execute(definition)
            self.conn.commit()
            log(f"index {name}: {time.perf_counter() - t:.1f} s")
        for name, definition in self.foreign_keys:
            t = time.perf_counter()
            cur.execute(f'ALTER TABLE events ADD CONSTRAINT "{name}" {definition}')
            self.conn.commit()
            log(f"foreign key {name} (validated): {time.perf_counter() - t:.1f} s")
        cur.execute("SELECT setval(pg_get_serial_sequence('cases', 'seq'), (SELECT coalesce(max(seq), 1) FROM cases))")
        self.conn.commit()
        if self._schema() != self.schema_before:
            raise SystemExit("the schema after the load differs from the one the migrations made")
        self.conn.commit()
        self.conn.autocommit = True
        t = time.perf_counter()
        # VACUUM as well: a freshly copied table has no visibility map and unset hint bits, so the first
        # report would pay for writing them; a database in use has been vacuumed by autovacuum.
        cur.execute("VACUUM (ANALYZE) cases")
        cur.execute("VACUUM (ANALYZE) events")
        log(f"VACUUM (ANALYZE): {time.perf_counter() - t:.1f} s")

    def size(self) -> int:
        return int(self.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]

    def close(self) -> None:
        self.conn.close()


class SqliteLoader(Loader):
    """``executemany`` in one transaction per chunk, WAL and ``synchronous=OFF``, indexes built at the end."""

    def prepare(self, fresh: bool) -> None:
        path = sqlite_path(self.url)
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        self._migrate()
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        if self.conn.execute("SELECT EXISTS (SELECT 1 FROM cases)").fetchone()[0]:
            raise SystemExit("the database has cases already: use --fresh")
        self.schema_before = self._schema()
        for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-524288", "temp_store=MEMORY"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('cases', 'events') "
            "AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.insert_cases = f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({', '.join('?' * len(CASE_COLUMNS))})"
        self.insert_events = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"

    def _schema(self) -> set[tuple[str, ...]]:
        return {tuple(r) for r in self.conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")}

    def write(self, cases: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(self.insert_cases, cases)
        self.conn.executemany(self.insert_events, events)
        self.conn.execute("COMMIT")

    def finish(self, log: Callable[[str], None]) -> None:
        for name, sql in self.indexes:
            t = time.perf_counter()
            self.conn.execute(sql)
            log(f"index {name}: {time.perf_counter() - t:.1f} s")
        if self._schema() != self.schema_before:
            raise SystemExit("the schema after the load differs from the one the migrations made")
        t = time.perf_counter()
        self.conn.execute("ANALYZE")
        log(f"ANALYZE: {time.perf_counter() - t:.1f} s")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def size(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def close(self) -> None:
        self.conn.close()


def load(url: str, n: int, end: datetime, *, seed: int, chunk: int, workers: int, fresh: bool,
         quiet: bool = False) -> dict[str, Any]:  # fmt: skip
    """Fill the database at ``url``; returns what was written and how long it took."""
    backend = backend_of(url)
    if backend not in ("postgresql", "sqlite"):
        raise SystemExit(f"unsupported database {backend!r}: PostgreSQL or SQLite")
    loader: PostgresLoader | SqliteLoader = PostgresLoader(url) if backend == "postgresql" else SqliteLoader(url)
    log = (lambda _: None) if quiet else console.log
    started = time.perf_counter()
    loader.prepare(fresh)
    log(f"schema ready (casehub migrations; {len(loader.indexes)} indexes set aside for the load)")
    end_s = int(end.timestamp())
    chunks = math.ceil(n / chunk)
    stats: Counter[str] = Counter()
    cases_done = events_done = 0
    waited = 0.0
    load_started = time.perf_counter()
    ctx = mp.get_context("fork")
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("cases · {task.fields[events]:,} events · {task.fields[rate]:,.0f} rows/s"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=console, disable=quiet)  # fmt: skip
    gc.disable()  # this process unpickles millions of tuples per minute, none of them in a cycle
    copy_url = loader.copy_url() if isinstance(loader, PostgresLoader) else None
    pool = ctx.Pool(workers, initializer=_init, initargs=(seed, n, end_s, backend, copy_url))
    try:
        with progress:
            task = progress.add_task(f"{backend}", total=n, events=0, rate=0.0)
            pending: deque[Any] = deque()
            submitted = 0
            while submitted < chunks or pending:
                # At most two chunks per worker in flight: generation must not run ahead of the database into memory.
                while submitted < chunks and len(pending) < 2 * workers:
                    pending.append(pool.apply_async(make_chunk, (submitted, chunk)))
                    submitted += 1
                t = time.perf_counter()
                n_cases, n_events, case_data, event_data, chunk_stats = pending.popleft().get()
                waited += time.perf_counter() - t
                loader.write(case_data, event_data)
                cases_done += n_cases
                events_done += n_events
                stats.update(chunk_stats)
                rate = (cases_done + events_done) / (time.perf_counter() - load_started)
                progress.update(task, advance=n_cases, events=events_done, rate=rate)
        pool.close()
        pool.join()  # the workers close their PostgreSQL connections as they exit
    finally:
        pool.terminate()
    gc.enable()
    load_seconds = time.perf_counter() - load_started
    log(f"rows written in {load_seconds:.1f} s ({waited:.1f} s waiting for the workers); building indexes")
    finish_started = time.perf_counter()
    loader.finish(log)
    finish_seconds = time.perf_counter() - finish_started
    size = loader.size()
    loader.close()
    return {
        "backend": backend, "cases": cases_done, "events": events_done, "load_seconds": load_seconds,
        "finish_seconds": finish_seconds, "seconds": time.perf_counter() - started, "bytes": size, "stats": stats,
        "start": Timeline(end_s, n).start, "end": end_s,
    }  # fmt: skip


# -- --check -------------------------------------------------------------------------------------

# Each query counts cases (or events) that break a rule; all must be 0. SQLite dialect.
AGENT_REPLY = (
    "e.type = 'comment.added' AND e.actor != 'rules' AND json_extract(e.data, '$.public') = 1 "
    "AND lower(json_extract(e.data, '$.author')) != coalesce(lower(c.contact_email), '')"
)
CHECKS: dict[str, str] = {
    "reopens = resolved -> open-state transitions": """
        SELECT count(*) FROM cases c WHERE reopens != (SELECT count(*) FROM events e WHERE e.case_id = c.id
          AND e.type = 'case.status_changed' AND json_extract(e.data, '$.from') = 'resolved'
          AND json_extract(e.data, '$.to') != 'closed')""",
    "agent_replies = public comments by others than the contact and the rules": f"""
        SELECT count(*) FROM cases c WHERE agent_replies != (SELECT count(*) FROM events e WHERE e.case_id = c.id
          AND {AGENT_REPLY})""",
    "first_response_at = first agent reply": f"""
        SELECT count(*) FROM cases c WHERE first_response_at IS NOT (SELECT min(e.at) FROM events e
          WHERE e.case_id = c.id AND {AGENT_REPLY})""",
    "escalated_at = first escalation": """
        SELECT count(*) FROM cases c WHERE escalated_at IS NOT (SELECT min(e.at) FROM events e WHERE e.case_id = c.id
          AND e.type = 'case.updated' AND json_extract(e.data, '$.changes.is_escalated[1]') = 1)
          OR is_escalated != (escalated_at IS NOT NULL)""",
    "status = the last status change's 'to' (or new)": """
        SELECT count(*) FROM cases c WHERE status != coalesce((SELECT json_extract(e.data, '$.to') FROM events e
          WHERE e.case_id = c.id AND e.type = 'case.status_changed' ORDER BY e.id DESC LIMIT 1), 'new')""",
    "each status change leaves from the status the one before went to": """
        SELECT count(*) FROM (SELECT json_extract(data, '$.from') AS f,
          lag(json_extract(data, '$.to'), 1, 'new') OVER (PARTITION BY case_id ORDER BY id) AS prev
          FROM events WHERE type = 'case.status_changed') WHERE f != prev""",
    "case.updated with a status accompanies every status change": """
        SELECT abs((SELECT count(*) FROM events WHERE type = 'case.status_changed')
          - (SELECT count(*) FROM events WHERE type = 'case.updated' AND json_extract(data, '$.changes.status') IS NOT NULL))""",
    "resolved cases have resolved_at, open ones none": """
        SELECT count(*) FROM cases WHERE (status IN ('resolved', 'closed')) != (resolved_at IS NOT NULL)""",
    "resolved_at = the latest resolution (or the close without one)": """
        SELECT count(*) FROM cases c WHERE status IN ('resolved', 'closed') AND resolved_at IS NOT coalesce(
          (SELECT max(e.at) FROM events e WHERE e.case_id = c.id AND e.type = 'case.status_changed'
            AND json_extract(e.data, '$.to') = 'resolved'), closed_at)""",
    "closed_at = the close, only for closed cases": """
        SELECT count(*) FROM cases c WHERE closed_at IS NOT (SELECT max(e.at) FROM events e WHERE e.case_id = c.id
          AND e.type = 'case.status_changed' AND json_extract(e.data, '$.to') = 'closed')""",
    "one case.created per case, its first event, at created_at": """
        SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM events e WHERE e.case_id = c.id
          AND e.type = 'case.created') != 1 OR (SELECT e.type || e.at FROM events e WHERE e.case_id = c.id
          ORDER BY e.id LIMIT 1) != 'case.created' || c.created_at""",
    "event ids ascend with time per case": """
        SELECT count(*) FROM (SELECT at, lag(at) OVER (PARTITION BY case_id ORDER BY id) AS prev FROM events)
        WHERE prev > at""",
    "no event after updated_at but the scheduler's and the rules'": """
        SELECT count(*) FROM cases c WHERE updated_at < (SELECT max(e.at) FROM events e WHERE e.case_id = c.id
          AND e.actor NOT IN ('sla', 'rules'))""",
    "csat = the answer received": """
        SELECT count(*) FROM cases c WHERE coalesce(json_extract(c.csat, '$.score'), 0) != coalesce((SELECT
          json_extract(e.data, '$.score') FROM events e WHERE e.case_id = c.id AND e.type = 'csat.received'), 0)
          OR coalesce(json_extract(c.csat, '$.nonce'), '') != coalesce((SELECT json_extract(e.data, '$.nonce')
          FROM events e WHERE e.case_id = c.id AND e.type = 'csat.received'), '')""",
    "every answer answers the case's latest survey": """
        SELECT count(*) FROM events r WHERE r.type = 'csat.received' AND json_extract(r.data, '$.nonce') IS NOT
          (SELECT json_extract(q.data, '$.nonce') FROM events q WHERE q.case_id = r.case_id
           AND q.type = 'csat.requested' AND q.id < r.id ORDER BY q.id DESC LIMIT 1)""",
    "no running or paused clock on a resolved or closed case": """
        SELECT count(*) FROM cases c, json_each(c.sla) t WHERE c.status IN ('resolved', 'closed')
          AND json_extract(t.value, '$.state') IN ('running', 'paused')""",
    "a clock is breached exactly when the scheduler said so": """
        SELECT count(*) FROM cases c, json_each(c.sla) t WHERE (json_extract(t.value, '$.state') = 'breached')
          != EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id AND e.type = 'sla.breached'
          AND json_extract(e.data, '$.target') = json_extract(t.value, '$.name'))
          OR (json_extract(t.value, '$.breached_at') IS NOT NULL) != (json_extract(t.value, '$.state') = 'breached')""",
    "a met clock's last sla.met is within target exactly when it was not breached": """
        SELECT count(*) FROM cases c, json_each(c.sla) t WHERE json_extract(t.value, '$.met_at') IS NOT NULL
          AND (SELECT json_extract(e.data, '$.within_target') FROM events e WHERE e.case_id = c.id
            AND e.type = 'sla.met' AND json_extract(e.data, '$.target') = json_extract(t.value, '$.name')
            ORDER BY e.id DESC LIMIT 1) != (json_extract(t.value, '$.state') = 'met')""",
    "one sla.met per resolution (and per first response)": """
        SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM events e WHERE e.case_id = c.id
          AND e.type = 'sla.met' AND json_extract(e.data, '$.target') = 'resolution') != (SELECT count(*)
          FROM events e WHERE e.case_id = c.id AND e.type = 'case.status_changed'
          AND json_extract(e.data, '$.to') IN ('resolved', 'closed') AND json_extract(e.data, '$.from') != 'resolved')
          OR (SELECT count(*) FROM events e WHERE e.case_id = c.id AND e.type = 'sla.met'
          AND json_extract(e.data, '$.target') = 'first_response') > 1""",
    "a met first-response clock counted the seconds from creation to its meeting (nothing pauses it first)": """
        SELECT count(*) FROM cases c, json_each(c.sla) t WHERE json_extract(t.value, '$.name') = 'first_response'
          AND json_extract(t.value, '$.met_at') IS NOT NULL AND abs(json_extract(t.value, '$.elapsed_seconds')
          - (julianday(json_extract(t.value, '$.met_at')) - julianday(c.created_at)) * 86400) > 1""",
    "the first-response clock is met by the first reply, or by a resolution before it": """
        SELECT count(*) FROM cases c, json_each(c.sla) t WHERE json_extract(t.value, '$.name') = 'first_response'
          AND c.first_response_at IS NOT NULL AND (json_extract(t.value, '$.met_at') IS NULL
          OR julianday(json_extract(t.value, '$.met_at')) > julianday(c.first_response_at) + 1e-6)""",
    "the business-seconds columns are the met clocks' counted seconds (NULL while not met)": """
        SELECT count(*) FROM cases c, json_each(c.sla) t WHERE json_extract(t.value, '$.name') IN ('first_response', 'resolution')
          AND (CASE json_extract(t.value, '$.name') WHEN 'first_response' THEN c.first_response_business_s
               ELSE c.resolution_business_s END) IS NOT (CASE WHEN json_extract(t.value, '$.met_at') IS NOT NULL
               THEN json_extract(t.value, '$.elapsed_seconds') END)""",
    "every event's case exists": "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)",
}  # fmt: skip


def check(url: str | None, cases: int, seed: int, end: datetime) -> int:
    """Load ``cases`` cases into a temporary SQLite file and hold the rows against the events; 0 when all agree.

    Also: the same chunk generated twice is identical (seeded), every row reads
    back as casehub's own models (``row_to_case``, ``Event``), ``next_sla_at``
    is what :func:`casehub.store.cases.next_sla_at` computes from the clocks;
    and with a PostgreSQL ``url`` (its casehub tables are replaced) the same
    cases loaded there read back equal, which checks the COPY path.
    """
    from casehub.store import cases as store

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        lite = f"sqlite:///{Path(tmp) / 'check.db'}"
        result = load(lite, cases, end, seed=seed, chunk=500, workers=1, fresh=True, quiet=True)
        console.log(f"{result['cases']:,} cases, {result['events']:,} events in a temporary SQLite database")
        _init(seed, cases, int(end.timestamp()), "sqlite")
        if make_chunk(1, 500)[2:4] != make_chunk(1, 500)[2:4]:
            console.print("[red]✗[/] the same chunk came out differently twice")
            failures += 1
        conn = sqlite3.connect(Path(tmp) / "check.db")
        for label, sql in CHECKS.items():
            bad = conn.execute(sql).fetchone()[0]
            mark = "[green]✓[/]" if bad == 0 else "[red]✗[/]"
            console.print(f"{mark} {label}" + ("" if bad == 0 else f": {bad} wrong"))
            failures += bad != 0
        conn.close()

        lite_cases, lite_next, lite_events = read_back(lite)
        wrong_next = sum(1 for case, at in zip(lite_cases, lite_next) if store.next_sla_at(case.sla) != at)
        mark = "[green]✓[/]" if wrong_next == 0 else "[red]✗[/]"
        console.print(f"{mark} every row reads back as a Case and every event as an Event; next_sla_at as casehub "
                      "computes it" + ("" if wrong_next == 0 else f": {wrong_next} wrong"))  # fmt: skip
        failures += wrong_next != 0
        conn = sqlite3.connect(Path(tmp) / "check.db")
        texts = [v for row in conn.execute("SELECT contact, account, tags, custom_fields, external_links, sla, csat "
                                           "FROM cases") for v in row]  # fmt: skip
        texts += [v for (v,) in conn.execute("SELECT data FROM events")]
        conn.close()
        unlike = sum(1 for v in texts if json.dumps(json.loads(v)) != v)
        mark = "[green]✓[/]" if unlike == 0 else "[red]✗[/]"
        console.print(f"{mark} every JSON text is what SQLAlchemy (json.dumps) writes" + (f": {unlike} differ" if unlike else ""))
        failures += unlike != 0
        _summary(lite_cases, lite_events)

        if url is not None and backend_of(url) == "postgresql":
            load(url, cases, end, seed=seed, chunk=500, workers=1, fresh=True, quiet=True)
            pg_cases, pg_next, pg_events = read_back(url)
            same = pg_cases == lite_cases and pg_next == lite_next and pg_events == lite_events
            mark = "[green]✓[/]" if same else "[red]✗[/]"
            console.print(f"{mark} the same cases loaded into PostgreSQL (COPY) read back equal, events too")
            failures += not same
    console.print("[green]all checks passed[/]" if not failures else f"[red]{failures} checks failed[/]")
    return 1 if failures else 0


def read_back(url: str) -> tuple[list[Any], list[Any], list[Any]]:
    """Cases (through casehub's ``row_to_case``), their ``next_sla_at``, and events (as ``Event``), in id order."""
    from casehub.model import Event
    from casehub.store import cases as store
    from casehub.store.tables import cases as cases_table
    from casehub.store.tables import events as events_table

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(cases_table.select().order_by(cases_table.c.seq)).all()
            events = [Event.model_validate(dict(r._mapping))
                      for r in c.execute(events_table.select().order_by(events_table.c.id))]  # fmt: skip
    finally:
        engine.dispose()
    return [store.row_to_case(r) for r in rows], [r.next_sla_at for r in rows], events


def _summary(cases: list[Any], events: list[Any]) -> None:
    by_status = Counter(str(c.status) for c in cases)
    kinds = Counter(e.type for e in events)
    console.log(f"statuses: {dict(sorted(by_status.items()))}")
    console.log(f"events per case: {len(events) / max(len(cases), 1):.1f}; by type: {dict(kinds.most_common())}")


# -- the command -------------------------------------------------------------------------------------


def _quarter_before(end: datetime) -> tuple[datetime, datetime]:
    """The last complete calendar quarter before ``end``."""
    q = (end.month - 1) // 3
    until = datetime(end.year, 3 * q + 1, 1, tzinfo=UTC)
    since = datetime(until.year - (q == 0), (3 * q - 3) % 12 + 1, 1, tzinfo=UTC)
    return since, until


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n:,.0f} B"
        n /= 1024
    return f"{n:,.1f} GB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="sqlite:///bench-report.db", help="database to fill (default: %(default)s)")
    parser.add_argument("--cases", type=int, default=None, help="how many cases (default: 1,000,000; 2,000 with --check)")
    parser.add_argument("--end", default=None, help="the moment the data ends, ISO 8601 (default: now)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default: %(default)s)")
    parser.add_argument("--chunk", type=int, default=5000, help="cases per chunk / transaction (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes generating data while this one writes (default: %(default)s)")  # fmt: skip
    parser.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=True,
                        help="drop casehub's tables first and migrate anew (default: on)")  # fmt: skip
    parser.add_argument("--check", action="store_true",
                        help="generate a small SQLite database and verify that the case rows agree with their "
                             "events; with a PostgreSQL --url, also load it there and compare")  # fmt: skip
    args = parser.parse_args()
    end = datetime.fromisoformat(args.end) if args.end else datetime.now(UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    end = end.astimezone(UTC).replace(microsecond=0)

    if args.check:
        url = args.url if "--url" in sys.argv else None
        return check(url, args.cases or 2000, args.seed, end)

    n = args.cases or 1_000_000
    result = load(args.url, n, end, seed=args.seed, chunk=args.chunk, workers=args.workers, fresh=args.fresh)
    stats = result["stats"]
    rows = result["cases"] + result["events"]
    open_cases = sum(stats[f"status:{s}"] for s in OPEN_STATUSES)
    since, until = _quarter_before(end)
    tl = Timeline(result["end"], n)
    first_in, first_after = (bisect.bisect_left(range(n), m.timestamp(), key=lambda i: tl.created(i, 0.5))
                             for m in (since, until))  # fmt: skip
    in_quarter = first_after - first_in
    console.print(
        f"[bold]{result['backend']}[/]: {result['cases']:,} cases, {result['events']:,} events "
        f"({result['events'] / result['cases']:.1f} per case) from "
        f"{datetime.fromtimestamp(result['start'], UTC):%Y-%m-%d} to {end:%Y-%m-%d %H:%M} UTC\n"
        f"  open now {open_cases:,} ({100 * open_cases / result['cases']:.1f} %: "
        + ", ".join(f"{s} {stats[f'status:{s}']:,}" for s in OPEN_STATUSES)
        + f"); resolved {stats['status:resolved']:,}, closed {stats['status:closed']:,}\n"
        f"  answered {100 * stats['answered'] / result['cases']:.1f} %, reopened {100 * stats['reopened'] / result['cases']:.1f} %, "
        f"escalated {100 * stats['escalated'] / result['cases']:.1f} %, SLA breaches {stats['breaches']:,}, "
        f"surveys {stats['surveys']:,}, answers {stats['responses']:,}\n"
        f"  created in {since:%Y-%m-%d}..{until:%Y-%m-%d} (one quarter): about {in_quarter:,}\n"
        f"  rows written in {result['load_seconds']:.1f} s ({rows / result['load_seconds']:,.0f} rows/s), "
        f"indexes and statistics {result['finish_seconds']:.1f} s, total {result['seconds']:.1f} s "
        f"({rows / result['seconds']:,.0f} rows/s overall)\n"
        f"  database size {_human(result['bytes'])}"
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
