"""Which cases a report looks at (filters) and how it splits them (``--by``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement

from casehub.store.tables import cases

__all__ = ["DIMENSIONS", "TOTAL", "Scope"]

TOTAL = "all"

# Case fields a report can split or filter by: each is an indexed column of the case row.
DIMENSIONS = ("queue", "channel", "priority", "type", "owner")


@dataclass(frozen=True)
class Scope:
    """Filters (each ``None`` = all) and the dimension to split by (``None`` = one total)."""

    queue: str | None = None
    channel: str | None = None
    priority: str | None = None
    type: str | None = None
    owner: str | None = None
    by: str | None = None

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in DIMENSIONS:
            raise ValueError(f"by: expected one of {', '.join(DIMENSIONS)}, got {self.by!r}")

    def filters(self) -> dict[str, str]:
        return {f.name: v for f in fields(self) if f.name != "by" and (v := getattr(self, f.name)) is not None}

    def conditions(self) -> list[ColumnElement[bool]]:
        """WHERE terms on the case row; values travel as bound parameters, never as SQL text."""
        return [cases.c[name] == value for name, value in self.filters().items()]

    def keys(self) -> list[ColumnElement[Any]]:
        """What to select and group by first: the case's current value of ``by``, or nothing (one total)."""
        return [cases.c[self.by].label("key")] if self.by else []

    def key_of(self, row: Any) -> str | None:
        return row.key if self.by else TOTAL

    def as_json(self) -> dict[str, Any]:
        return {"by": self.by, "filters": self.filters()}
