"""The shape of ``rules.yaml``: agents, queues, calendars, triggers and assignment rules.

Every mapping is strict: an unknown key is an error, because a misspelt
``stop:`` or ``actoins:`` must not silently change what happens to cases.
Conditions and actions are checked further by :mod:`casehub.rules.engine`,
which compiles them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casehub.rules.calendar import CalendarSettings
from casehub.rules.durations import parse_duration

__all__ = ["Agent", "AssignmentRule", "Automation", "Queue", "RulesFile", "SlaPolicy", "Trigger"]

TARGETS = ("first_response", "next_reply", "resolution")

_strict = ConfigDict(extra="forbid")
Name = Field(min_length=1, max_length=120)
EventType = Field(pattern=r"^[a-z][a-z_]*\.[a-z][a-z_.]*$")


class Agent(BaseModel):
    """Someone cases can be assigned to; ``available: false`` while away."""

    model_config = _strict

    email: str | None = None
    skills: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 codes, e.g. [en, de]")
    available: bool = True


class Queue(BaseModel):
    """A team's queue and how its cases are shared among its agents."""

    model_config = _strict

    distribution: Literal["round_robin", "least_open", "none"] = "round_robin"
    agents: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list, description="an agent needs all of them")
    match_language: bool = Field(False, description="only agents who speak the contact's language")


class _Conditional(BaseModel):
    model_config = _strict

    name: str = Name
    all: list[Any] | None = None
    any: list[Any] | None = None
    none: list[Any] | None = None

    @property
    def conditions(self) -> dict[str, Any]:
        return {k: v for k in ("all", "any", "none") if (v := getattr(self, k)) is not None}


class Trigger(_Conditional):
    """Zendesk's trigger, Salesforce's workflow rule: when an event matches, run the actions."""

    on: list[str] = Field(
        default_factory=lambda: ["case.created", "case.updated"],
        description="event types that start this trigger",
    )
    actions: list[Any] = Field(min_length=1)
    stop: bool = Field(False, description="no later trigger runs for this event once this one fired")
    enabled: bool = True

    @model_validator(mode="after")
    def _event_types(self) -> Trigger:
        for event in self.on:
            if not isinstance(event, str) or "." not in event:
                raise ValueError(f"on: {event!r} is not an event type such as case.created or comment.added")
        return self


class AssignmentRule(_Conditional):
    """Salesforce's assignment rule entry: the first that matches a new case decides its queue or agent."""

    queue: str | None = None
    agent: str | None = None

    @model_validator(mode="after")
    def _target(self) -> AssignmentRule:
        if (self.queue is None) == (self.agent is None):
            raise ValueError("give exactly one of queue: or agent:")
        return self


class Automation(_Conditional):
    """Zendesk's automation: checked by the scheduler, not on events; fires once per case per episode."""

    actions: list[Any] = Field(min_length=1)
    enabled: bool = True


class SlaPolicy(_Conditional):
    """Zendesk's SLA policy, Salesforce's entitlement: the first whose conditions match a case sets its clocks."""

    calendar: str | None = Field(None, description="a calendar from calendars:; default: around the clock")
    targets: dict[Literal["first_response", "next_reply", "resolution"], str] = Field(min_length=1)
    warn_before: str = Field("25%", description="a share of the target (25%) or a duration (30m)")

    @model_validator(mode="after")
    def _durations(self) -> SlaPolicy:
        for name, value in self.targets.items():
            try:
                parse_duration(value)
            except ValueError as exc:
                raise ValueError(f"targets.{name}: {exc}") from None
        if self.warn_before.endswith("%"):
            share = self.warn_before[:-1]
            if not share.replace(".", "", 1).isdigit() or not 0 < float(share) < 100:
                raise ValueError(f"warn_before: expected a share between 0% and 100% or a duration, got {self.warn_before!r}")
        else:
            try:
                parse_duration(self.warn_before)
            except ValueError as exc:
                raise ValueError(f"warn_before: {exc}") from None
        return self


class RulesFile(BaseModel):
    model_config = _strict

    agents: dict[str, Agent] = Field(default_factory=dict)
    queues: dict[str, Queue] = Field(default_factory=dict)
    calendars: dict[str, CalendarSettings] = Field(default_factory=dict)
    assignment: list[AssignmentRule] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    sla_policies: list[SlaPolicy] = Field(default_factory=list)
    automations: list[Automation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> RulesFile:
        problems = []
        for n, policy in enumerate(self.sla_policies):
            if policy.calendar and policy.calendar not in self.calendars:
                problems.append(f"sla_policies[{n}]: calendar {policy.calendar!r} is not in calendars:")
        for name, queue in self.queues.items():
            for agent in queue.agents:
                if agent not in self.agents:
                    problems.append(f"queues.{name}: agent {agent!r} is not in agents:")
        for n, rule in enumerate(self.assignment):
            if rule.queue and rule.queue not in self.queues:
                problems.append(f"assignment[{n}]: queue {rule.queue!r} is not in queues:")
            if rule.agent and rule.agent not in self.agents:
                problems.append(f"assignment[{n}]: agent {rule.agent!r} is not in agents:")
        for kind, entries in (("triggers", self.triggers), ("automations", self.automations)):
            seen: set[str] = set()
            for n, entry in enumerate(entries):
                if entry.name in seen:
                    problems.append(f"{kind}[{n}]: the name {entry.name!r} is used twice (names appear in timelines)")
                seen.add(entry.name)
        if problems:
            raise ValueError("; ".join(problems))
        return self
