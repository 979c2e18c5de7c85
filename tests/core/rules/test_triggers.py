"""Triggers: conditions, actions, stop, re-evaluation with a bound, and the timeline that explains it all."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from casehub import hookimpl
from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft, CommentDraft, Contact
from casehub.store.tables import outbox

HubFactory = Callable[..., Hub]


def timeline(hub: Hub, ref: str) -> list[tuple[str, str, dict]]:
    return [(e.type, e.actor, e.data) for e in hub.service.events(ref)]


def test_a_trigger_changes_a_new_case_and_says_why_on_the_timeline(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        triggers:
          - name: VIP customers are urgent
            on: [case.created]
            all:
              - {field: contact.email, ends_with: "@bigcorp.com"}
              - {field: priority, in: [normal, high]}
            actions:
              - set_priority: urgent
              - add_tag: [vip, bigcorp]
              - add_note: "Customer {{ case.contact.email }} is on the VIP list."
    """)
    vip = hub.service.create(CaseDraft(subject="Down", contact=Contact(email="Ann@BigCorp.com")), actor="api")
    other = hub.service.create(CaseDraft(subject="Hi", contact=Contact(email="bob@small.org")), actor="api")

    assert (vip.priority, vip.tags) == ("urgent", ["vip", "bigcorp"])
    assert (other.priority, other.tags) == ("normal", [])
    events = timeline(hub, vip.id)
    assert [(t, a) for t, a, _ in events] == [
        ("case.created", "api"), ("rule.fired", "rules"), ("case.updated", "rules"), ("comment.added", "rules"),
    ]
    fired = events[1][2]
    assert fired["rule"] == "VIP customers are urgent" and fired["event"] == "case.created"
    assert fired["actions"] == ["priority → urgent", "tags + vip, bigcorp", "internal note"]
    assert events[3][2] == {"body": "Customer Ann@bigcorp.com is on the VIP list.", "public": False, "author": "rules"}
    assert [t for t, _, _ in timeline(hub, other.id)] == ["case.created"]


def test_triggers_run_in_file_order_and_stop_ends_processing(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        triggers:
          - name: first
            on: [case.created]
            actions: [{add_tag: first}]
            stop: true
          - name: second
            on: [case.created]
            actions: [{add_tag: second}]
    """)
    case = hub.service.create(CaseDraft(subject="x"), actor="api")
    assert case.tags == ["first"]


def test_a_change_to_urgent_escalates(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        queues:
          tier2: {distribution: none}
        triggers:
          - name: urgent goes to tier 2
            on: [case.updated]
            all:
              - {field: priority, changed_to: urgent}
            actions:
              - escalate: {queue: tier2, note: "Raised to urgent by {{ case.owner or 'nobody' }}"}
    """)
    case = hub.service.create(CaseDraft(subject="x"), actor="api")
    case = hub.service.update(case.id, CaseChanges(version=case.version, subject="y"), actor="agent")
    assert not case.is_escalated, "only a change *to* urgent escalates"
    case = hub.service.update(case.id, CaseChanges(version=case.version, priority="urgent"), actor="agent")
    assert case.is_escalated and case.queue == "tier2" and case.priority == "urgent"
    fired = [d for t, _, d in timeline(hub, case.id) if t == "rule.fired"]
    assert fired[-1]["actions"] == ["escalated, queue → tier2"]


