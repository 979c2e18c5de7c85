"""What rules can do: built-in actions that change the case, and actions plugins offer.

An action in the rules file is a one-key mapping, ``{set_priority: urgent}`` or
``{assign: {queue: billing}}``; its params are validated by the action's
pydantic model when the file is loaded, so a typo fails at start, with the
line, and never at 3 a.m. on the first matching case.

Built-in actions do not write anything themselves: they add to an
:class:`Effects` that the case service applies in the same transaction as the
event that triggered the rule (with the status machine and the event log, like
any other change). Plugin actions become outbox deliveries to the plugin, made
by the delivery workers after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from casehub.model import Case, CaseType, Priority, Status
from casehub.outbox import Delivery

if TYPE_CHECKING:
    from casehub.csat.tokens import SurveyLinks
    from casehub.rules.assignment import Assigner

__all__ = ["ActionError", "BUILTIN", "CSAT_ACTION", "Effects", "PluginAction", "Template", "parse_action"]

_templates = SandboxedEnvironment(autoescape=False, trim_blocks=True)
_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class ActionError(ValueError):
    """An action entry that cannot be used; the message says what was expected."""


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    # Compiling a Jinja2 template costs about a millisecond; rules files repeat their texts.
    return _templates.from_string(source)


class Template:
    """A Jinja2 template compiled at load time and rendered in a sandbox (no attribute tricks, no imports)."""

    def __init__(self, source: str) -> None:
        try:
            self._template = _compiled(source)
        except TemplateSyntaxError as exc:
            raise ValueError(f"template error on its line {exc.lineno}: {exc.message}") from None
        self.source = source

    def render(self, case: Case, **extra: Any) -> str:
        return self._template.render(case=case.model_dump(mode="json"), **extra)


@dataclass
class Effects:
    """What the rules that fired for one event want done to the case."""

    changes: dict[str, Any] = field(default_factory=dict)
    comments: list[tuple[str, bool]] = field(default_factory=list)  # (body, public)
    deliveries: list[Delivery] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (type, data), recorded by actor "rules"

    def __bool__(self) -> bool:
        return bool(self.changes or self.comments or self.deliveries or self.events)


@dataclass
class ActionContext:
    case: Case  # as it will be after the changes so far
    effects: Effects
    assigner: Assigner | None
    dry_run: bool = False
    surveys: SurveyLinks | None = None  # from [csat]; None without a secret (load refuses send_csat_survey then)
    now: datetime | None = None


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shorthand: ClassVar[str | None] = None  # the field a scalar value fills: {set_priority: urgent}


class _Value(_Params):
    shorthand = "value"


class SetPriority(_Value):
    value: Priority


class SetType(_Value):
    value: CaseType


class SetStatus(_Value):
    value: Status


class SetText(_Value):
    value: str | None = Field(max_length=255)


class Tags(_Value):
    value: list[str] | str

    @field_validator("value")
    @classmethod
    def _listed(cls, value: list[str] | str) -> list[str]:
        return [value.lower()] if isinstance(value, str) else [v.lower() for v in value]


class SetField(_Params):
    field: str = Field(pattern=r"^custom\.[A-Za-z0-9_]{1,64}$", description="custom.<name>")
    value: str | int | float | bool | None


class Assign(_Params):
    shorthand = "queue"
    queue: str | None = None
    agent: str | None = None


class Escalate(_Params):
    queue: str | None = None
    owner: str | None = None
    priority: Priority | None = Field(None, description="default: one level up")
    note: str | None = None


class Comment(_Params):
    shorthand = "body"
    body: str = Field(min_length=1, max_length=20_000)


class Close(_Params):
    comment: str | None = None


CSAT_ACTION = "send_csat_survey"
DEFAULT_SURVEY_BODY = """Hello {{ case.contact.name or "there" }},

your request {{ case.number }} ("{{ case.subject }}") is resolved. How did we do?
One question, one click: {{ survey_url }}

