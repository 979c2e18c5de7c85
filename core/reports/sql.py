"""The few things SQLite and PostgreSQL spell differently, as SQLAlchemy constructs.

Reports aggregate in the database; these let one query text serve both:
seconds between two timestamps, the UTC day of a timestamp, a JSON field of an
event's data as text, and the business time an SLA clock counted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, String, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["Day", "JsonFlag", "JsonText", "Seconds", "json_elements"]


class Seconds(FunctionElement[float]):
    """``later - earlier`` in seconds."""

    type = Float()
    inherit_cache = True


@compiles(Seconds, "postgresql")
def _seconds_pg(element: Seconds, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@compiles(Seconds, "sqlite")
def _seconds_sqlite(element: Seconds, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


class Day(FunctionElement[str]):
    """The UTC calendar day of a timestamp, as ``YYYY-MM-DD``."""

    type = String()
    inherit_cache = True


@compiles(Day, "postgresql")
def _day_pg(element: Day, compiler: Any, **kw: Any) -> str:
    (moment,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"to_char({moment} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(Day, "sqlite")
def _day_sqlite(element: Day, compiler: Any, **kw: Any) -> str:
    (moment,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"substr({moment}, 1, 10)"


class JsonText(FunctionElement[str]):
    """A top-level field of a JSON column as text (``data->>'to'``)."""

    type = String()
    inherit_cache = True

    def __init__(self, column: Any, key: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"not a JSON key reports use: {key!r}")
        self.key = key
        super().__init__(column)


@compiles(JsonText, "postgresql")
def _json_pg(element: JsonText, compiler: Any, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} ->> '{element.key}')"


@compiles(JsonText, "sqlite")
def _json_sqlite(element: JsonText, compiler: Any, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"json_extract({column}, '$.{element.key}')"


class JsonFlag(FunctionElement[bool]):
    """A top-level JSON boolean field is true (PostgreSQL says 'true', SQLite's json_extract says 1)."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: Any, key: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"not a JSON key reports use: {key!r}")
        self.key = key
        super().__init__(column)


@compiles(JsonFlag, "postgresql")
def _flag_pg(element: JsonFlag, compiler: Any, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({column} ->> '{element.key}') = 'true')"


@compiles(JsonFlag, "sqlite")
def _flag_sqlite(element: JsonFlag, compiler: Any, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(json_extract({column}, '$.{element.key}') = 1)"


def json_elements(connection_dialect: str, column: Any) -> Any:
    """The elements of a JSON array column as a table (``value``), joinable to the row they come from."""
    fn = func.jsonb_array_elements if connection_dialect == "postgresql" else func.json_each
    return fn(column).table_valued("value").alias("element")
