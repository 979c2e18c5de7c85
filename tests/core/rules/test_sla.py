"""SLA policies: business-hours clocks, pauses, warnings and breaches fired once, escalation on breach."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from casehub.hub import Hub
from casehub.testing import Clock
from casehub.model import CaseChanges, CaseDraft, CommentDraft, Contact

HubFactory = Callable[..., Hub]

# Monday 2026-11-23 09:00 in Berlin is 08:00 UTC.
MONDAY_9_BERLIN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

RULES = """
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}
    holidays: ["2026-11-25"]
sla_policies:
  - name: urgent
    all: [{field: priority, eq: urgent}]
    targets: {first_response: 1h, resolution: 4h}
    warn_before: 15m
  - name: standard
    calendar: office
    targets: {first_response: 8h, next_reply: 4h, resolution: 3d}
    warn_before: 25%
triggers:
  - name: escalate breaches
    on: [sla.breached]
    actions: [{escalate: {note: "SLA breached"}}]
"""


def clock_of(case, name):  # type: ignore[no-untyped-def]
    return next(t for t in case.sla if t.name == name)


def types(hub: Hub, ref: str) -> list[str]:
    return [e.type for e in hub.service.events(ref)]


def test_a_policy_is_chosen_and_due_times_count_business_hours(rules_hub: HubFactory) -> None:
    clock = Clock(MONDAY_9_BERLIN.replace(hour=15))  # Monday 16:00 Berlin
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="Where is my order?"), actor="web")
    first = clock_of(case, "first_response")
    assert first.policy == "standard" and first.state == "running"
    # 8 business hours from Monday 16:00: 1 h on Monday, Tuesday 7 h → Tuesday 16:00 Berlin (15:00 UTC).
    assert first.due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert first.warn_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 25 % = 2 business hours before
    # 3d = 72 business hours: Monday 1 h, Tuesday 8 h, Wednesday 25th is a holiday, then 8 h a working
    # day from Thursday 26th to Friday 4 December (56 h), the last 7 h on Monday 7 December: 16:00 Berlin.
    resolution = clock_of(case, "resolution")
    assert resolution.due_at == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    applied = [e.data for e in hub.service.events(case.id) if e.type == "sla.applied"]
    assert applied[0]["policy"] == "standard" and applied[0]["previous"] is None


def test_priority_change_recomputes_the_targets(rules_hub: HubFactory) -> None:
    clock = Clock(MONDAY_9_BERLIN)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x"), actor="web")
    clock.advance(minutes=20)
    case = hub.service.update(case.id, CaseChanges(version=case.version, priority="urgent"), actor="agent")
    first = clock_of(case, "first_response")
    assert first.policy == "urgent"
    # 20 minutes of the hour used; urgent runs around the clock: 40 minutes left from now.
    assert first.due_at == clock.now.replace(minute=0) + (first.due_at - clock.now.replace(minute=0))
    assert (first.due_at - clock.now).total_seconds() == 40 * 60
    assert [e.data["previous"] for e in hub.service.events(case.id) if e.type == "sla.applied"] == [None, "standard"]


def test_the_clock_pauses_while_the_customer_is_asked(rules_hub: HubFactory) -> None:
    clock = Clock(MONDAY_9_BERLIN)
    hub = rules_hub(RULES.replace("priority, eq: urgent", "priority, eq: low"), clock=clock)
    case = hub.service.create(CaseDraft(subject="x", priority="urgent"), actor="web")
    before = clock_of(case, "resolution").due_at
    clock.advance(hours=1)
    hub.service.set_status(case.id, "open", actor="agent")
    case = hub.service.set_status(case.id, "pending", actor="agent")
    assert clock_of(case, "resolution").state == "paused" and clock_of(case, "resolution").due_at is None
    clock.advance(hours=5)  # five business hours waiting on the customer do not count
    case = hub.service.set_status(case.id, "open", actor="agent")
    resumed = clock_of(case, "resolution")
    assert resumed.state == "running" and resumed.elapsed_seconds == 3600
    assert resumed.due_at > before
    assert "sla.paused" in types(hub, case.id) and "sla.resumed" in types(hub, case.id)


def test_a_reply_meets_the_first_response_and_the_customer_starts_next_reply(rules_hub: HubFactory) -> None:
    clock = Clock(MONDAY_9_BERLIN)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x", contact=Contact(email="ann@example.com")), actor="web")
    clock.advance(minutes=30)
    case, _ = hub.service.comment(case.id, CommentDraft(body="On it", public=True, author="grace"), actor="grace")
    assert clock_of(case, "first_response").state == "met"
    clock.advance(minutes=30)
    case, _ = hub.service.comment(case.id, CommentDraft(body="Still broken", public=True, author="ann@example.com"), actor="web")
    assert clock_of(case, "next_reply").state == "running"
    case, _ = hub.service.comment(case.id, CommentDraft(body="internal", public=False, author="grace"), actor="grace")
    assert clock_of(case, "next_reply").state == "running", "an internal note answers nobody"
    case, _ = hub.service.comment(case.id, CommentDraft(body="Fixed now", public=True, author="grace"), actor="grace")
    assert clock_of(case, "next_reply").state == "met"
    met = [e.data for e in hub.service.events(case.id) if e.type == "sla.met"]
    assert [(m["target"], m["within_target"]) for m in met] == [("first_response", True), ("next_reply", True)]


def test_warnings_and_breaches_fire_once_even_after_a_long_outage(rules_hub: HubFactory) -> None:
    clock = Clock(MONDAY_9_BERLIN)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x", priority="urgent"), actor="web")
    assert hub.service.fire_timers() == 0
    clock.advance(minutes=50)  # warn_before 15m of 1h: the warning is due
    assert hub.service.fire_timers() == 1
    assert hub.service.fire_timers() == 0, "fired once"
    clock.advance(days=3)  # the scheduler was down for three days
    assert hub.service.fire_timers() == 1
    assert hub.service.fire_timers() == 0
    events = types(hub, case.id)
    assert events.count("sla.warning") == 2  # first response, then resolution (at the restart)
    assert events.count("sla.breached") == 2
    case = hub.service.get(case.id)
    assert {t.name: t.state for t in case.sla} == {"first_response": "breached", "resolution": "breached"}
    # The trigger on sla.breached escalated it: once for the two breaches found in one tick, not a cycle.
    assert case.is_escalated
    assert [e.data["rule"] for e in hub.service.events(case.id) if e.type == "rule.fired"] == ["escalate breaches"]
    assert "rules.cycle" not in events


def test_resolving_stops_every_clock(rules_hub: HubFactory) -> None:
    clock = Clock(MONDAY_9_BERLIN)
    hub = rules_hub(RULES, clock=clock)
    case = hub.service.create(CaseDraft(subject="x"), actor="web")
    clock.advance(hours=2)
    case = hub.service.set_status(case.id, "resolved", actor="agent")
    assert {t.state for t in case.sla} == {"met"}
    clock.advance(days=30)
    assert hub.service.fire_timers() == 0
    case = hub.service.set_status(case.id, "open", actor="customer")
    assert clock_of(case, "resolution").state == "running", "a reopened case's resolution clock runs on"
    assert clock_of(case, "resolution").elapsed_seconds == 2 * 3600


def test_the_scheduler_thread_fires_what_came_due(rules_hub: HubFactory) -> None:
    import time

    from casehub.rules.scheduler import Scheduler

    clock = Clock(MONDAY_9_BERLIN)
    hub = rules_hub(RULES, clock=clock, config={"rules": {"tick_seconds": 0.1}})
    case = hub.service.create(CaseDraft(subject="x", priority="urgent"), actor="web")
    clock.advance(hours=2)
    scheduler = Scheduler(hub)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while "sla.breached" not in types(hub, case.id):
            assert time.monotonic() < deadline, "the scheduler did not fire the breach"
            time.sleep(0.05)
    finally:
        scheduler.stop()


def test_apply_sla_pins_a_policy_and_an_unknown_one_is_refused_at_load(rules_hub: HubFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from casehub.errors import ConfigError

    pinned = RULES + """
  - name: gold contract
    on: [case.created]
    all: [{field: account.tier, eq: gold}]
    actions: [{apply_sla: urgent}]
"""
    hub = rules_hub(pinned, clock=Clock(MONDAY_9_BERLIN))
    case = hub.service.create(CaseDraft(subject="x", account={"name": "Acme", "tier": "gold"}), actor="web")
    assert clock_of(case, "first_response").policy == "urgent" and case.priority == "normal"
    with pytest.raises(ConfigError, match="apply_sla: no SLA policy named 'platinum'; expected one of: standard, urgent"):
        rules_hub(pinned.replace("apply_sla: urgent", "apply_sla: platinum"))