Thank you!"""


class CsatSurvey(_Params):
    """A public reply with a link to a one-question satisfaction survey; records `csat.requested`. Needs `[csat] secret`."""

    shorthand = "body"
    body: str = Field(
        DEFAULT_SURVEY_BODY,
        min_length=1,
        max_length=20_000,
        description="template of the reply; {{ survey_url }} is the survey link and must appear in it",
    )

    @field_validator("body")
    @classmethod
    def _links(cls, value: str) -> str:
        # Compiled again when it runs, from the cache: a syntax error is an error at load, with its line.
        Template(value)
        if "survey_url" not in meta.find_undeclared_variables(_templates.parse(value)):
            raise ValueError("the body must contain the link: {{ survey_url }}")
        return value


@dataclass(frozen=True)
class Builtin:
    params: type[_Params]
    run: Callable[[Any, ActionContext], str]
    templates: tuple[str, ...] = ()  # params rendered with Jinja2


def _set(name: str) -> Callable[[Any, ActionContext], str]:
    def run(p: Any, ctx: ActionContext) -> str:
        ctx.effects.changes[name] = p.value
        return f"{name} → {p.value}"

    return run


def _add_tags(p: Tags, ctx: ActionContext) -> str:
    tags = list(ctx.effects.changes.get("tags", ctx.case.tags))
    added = [t for t in p.value if t not in tags]  # type: ignore[union-attr]
    ctx.effects.changes["tags"] = tags + added
    return f"tags + {', '.join(p.value)}"  # type: ignore[arg-type]


def _remove_tags(p: Tags, ctx: ActionContext) -> str:
    tags = ctx.effects.changes.get("tags", ctx.case.tags)
    ctx.effects.changes["tags"] = [t for t in tags if t not in p.value]  # type: ignore[operator]
    return f"tags − {', '.join(p.value)}"  # type: ignore[arg-type]


def _set_field(p: SetField, ctx: ActionContext) -> str:
    name = p.field.removeprefix("custom.")
    custom = dict(ctx.effects.changes.get("custom_fields", ctx.case.custom_fields))
    custom[name] = p.value
    ctx.effects.changes["custom_fields"] = custom
    return f"{p.field} → {p.value!r}"


SLA_FIELD = "sla_policy"  # custom field that pins a case to an SLA policy


def _apply_sla(p: SetText, ctx: ActionContext) -> str:
    custom = dict(ctx.effects.changes.get("custom_fields", ctx.case.custom_fields))
    custom[SLA_FIELD] = p.value
    ctx.effects.changes["custom_fields"] = custom
    return f"SLA policy → {p.value}"


def _assign(p: Assign, ctx: ActionContext) -> str:
    if p.agent:
        ctx.effects.changes["owner"] = p.agent
        return f"owner → {p.agent}"
    ctx.effects.changes["queue"] = p.queue
    if ctx.assigner is None or ctx.dry_run or not ctx.assigner.distributes(p.queue or ""):
        return f"queue → {p.queue}"
    agent = ctx.assigner.pick(p.queue or "", ctx.case)
    if agent:
        ctx.effects.changes["owner"] = agent
        return f"queue → {p.queue}, owner → {agent}"
    return f"queue → {p.queue} (no available agent: left in the queue)"


def _escalate(p: Escalate, ctx: ActionContext) -> str:
    done = ["escalated"]
    ctx.effects.changes["is_escalated"] = True
    current = Priority(ctx.effects.changes.get("priority", ctx.case.priority))
    raised = p.priority or _ORDER[min(_ORDER.index(current) + 1, len(_ORDER) - 1)]
    if raised != current:
        ctx.effects.changes["priority"] = raised
        done.append(f"priority → {raised}")
    if p.queue:
        done.append(_assign(Assign(queue=p.queue), ctx))
    if p.owner:
        ctx.effects.changes["owner"] = p.owner
        done.append(f"owner → {p.owner}")
    if p.note:
        ctx.effects.comments.append((p.note, False))
    return ", ".join(done)


def _comment(public: bool) -> Callable[[Comment, ActionContext], str]:
    def run(p: Comment, ctx: ActionContext) -> str:
        ctx.effects.comments.append((p.body, public))
        return "public reply" if public else "internal note"

    return run


def _send_survey(p: CsatSurvey, ctx: ActionContext) -> str:
    if ctx.surveys is None or ctx.now is None:  # loading the rules refuses the action without [csat] secret
        raise RuntimeError("[csat] secret is not set")
    link = ctx.surveys.issue(ctx.case.id, ctx.now)
    body = Template(p.body).render(ctx.case, survey_url=link.url)  # rendered first: a failure changes nothing
    ctx.effects.comments.append((body, True))
    ctx.effects.events.append(("csat.requested", {"nonce": link.nonce, "expires_at": link.expires_at.isoformat()}))
    return "CSAT survey sent"


def _close(p: Close, ctx: ActionContext) -> str:
    if p.comment:
        ctx.effects.comments.append((p.comment, True))
    ctx.effects.changes["status"] = Status.CLOSED
    return "closed" + (" with a reply" if p.comment else "")


BUILTIN: dict[str, Builtin] = {
    "set_priority": Builtin(SetPriority, _set("priority")),
    "set_type": Builtin(SetType, _set("type")),
    "set_status": Builtin(SetStatus, _set("status")),
    "set_queue": Builtin(SetText, _set("queue")),
    "set_owner": Builtin(SetText, _set("owner")),
    "set_field": Builtin(SetField, _set_field),
    "add_tag": Builtin(Tags, _add_tags),
    "remove_tag": Builtin(Tags, _remove_tags),
    "assign": Builtin(Assign, _assign),
    "escalate": Builtin(Escalate, _escalate, ("note",)),
    "add_note": Builtin(Comment, _comment(False), ("body",)),
    "reply": Builtin(Comment, _comment(True), ("body",)),
    "close": Builtin(Close, _close, ("comment",)),
    "apply_sla": Builtin(SetText, _apply_sla),
    CSAT_ACTION: Builtin(CsatSurvey, _send_survey),
}


@dataclass(frozen=True)
class PluginAction:
    """An action a plugin registered: firing it plans deliveries to the plugin."""

    plugin: str
    name: str
    params: type[BaseModel]
    plan: Callable[[Case, BaseModel], list[Delivery]] | None = None

    def deliveries(self, case: Case, params: BaseModel, rule: str) -> list[Delivery]:
        if self.plan is not None:
            return list(self.plan(case, params))
        payload = {"params": params.model_dump(mode="json"), "rule": rule}
        return [Delivery(self.plugin, self.name, payload=payload)]


@dataclass(frozen=True)
class Action:
    """One action of a rule, validated and ready to run."""

    name: str
    params: BaseModel
    builtin: Builtin | None
    plugin: PluginAction | None
    templates: dict[str, Template]

    def run(self, ctx: ActionContext, rule: str) -> str:
        if self.plugin is not None:
            ctx.effects.deliveries.extend(self.plugin.deliveries(ctx.case, self.params, rule))
            return f"{self.name} (via {self.plugin.plugin})"
        assert self.builtin is not None
        params = self.params
        if self.templates:
            rendered = {k: t.render(ctx.case) for k, t in self.templates.items()}
            params = params.model_copy(update=rendered)
        return self.builtin.run(params, ctx)


def parse_action(entry: Any, plugin_actions: dict[str, PluginAction]) -> Action:
    """One entry of a rule's ``actions`` list; raises ActionError with what was expected."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ActionError("expected one action as a one-key mapping, e.g. {set_priority: urgent}")
    [(name, raw)] = entry.items()
    builtin = BUILTIN.get(name)
    plugin = plugin_actions.get(name)
    if builtin is None and plugin is None:
        known = sorted([*BUILTIN, *plugin_actions])
        raise ActionError(f"unknown action {name!r}; expected one of: {', '.join(known)}")
    model: type[BaseModel] = builtin.params if builtin else plugin.params  # type: ignore[union-attr]
    shorthand = getattr(model, "shorthand", None)
    if raw is None and shorthand is not None and not model.model_fields[shorthand].is_required():
        raw = {}  # "- send_csat_survey:" alone: the defaults
    if not isinstance(raw, dict):
        if shorthand is None:
            raise ActionError(f"{name}: expected a mapping of params ({', '.join(model.model_fields)})")
        raw = {shorthand: raw}
    try:
        params = model.model_validate(raw or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or name}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise ActionError(f"{name}: {problems}") from None
    templates: dict[str, Template] = {}
    for key in builtin.templates if builtin else ():
        value = getattr(params, key)
        if value:
            try:
                templates[key] = Template(value)
            except ValueError as exc:
                raise ActionError(f"{name}.{key}: {exc}") from None
    return Action(name, params, builtin, plugin, templates)
