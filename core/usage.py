"""Vendors' API allowances as they last reported them, shared by every process through the database.

A delivery worker learns the figure (from a response header); the operator
asks another process (``casehub outbox stats``, ``/metrics``). A row per
vendor, overwritten, is all it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casehub.store.engine import write_connection
from casehub.store.tables import vendor_usage

__all__ = ["VendorUsage", "read", "report"]


@dataclass(frozen=True)
class VendorUsage:
    vendor: str
    used: int
    limit: int
    reported_at: datetime

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.limit if self.limit else 0.0


def report(engine: Engine, vendor: str, used: int, limit: int, now: datetime) -> None:
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    values = {"vendor": vendor, "used": used, "limit": limit, "reported_at": now}
    statement = insert(vendor_usage).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[vendor_usage.c.vendor], set_={k: statement.excluded[k] for k in ("used", "limit", "reported_at")}
    )
    with write_connection(engine) as conn:
        conn.execute(statement)


def read(engine: Engine) -> list[VendorUsage]:
    with engine.connect() as conn:
        rows = conn.execute(select(vendor_usage).order_by(vendor_usage.c.vendor))
        return [VendorUsage(r.vendor, r.used, r.limit, r.reported_at) for r in rows]
