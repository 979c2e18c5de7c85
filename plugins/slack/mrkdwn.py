"""Customer text in Slack messages: shown as written, never as markup, never as a mention.

Slack's mrkdwn turns ``<…>`` into links and mentions (``<!channel>``,
``<@U123>``, ``<https://evil|click>``) and ``&`` starts an entity; escaping
those three characters is Slack's own rule for untrusted text. A plain
``@channel`` only notifies with ``link_names``, which casehub never sets.
Formatting characters (``*``, ``_``, ``~``, backticks) inside customer text
could only restyle it, so they are left as typed.
"""

from __future__ import annotations

__all__ = ["escape", "truncate"]


def escape(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, more: str = "…") -> str:
    """``text`` cut to ``limit`` characters, ending in ``more`` (a link to the rest) if it was longer."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(more) - 1)
    cut = text[:keep]
    if "&" in cut[-5:]:  # never cut an escape in half
        cut = cut[: cut.rfind("&")]
    return f"{cut} {more}"
