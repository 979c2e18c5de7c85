"""SLA clocks: which policy applies, when each target is due, and what happens to the clocks on each event.

Semantics (docs/rules.md has the user's version):

- The **policy** is the first in ``sla_policies`` whose conditions match the
  case. It is chosen when the case is created and again whenever the case
  changes: a new policy (say, after the priority went to urgent) keeps the
  business time each clock has used and recomputes the due times.
- **first_response** runs from creation until the first public reply by
  someone other than the contact. **next_reply** starts when the contact
  writes publicly and stops at the next public reply to them. **resolution**
  runs from creation until the case is resolved, and resumes if it is reopened.
- Clocks count the policy calendar's business hours and **pause while the case
  is pending** (waiting on the customer); they resume when it leaves pending.
- A clock warns (``sla.warning``) at ``warn_before`` ahead of its due time, and
  breaches (``sla.breached``) at its due time; a breached clock stays
  breached, and records when the target was finally met. Resolving or closing
  a case stops all its clocks.
- Warnings and breaches are fired by the scheduler from the case's stored
  ``next_sla_at``, each once (the clock records that it fired), so a restart
  after an outage fires every overdue one exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from casehub.model import Case, Event, SlaTarget, Status
from casehub.rules.actions import SLA_FIELD
from casehub.rules.calendar import Calendar
from casehub.rules.conditions import Predicate, build_context
from casehub.rules.durations import parse_duration

__all__ = ["CompiledPolicy", "SlaClocks"]

Pending = list[tuple[str, dict[str, Any]]]
_STOPPED = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class CompiledPolicy:
    name: str
    predicate: Predicate
    calendar: Calendar
    targets: dict[str, timedelta]
    warn_share: float | None
    warn_before: timedelta | None

    def warn_lead(self, target: timedelta) -> timedelta:
        return target * self.warn_share if self.warn_share is not None else min(self.warn_before or target, target)


def compile_policy(name: str, predicate: Predicate, calendar: Calendar, targets: dict[str, str], warn: str) -> CompiledPolicy:
    durations = {k: parse_duration(v) for k, v in targets.items()}
    if warn.endswith("%"):
        return CompiledPolicy(name, predicate, calendar, durations, float(warn[:-1]) / 100, None)
    return CompiledPolicy(name, predicate, calendar, durations, None, parse_duration(warn))


class SlaClocks:
    """The compiled ``sla_policies``; pure: it computes new clocks and the events to record."""

    def __init__(self, policies: list[CompiledPolicy]) -> None:
        self.policies = policies
        self._by_name = {p.name: p for p in policies}

    def __bool__(self) -> bool:
        return bool(self.policies)

    def choose(self, case: Case, now: datetime) -> CompiledPolicy | None:
        pinned = self._by_name.get(str(case.custom_fields.get(SLA_FIELD, "")))
        if pinned is not None:  # a rule's apply_sla wins over the policies' conditions
            return pinned
        ctx = build_context(case, now=now)
        return next((p for p in self.policies if p.predicate(ctx)), None)

    # -- reacting to events ----------------------------------------------------------

    def react(self, case: Case, events: list[Event], now: datetime) -> tuple[list[SlaTarget] | None, Pending]:
        """New clocks for ``case`` after ``events`` (``None``: unchanged) and the sla.* events to record."""
        clocks = {t.name: t.model_copy() for t in case.sla}
        pending: Pending = []
        policy = self.choose(case, now)
        current = next((t.policy for t in case.sla), None)
        if policy is not None and policy.name != current:
            self._apply(policy, case, clocks, now, pending, previous=current)
        policy = policy or self._by_name.get(current or "")
        if policy is not None:
            for event in events:
                self._on_event(policy, case, event, clocks, now, pending)
        new = list(clocks.values())
        return (new if new != case.sla else None), pending

    def _apply(
        self, policy: CompiledPolicy, case: Case, clocks: dict[str, SlaTarget], now: datetime, pending: Pending, previous: str | None
    ) -> None:
        for name, duration in policy.targets.items():
            clock = clocks.get(name)
            if clock is None:
                if name == "next_reply" or (name == "first_response" and case.first_response_at) or case.status in _STOPPED:
                    continue
                clock = SlaTarget(name=name, started_at=case.created_at)
                clocks[name] = clock
            clock.policy = policy.name
            clock.target_seconds = duration.total_seconds()
            if clock.state == "running":
                self._schedule(policy, clock, now)
        for name in [n for n, c in clocks.items() if n not in policy.targets and c.state in ("running", "paused")]:
            del clocks[name]  # the new policy has no such target
        if case.status == Status.PENDING:
            self._pause(policy, clocks, now, pending)
        summary = {n: c.due_at.isoformat() if c.due_at else None for n, c in clocks.items() if c.state == "running"}
        pending.append(("sla.applied", {"policy": policy.name, "previous": previous, "due": summary}))

    def _schedule(self, policy: CompiledPolicy, clock: SlaTarget, now: datetime) -> None:
        """Due and warning times of a running clock, from the business time it has left."""
        target = timedelta(seconds=clock.target_seconds or 0)
        start = clock.started_at or now
        left = target - timedelta(seconds=clock.elapsed_seconds)
        clock.due_at = policy.calendar.add(start, max(left, timedelta(0)))
        lead = policy.warn_lead(target)
        clock.warn_at = policy.calendar.add(start, max(left - lead, timedelta(0)))
        if clock.warned and clock.warn_at > now:
            clock.warned = False  # a longer target: the warning is ahead again

    def _on_event(
        self, policy: CompiledPolicy, case: Case, event: Event, clocks: dict[str, SlaTarget], now: datetime, pending: Pending
    ) -> None:
        if event.type == "comment.added" and event.data.get("public"):
            author = str(event.data.get("author") or "").lower()
            from_contact = bool(case.contact.email) and author == (case.contact.email or "").lower()
            if from_contact:
                existing = clocks.get("next_reply")
                if "next_reply" in policy.targets and (existing is None or existing.met_at is not None):
                    clock = SlaTarget(name="next_reply", policy=policy.name, started_at=now,
                                      target_seconds=policy.targets["next_reply"].total_seconds())  # fmt: skip
                    self._schedule(policy, clock, now)
                    clocks["next_reply"] = clock
                    if case.status == Status.PENDING:
                        self._pause(policy, {"next_reply": clock}, now, pending)
            elif author != "rules":  # an automatic acknowledgement answers nobody
                for name in ("first_response", "next_reply"):
                    self._meet(policy, clocks.get(name), now, pending)
        elif event.type == "case.status_changed":
            old, new = Status(event.data["from"]), Status(event.data["to"])
            if new in _STOPPED:
                for clock in clocks.values():
                    self._meet(policy, clock, now, pending)
            elif new == Status.PENDING:
                self._pause(policy, clocks, now, pending)
            elif old == Status.PENDING or old in _STOPPED:
                self._resume(policy, case, clocks, now, pending, reopened=old in _STOPPED)

    def _meet(self, policy: CompiledPolicy, clock: SlaTarget | None, now: datetime, pending: Pending) -> None:
        if clock is None or clock.met_at is not None:
            return
        if clock.state in ("running", "breached") and clock.started_at is not None:
            clock.elapsed_seconds += policy.calendar.elapsed(clock.started_at, now).total_seconds()
        clock.met_at, clock.started_at = now, None
        within = clock.state != "breached"
        clock.state = "met" if within else "breached"
        clock.due_at = clock.warn_at = None
        pending.append(("sla.met", {"target": clock.name, "policy": clock.policy, "within_target": within}))

    def _pause(self, policy: CompiledPolicy, clocks: dict[str, SlaTarget], now: datetime, pending: Pending) -> None:
        for clock in clocks.values():
            if clock.state == "running":
                clock.elapsed_seconds += policy.calendar.elapsed(clock.started_at or now, now).total_seconds()
                clock.state, clock.started_at, clock.due_at, clock.warn_at = "paused", None, None, None
                pending.append(("sla.paused", {"target": clock.name, "policy": clock.policy}))

    def _resume(
        self, policy: CompiledPolicy, case: Case, clocks: dict[str, SlaTarget], now: datetime, pending: Pending, reopened: bool
    ) -> None:
        for clock in clocks.values():
            revive = reopened and clock.name == "resolution" and clock.met_at is not None
            if clock.state == "paused" or revive:
                if revive:  # reopened: the business time it had used still counts
                    clock.met_at = None
                    if clock.breached_at is not None:
                        clock.state, clock.started_at = "breached", now
                        continue
                clock.state, clock.started_at = "running", now
                self._schedule(policy, clock, now)
                pending.append(("sla.resumed", {"target": clock.name, "policy": clock.policy, "due_at": clock.due_at.isoformat() if clock.due_at else None}))

    # -- the scheduler -----------------------------------------------------------------

    @staticmethod
    def due(case: Case, now: datetime) -> tuple[list[SlaTarget] | None, Pending]:
        """Warnings and breaches that have come due, each once."""
        clocks = [t.model_copy() for t in case.sla]
        pending: Pending = []
        for clock in clocks:
            if clock.state != "running":
                continue
            if not clock.warned and clock.warn_at is not None and clock.warn_at <= now:
                clock.warned = True
                pending.append(("sla.warning", {"target": clock.name, "policy": clock.policy, "due_at": _iso(clock.due_at)}))
            if clock.due_at is not None and clock.due_at <= now:
                clock.state, clock.breached_at, clock.warned = "breached", clock.due_at, True
                pending.append(("sla.breached", {"target": clock.name, "policy": clock.policy, "due_at": _iso(clock.due_at)}))
        return (clocks if pending else None), pending


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
