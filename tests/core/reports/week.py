"""The hand-computed week the KPI tests check every figure against (docs/reporting.md works it through)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft, CommentDraft, Contact
from casehub.testing import Clock

RULES = """
calendars:
  office:
    timezone: UTC
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}
sla_policies:
  - name: standard
    calendar: office
    targets: {first_response: 4h, resolution: 16h}
    warn_before: 25%
triggers:
  - name: escalate breaches
    on: [sla.breached]
    actions: [{escalate: {note: "SLA breached"}}]
"""

# The report's week: Monday 2 November 2026 to Monday 9 November, looked at on Friday at noon.
SINCE = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = datetime(2026, 11, 9, tzinfo=UTC)
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of that November, UTC (the office calendar is UTC too)."""
    month = 10 if day > 9 else 11
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Week:
    """Six cases, A to F, moved through the week step by step; the scheduler runs at every step."""

    def __init__(self, hub: Hub, clock: Clock) -> None:
        self.hub, self.clock = hub, clock
        self.refs: dict[str, str] = {}

    def step(self, moment: datetime) -> None:
        self.clock.now = moment
        self.hub.service.fire_timers()

    def create(self, name: str, queue: str, channel: str, priority: str = "normal") -> None:
        contact = Contact(email=f"{name.lower()}@customer.example.com")
        draft = CaseDraft(subject=f"Case {name}", queue=queue, channel=channel, priority=priority, contact=contact)
        self.refs[name] = self.hub.service.create(draft, actor="web").id

    def number(self, name: str) -> str:
        return self.hub.service.get(self.refs[name]).number

    def reply(self, name: str) -> None:
        self.hub.service.comment(self.refs[name], CommentDraft(body="On it.", public=True, author="alice"), "api:desk")

    def status(self, name: str, status: str) -> None:
        case = self.hub.service.get(self.refs[name])
        self.hub.service.update(case.id, CaseChanges(version=case.version, status=status), "api:desk")

    def survey(self, name: str, nonce: str) -> None:
        self.hub.service.append(self.refs[name], [("csat.requested", {"nonce": nonce})], "rules")

    def answer(self, name: str, nonce: str, score: int) -> None:
        data = {"score": score, "comment": "", "nonce": nonce}
        self.hub.service.append(self.refs[name], [("csat.received", data)], "customer")

    def play(self) -> None:
        self.step(at(30, 12)), self.create("F", "billing", "web")
        self.step(at(30, 16))  # F's first response is due: it breaches (before the week)
        self.step(at(2, 8)), self.create("A", "billing", "web")
        self.step(at(2, 9)), self.create("B", "billing", "email")
        self.step(at(2, 9, 30)), self.status("F", "resolved")  # closed as spam, never answered
        self.step(at(2, 10)), self.reply("A"), self.create("C", "technical", "web")
        self.step(at(2, 11)), self.reply("B")
        self.step(at(2, 12)), self.status("A", "resolved"), self.survey("A", "a1")
        self.step(at(2, 13)), self.answer("A", "a1", 5)
        self.step(at(2, 14))  # C's first response breaches; the trigger escalates it
        self.step(at(2, 15)), self.reply("C")
        self.step(at(3, 9)), self.create("D", "technical", "phone", "high"), self.reply("B")
        self.step(at(3, 10)), self.status("B", "resolved"), self.survey("B", "b1")
        self.step(at(3, 11)), self.status("C", "resolved"), self.survey("C", "c1")
        self.step(at(3, 12)), self.answer("C", "c1", 2)
        self.step(at(3, 13))  # D's first response breaches: escalated
        self.step(at(4, 9)), self.status("C", "open")  # the customer writes back: reopened
        self.step(at(4, 10)), self.status("C", "resolved")
        self.step(at(4, 12)), self.create("E", "billing", "email"), self.status("E", "pending")
        self.step(at(4, 17))  # D's resolution target (16 business hours) breaches
        self.step(NOW)


def figures_of(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(g for g in report["groups"] if g["key"] == key)