def test_rules_react_to_what_rules_did_and_a_cycle_is_stopped_and_named(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        triggers:
          - name: ping
            on: [case.created, case.updated]
            all: [{field: tags, contains: ping}]
            actions: [{remove_tag: ping}, {add_tag: pong}]
          - name: pong
            on: [case.updated]
            all: [{field: tags, contains: pong}]
            actions: [{remove_tag: pong}, {add_tag: ping}]
    """)
    case = hub.service.create(CaseDraft(subject="x", tags=["ping"]), actor="api")
    assert case.tags == ["ping"]  # ping fired, pong fired, ping would fire again: stopped
    events = timeline(hub, case.id)
    assert [d["rule"] for t, _, d in events if t == "rule.fired"] == ["ping", "pong"]
    [cycle] = [d for t, _, d in events if t == "rules.cycle"]
    assert cycle["rules"] == ["ping"] and cycle["fired"] == ["ping", "pong"]


def test_a_rule_the_status_machine_refuses_does_not_fail_the_change(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        triggers:
          - name: reopen on reply
            on: [comment.added]
            actions: [{add_tag: replied}, {set_status: open}]
    """)
    case = hub.service.create(CaseDraft(subject="x"), actor="api")
    hub.service.set_status(case.id, "closed", actor="agent")
    case, comment = hub.service.comment(case.id, CommentDraft(body="thanks!", public=True), actor="customer")
    assert case.tags == ["replied"] and case.status == "closed"  # a closed case stays closed
    assert comment.data["body"] == "thanks!"
    [failed] = [d for t, _, d in timeline(hub, case.id) if t == "rule.failed"]
    assert "closed" in failed["error"] and "open" in failed["error"]


def test_auto_response_is_a_public_reply_rendered_in_a_sandbox(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        triggers:
          - name: acknowledge
            on: [case.created]
            all: [{field: channel, in: [web, email]}]
            actions:
              - reply: "Hello {{ case.contact.name or 'there' }}, we got your request {{ case.number }}: {{ case.subject }}"
          - name: nosy
            on: [case.created]
            all: [{field: subject, eq: probe}]
            actions:
              - add_note: "{{ case.__class__.__mro__ }}"
    """)
    case = hub.service.create(CaseDraft(subject="Broken <b>lamp</b>", channel="web", contact=Contact(name="Ada")), actor="web")
    [reply] = [d for t, _, d in timeline(hub, case.id) if t == "comment.added"]
    assert reply == {"body": f"Hello Ada, we got your request {case.number}: Broken <b>lamp</b>", "public": True, "author": "rules"}
    assert case.first_response_at is None, "an automatic acknowledgement is not a first response"

    probe = hub.service.create(CaseDraft(subject="probe"), actor="api")
    [fired] = [d for t, _, d in timeline(hub, probe.id) if t == "rule.fired"]
    assert "__mro__" not in str([d for t, _, d in timeline(hub, probe.id) if t == "comment.added"])
    assert fired["actions"][0].startswith("add_note failed: SecurityError") or "unsafe" in fired["actions"][0]


def test_comment_events_trigger_rules(rules_hub: HubFactory) -> None:
    hub = rules_hub("""
        triggers:
          - name: customer replied
            on: [comment.added]
            all: [{field: status, eq: pending}]
            actions: [{set_status: open}]
    """)
    case = hub.service.create(CaseDraft(subject="x"), actor="api")
    hub.service.set_status(case.id, "open", actor="agent")
    hub.service.set_status(case.id, "pending", actor="agent")
    case, _ = hub.service.comment(case.id, CommentDraft(body="Here is the log", public=True), actor="customer")
    assert case.status == "open"


class Notify(BaseModel):
    channel: str
    text: str = "New case"


class Chat:
    @hookimpl
    def register_actions(self, register):  # type: ignore[no-untyped-def]
        register("notify_chat", Notify)


def test_a_plugin_action_becomes_an_outbox_delivery_to_the_plugin(rules_hub: HubFactory) -> None:
    hub = rules_hub(
        """
        triggers:
          - name: tell the team
            on: [case.created]
            actions:
              - notify_chat: {channel: "#support"}
        """,
        plugins={"chat": Chat()},
    )
    case = hub.service.create(CaseDraft(subject="x"), actor="api")
    with hub.engine.connect() as conn:
        [row] = conn.execute(outbox.select()).all()
    assert (row.destination, row.action, row.case_id) == ("chat", "notify_chat", case.id)
    assert row.payload == {"params": {"channel": "#support", "text": "New case"}, "rule": "tell the team"}
