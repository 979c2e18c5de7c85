"""What a case looks like in Slack: one Block Kit message a team can act on, within Slack's limits.

Everything that came from a customer goes through :func:`mrkdwn.escape`;
every text is cut to its block's limit with a link to the case rather than
failing the message (Slack refuses the whole message with ``invalid_blocks``
or ``msg_too_long`` otherwise).
"""

from __future__ import annotations

from typing import Any

from casehub.model import Case, Status
from casehub.plugins.slack.mrkdwn import escape, truncate
from casehub.rules.actions import Template

__all__ = ["ACTIONS", "case_message", "digest_message", "mention_markup", "note_message"]

SECTION_LIMIT = 3000  # characters of a section's text
FIELD_LIMIT = 2000  # characters of one section field
TEXT_LIMIT = 3000  # the notification text (fallback), kept short: it is what phones show
MAX_BLOCKS = 50

# action_id → what the button does (see interactive.py)
ACTIONS = {
    "casehub_ack": "Acknowledge",
    "casehub_assign_me": "Assign to me",
    "casehub_escalate": "Escalate",
    "casehub_resolve": "Resolve",
}
_PRIORITY_ICON = {"urgent": ":rotating_light:", "high": ":red_circle:", "normal": ":large_blue_circle:", "low": ":white_circle:"}


def link(case: Case, case_url: str | None, label: str | None = None) -> str:
    text = escape(label or case.number)
    if not case_url:
        return text
    return f"<{case_url.format(number=case.number, id=case.id)}|{text}>"


def mention_markup(mention: str | None) -> str:
    """A mention from the rules file (trusted): ``@here``, ``@channel``, a user (U…/W…) or a user group (S…)."""
    if not mention:
        return ""
    if mention in ("@here", "@channel"):
        return f"<!{mention[1:]}> "
    if mention.startswith("S"):
        return f"<!subteam^{mention}> "
    return f"<@{mention}> "


def _when(value: Any) -> str:
    """A time every reader sees in their own time zone; the fallback is UTC."""
    epoch = int(value.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{value.strftime('%Y-%m-%d %H:%M UTC')}>"


def _sla_due(case: Case) -> str | None:
    running = [t for t in case.sla if t.state == "running" and t.due_at is not None]
    if not running:
        breached = [t for t in case.sla if t.state == "breached"]
        return f":warning: {escape(breached[0].name)} breached" if breached else None
    first = min(running, key=lambda t: t.due_at)  # type: ignore[arg-type, return-value]
    return f"{escape(first.name)} due {_when(first.due_at)}"


def _fields(case: Case) -> list[dict[str, str]]:
    customer = " ".join(p for p in (escape(case.contact.name), f"({escape(case.contact.email)})" if case.contact.email else "") if p)
    account = escape(case.account.name) + (f" · {escape(case.account.tier)}" if case.account and case.account.tier else "") if case.account else ""
    pairs = [
        ("Priority", f"{_PRIORITY_ICON.get(str(case.priority), '')} {case.priority}".strip()),
        ("Status", str(case.status) + (" · escalated" if case.is_escalated else "")),
        ("Queue", escape(case.queue) or "—"),
        ("Owner", escape(case.owner) or "unassigned"),
        ("SLA", _sla_due(case) or "—"),
        ("Customer", customer or "—"),
        ("Account", account or "—"),
    ]
    return [{"type": "mrkdwn", "text": truncate(f"*{name}*\n{value}", FIELD_LIMIT)} for name, value in pairs]


def _buttons(case: Case) -> dict[str, Any]:
    elements = []
    for action_id, label in ACTIONS.items():
        if action_id == "casehub_resolve" and case.status in (Status.RESOLVED, Status.CLOSED):
            continue
        button: dict[str, Any] = {
            "type": "button", "action_id": action_id, "value": case.id, "text": {"type": "plain_text", "text": label},
        }  # fmt: skip
        if action_id == "casehub_escalate":
            button["style"] = "danger"
        elif action_id == "casehub_resolve":
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "block_id": f"case:{case.id}", "elements": elements}


def case_message(
    case: Case, *, case_url: str | None, template: str, mention: str | None = None, buttons: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) for a case, as it is now."""
    more = link(case, case_url, "more on the case") if case_url else "…"
    headline = truncate(escape(Template(template).render(case)), SECTION_LIMIT // 2, more)
    title = f"{mention_markup(mention)}*{link(case, case_url)}* · {escape(case.subject)}"
    body = truncate(f"{title}\n{headline}" if headline and headline != escape(case.subject) else title, SECTION_LIMIT, more)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        {"type": "section", "fields": _fields(case)},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{case.number} · opened {_when(case.created_at)} · via {case.channel}"}]},
    ]
    if buttons:
        blocks.append(_buttons(case))
    text = truncate(f"{mention_markup(mention)}{case.number} [{case.priority}] {escape(case.subject)}", TEXT_LIMIT)
    return text, blocks


def note_message(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A line in a case's thread (what happened to it); ``text`` is already safe mrkdwn."""
    body = truncate(text, SECTION_LIMIT)
    return body, [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]


def digest_message(cases: list[Case], *, case_url: str | None) -> tuple[str, list[dict[str, Any]]]:
    """One message for many cases: a line each, in sections of at most ``SECTION_LIMIT`` characters."""
    header = f"{len(cases)} cases need attention"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": header}}]
    lines = [
        f"{_PRIORITY_ICON.get(str(c.priority), '•')} *{link(c, case_url)}* {truncate(escape(c.subject), 120)}"
        f" — {c.priority}" + (f", {escape(c.owner)}" if c.owner else "")
        for c in cases
    ]
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SECTION_LIMIT:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    if len(blocks) > MAX_BLOCKS:
        left = sum(1 for _ in blocks[MAX_BLOCKS - 1 :])
        blocks = blocks[: MAX_BLOCKS - 1]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"… and {left} more sections of cases"}]})
    return truncate(header, TEXT_LIMIT), blocks
