"""Rate limits shared by every worker process: token buckets kept in the database.

A per-process limiter would let four workers send four messages a second to a
Slack channel that takes one. A row per bucket, read and refilled under a row
lock in one short transaction, makes the limit hold across processes and
machines without any networking of our own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casehub.store.tables import outbox_buckets

__all__ = ["block", "take"]

_b = outbox_buckets.c


def _ensure(conn: Connection, bucket: str, tokens: float, now: datetime) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert(outbox_buckets).values(bucket=bucket, tokens=tokens, refilled_at=now).on_conflict_do_nothing()
    )


def take(conn: Connection, bucket: str, *, rate: float, burst: int, now: datetime) -> float:
    """Take one token: ``0.0`` if granted, else the seconds until one will be there."""
    _ensure(conn, bucket, float(burst), now)
    row = conn.execute(select(outbox_buckets).where(_b.bucket == bucket).with_for_update()).one()
    if row.blocked_until is not None and row.blocked_until > now:
        return (row.blocked_until - now).total_seconds()
    elapsed = max(0.0, (now - row.refilled_at).total_seconds())
    tokens = min(float(burst), row.tokens + elapsed * rate)
    granted = tokens >= 1.0
    if granted:
        tokens -= 1.0
    conn.execute(update(outbox_buckets).where(_b.bucket == bucket).values(tokens=tokens, refilled_at=now))
    return 0.0 if granted else (1.0 - tokens) / rate


def block(conn: Connection, bucket: str, *, until: datetime, now: datetime) -> None:
    """Pause a bucket until ``until`` (a vendor's Retry-After), never shortening a longer pause."""
    _ensure(conn, bucket, 0.0, now)
    row = conn.execute(select(_b.blocked_until).where(_b.bucket == bucket).with_for_update()).one()
    if row.blocked_until is None or row.blocked_until < until:
        paused = {"blocked_until": until, "tokens": 0.0, "refilled_at": until}
        conn.execute(update(outbox_buckets).where(_b.bucket == bucket).values(paused))
