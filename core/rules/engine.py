"""Running the rules: assignment when a case is created, triggers on every event, inside its transaction.

Semantics (documented in docs/rules.md):

- **Assignment rules** run once, for ``case.created``, when the case has no
  owner yet: ordered, the first whose conditions match decides the queue or
  agent (Salesforce's assignment rules). A queue then picks an agent.
- **Triggers** run for each event, in file order; each whose ``on`` lists the
  event type and whose conditions match runs its actions. ``stop: true`` ends
  processing for that event.
- The changes the actions make are one more change of the case, with its own
  events, and those events run the triggers again — but **each trigger fires
  at most once per change a person or system made** (Zendesk's update cycle).
  A trigger that matches again after it fired is not run again: that is a
  cycle, and it is reported on the timeline (``rules.cycle``) with the rules
  involved, instead of looping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import Connection

from casehub.errors import ConfigError, ConfigIssue
from casehub.model import Case, Event
from casehub.outbox import Delivery
from casehub.rules.actions import CSAT_ACTION, Action, ActionContext, ActionError, Effects, PluginAction, parse_action
from casehub.rules.assignment import Assigner, OpenCounts
from casehub.rules.calendar import Calendar
from casehub.rules.conditions import ConditionError, Context, Predicate, build_context, compile_condition, trace
from casehub.rules.sla import SlaClocks, compile_policy
from casehub.rules.source import RulesSource, dotted
from casehub.rules.spec import Automation, RulesFile, Trigger

if TYPE_CHECKING:
    from casehub.csat.tokens import SurveyLinks

__all__ = ["AUTOMATION_TICK", "Fired", "Outcome", "RuleEngine", "TriggerReport"]

# The scheduler's look at a case for automations: judged like an event, never recorded as one.
AUTOMATION_TICK = "automation.tick"

# Events the rules never react to: their own bookkeeping, and deliveries.
_QUIET = ("rule.", "rules.", "delivery.", "plugin.")


@dataclass(frozen=True)
class CompiledRule:
    name: str
    kind: str  # "trigger" or "assignment"
    on: frozenset[str]
    spec: dict[str, Any]
    predicate: Predicate
    actions: tuple[Action, ...]
    stop: bool = False


@dataclass(frozen=True)
class Fired:
    rule: str
    kind: str
    event: str
    actions: list[str]
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass
class Outcome:
    effects: Effects = field(default_factory=Effects)
    fired: list[Fired] = field(default_factory=list)
    cycle: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TriggerReport:
    """For ``casehub rules test``: how one rule judged one event."""

    rule: str
    kind: str
    applies: bool  # does the rule listen to this event type?
    matched: bool
    checks: list[tuple[str, bool, bool]]  # (condition, result, decided the rule)
    actions: list[str]
    stopped_here: bool = False


def changes_of(event: Event) -> dict[str, tuple[Any, Any]]:
    raw = event.data.get("changes") if event.type == "case.updated" else None
    return {k: (v[0], v[1]) for k, v in (raw or {}).items()}


class RuleEngine:
    """The compiled rules file; build it with :meth:`compile`."""

    def __init__(
        self,
        rules: RulesFile,
        triggers: list[CompiledRule],
        assignment: list[CompiledRule],
        sla: SlaClocks | None = None,
        automations: list[CompiledRule] | None = None,
        surveys: SurveyLinks | None = None,
    ) -> None:
        self.rules = rules
        self.triggers = triggers
        self.assignment = assignment
        self.sla = sla or SlaClocks([])
        self.automations = automations or []
        self.surveys = surveys

    @classmethod
    def compile(
        cls, source: RulesSource, plugin_actions: dict[str, PluginAction], surveys: SurveyLinks | None = None
    ) -> RuleEngine:
        """Validate and compile everything; a ConfigError lists every problem with its line.

        ``surveys`` signs the links of ``send_csat_survey``; without it (no ``[csat] secret``) that action is an error.
        """
        try:
            rules = RulesFile.model_validate(source.data)
        except ValidationError as exc:
            raise ConfigError([source.issue(e["loc"], e["msg"].removeprefix("Value error, ")) for e in exc.errors()]) from None
        issues: list[ConfigIssue] = []

        def acting(kind: str, n: int, entry: Trigger | Automation, on: frozenset[str], stop: bool = False) -> CompiledRule | None:
            where = (f"{kind}s", n)
            predicate = _compile(source, where, entry.conditions, issues)
            actions = []
            for m, raw in enumerate(entry.actions):
                try:
                    action = parse_action(raw, plugin_actions)
                except ActionError as exc:
                    issues.append(source.issue((*where, "actions", m), str(exc)))
                    continue
                if action.name == CSAT_ACTION and action.builtin is not None and surveys is None:
                    message = f"{CSAT_ACTION} needs [csat] secret to sign its links: set CASEHUB_CSAT__SECRET (16 characters or more)"
                    issues.append(source.issue((*where, "actions", m), message))
                actions.append(action)
            if not entry.enabled or predicate is None:
                return None
            return CompiledRule(entry.name, kind, on, entry.conditions, predicate, tuple(actions), stop)

        triggers = [r for n, t in enumerate(rules.triggers) if (r := acting("trigger", n, t, frozenset(t.on), t.stop))]
        tick = frozenset({AUTOMATION_TICK})
        automations = [r for n, a in enumerate(rules.automations) if (r := acting("automation", n, a, tick))]
        assignment: list[CompiledRule] = []
        for n, rule in enumerate(rules.assignment):
            predicate = _compile(source, ("assignment", n), rule.conditions, issues)
            target = {"agent": rule.agent} if rule.agent else {"queue": rule.queue}
            action = parse_action({"assign": target}, {})
            if predicate is not None:
                assignment.append(CompiledRule(rule.name, "assignment", frozenset({"case.created"}), rule.conditions, predicate, (action,)))
        calendars = {name: Calendar.from_settings(c) for name, c in rules.calendars.items()}
        policies = []
        for n, policy in enumerate(rules.sla_policies):
            predicate = _compile(source, ("sla_policies", n), policy.conditions, issues)
            calendar = calendars[policy.calendar] if policy.calendar else Calendar.always()
            if predicate is not None:
                policies.append(compile_policy(policy.name, predicate, calendar, dict(policy.targets), policy.warn_before))
        names = {p.name for p in rules.sla_policies}
        for kind, entries in (("triggers", rules.triggers), ("automations", rules.automations)):
            for n, entry in enumerate(entries):
                for m, action in enumerate(entry.actions):
                    pinned = action.get("apply_sla") if isinstance(action, dict) else None
                    if pinned is not None and pinned not in names:
                        message = f"apply_sla: no SLA policy named {pinned!r}; expected one of: {', '.join(sorted(names)) or '(none defined)'}"
                        issues.append(source.issue((kind, n, "actions", m), message))
        if issues:
            raise ConfigError(issues)
        return cls(rules, triggers, assignment, SlaClocks(policies), automations, surveys)

    # -- running -------------------------------------------------------------------

    def _rules_for(self, event: Event, case: Case) -> Iterable[CompiledRule]:
        if event.type == AUTOMATION_TICK:
            due = set(event.data.get("automations", ()))
            yield from (a for a in self.automations if a.name in due)
            return
        if event.type == "case.created" and case.owner is None:
            for rule in self.assignment:
                yield rule
        yield from self.triggers

    def evaluate(
        self,
        case: Case,
        events: list[Event],
        *,
        conn: Connection | None,
        now: datetime,
        fired: set[str],
        counts: OpenCounts | None = None,
    ) -> Outcome:
        """What the rules do about ``events``; ``fired`` (names) carries over between rounds of one change."""
        outcome = Outcome()
        this_round: set[str] = set()
        assigner = Assigner(self.rules, conn, now, counts) if conn is not None else None
        for event in events:
            if event.type.startswith(_QUIET):
                continue
            ctx = build_context(case, event_type=event.type, actor=event.actor, changes=changes_of(event), now=now)
            assigned = False
            for rule in self._rules_for(event, case):
                if rule.kind == "assignment" and assigned:
                    continue
                if event.type not in rule.on or not rule.predicate(ctx):
                    continue
                if rule.name in fired:
                    # Matching again in the same round (two breaches at once) is not a cycle; in a later round,
                    # set off by what the rules themselves did, it is.
                    if rule.name not in this_round and rule.name not in outcome.cycle:
                        outcome.cycle.append(rule.name)
                    continue
                fired.add(rule.name)
                this_round.add(rule.name)
                acting = ActionContext(_with(case, outcome.effects), outcome.effects, assigner, surveys=self.surveys, now=now)
                planned = len(outcome.effects.deliveries)
                done = [_run(action, acting, rule.name) for action in rule.actions]
                deliveries = outcome.effects.deliveries[planned:]
                outcome.fired.append(Fired(rule.name, rule.kind, event.type, done, deliveries))
                assigned = assigned or rule.kind == "assignment"
                if rule.stop:
                    break
        return outcome

    def explain(self, case: Case, event: Event, now: datetime) -> list[TriggerReport]:
        """Rule by rule, what would happen for ``event``; writes nothing and picks no agents."""
        ctx: Context = build_context(case, event_type=event.type, actor=event.actor, changes=changes_of(event), now=now)
        reports: list[TriggerReport] = []
        effects = Effects()
        stopped = False
        assigned = False
        unowned = case.owner is None
        for rule in [*self.assignment, *self.triggers]:
            applies = event.type in rule.on and not stopped and not (rule.kind == "assignment" and (assigned or not unowned))
            checks = [(c.label, c.result, c.decided) for c in trace(rule.spec, ctx)[1]]
            matched = applies and rule.predicate(ctx)
            actions: list[str] = []
            if matched:
                acting = ActionContext(_with(case, effects), effects, None, dry_run=True, surveys=self.surveys, now=now)
                actions = [_run(action, acting, rule.name) for action in rule.actions]
                assigned = assigned or rule.kind == "assignment"
            reports.append(TriggerReport(rule.name, rule.kind, applies, matched, checks, actions, matched and rule.stop))
            stopped = stopped or (matched and rule.stop)
        return reports


def _run(action: Action, ctx: ActionContext, rule: str) -> str:
    """One action; a failure (a template the sandbox refused, say) is reported, never raised into the change."""
    try:
        return action.run(ctx, rule)
    except Exception as exc:
        return f"{action.name} failed: {type(exc).__name__}: {exc}"


def _with(case: Case, effects: Effects) -> Case:
    return case.model_copy(update=effects.changes) if effects.changes else case


def _compile(source: RulesSource, where: tuple[str | int, ...], spec: dict[str, Any], issues: list[ConfigIssue]) -> Predicate | None:
    try:
        return compile_condition(spec or None, where="conditions")
    except ConditionError as exc:
        # "conditions.all[2].any[0]: ..." → point at that condition's own line.
        place, _, _ = str(exc).partition(": ")
        parts = [int(i) if i else name for name, i in _PART.findall(place.removeprefix("conditions"))]
        issues.append(ConfigIssue(source.name, dotted(where), str(exc), source.line_of((*where, *parts))))
        return None


_PART = re.compile(r"\.?(\w+)|\[(\d+)\]")
