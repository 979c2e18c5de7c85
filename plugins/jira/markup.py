"""Customer text in Jira: shown as typed, never as wiki markup, never as a mention or a JQL clause.

Jira's wiki renderer turns ``{code}``/``{noformat}`` into blocks that swallow
what follows, ``[text|url]`` into links (a phishing tool in an issue product
people trust), ``[~user]`` into mentions that notify, and ``*``, ``_``, ``-``,
``+``, ``^``, ``~``, ``?``, ``!`` and ``#`` into formatting, images and
lists. A backslash before a character makes the renderer show it as is.
JQL strings are double-quoted with ``"`` and ``\\`` escaped.
"""

from __future__ import annotations

import re

__all__ = ["jql_string", "wiki"]

_SPECIAL = re.compile(r"([\\{}\[\]|*_\-+^~?!#])")


def wiki(text: str | None) -> str:
    return _SPECIAL.sub(r"\\\1", text or "")


def jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
