"""MkDocs hook: fills the generated parts of ``reference.md`` from casehub's own models and specs."""

from __future__ import annotations

from typing import Any

from casehub.reference import actions_tables, conditions_table, hook_signatures, settings_tables

_MARKERS = {
    "<!-- generated: settings -->": settings_tables,
    "<!-- generated: conditions -->": conditions_table,
    "<!-- generated: actions -->": actions_tables,
    "<!-- generated: hooks -->": hook_signatures,
}


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    for marker, generate in _MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown
