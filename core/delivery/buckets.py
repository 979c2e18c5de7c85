"""Rate limits shared by every worker process: token buckets kept in the database.

A per-process limiter would let four workers send four messages a second to a
Slack channel that takes one. A row per bucket, read and refilled under a row
lock in one short transaction, makes the limit hold across processes and
machines without any networking of our own.
"""

from __future__ import annotations

from datetime import datetime

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casehub.store.tables import outbox_buckets

__all__ = ["block", "take", "take_each"]

_b = outbox_buckets.c
# Built once, so each call reuses SQLAlchemy's compiled statement (the web forms take two per post).
_LOCK = select(outbox_buckets).where(_b.bucket == bindparam("bucket")).with_for_update()
_LOCK_ALL = (
    select(outbox_buckets)
    .where(_b.bucket.in_(bindparam("buckets", expanding=True)))
    .order_by(_b.bucket)  # the same lock order in every transaction: no deadlock between two posts
    .with_for_update()
)
_REFILL = update(outbox_buckets).where(_b.bucket == bindparam("b_bucket")).values(
    tokens=bindparam("b_tokens"), refilled_at=bindparam("b_now")
)


def _locked(conn: Connection, bucket: str, tokens: float, now: datetime) -> Row[Any]:
    """The bucket's row under a row lock, made full (``tokens``) if it did not exist yet."""
    row = conn.execute(_LOCK, {"bucket": bucket}).first()
    if row is None:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(outbox_buckets).values(bucket=bucket, tokens=tokens, refilled_at=now).on_conflict_do_nothing())
        row = conn.execute(_LOCK, {"bucket": bucket}).one()
    return row


def _wait(row: Row[Any] | None, rate: float, burst: int, now: datetime) -> tuple[float, float]:
    """(seconds to wait for a token, tokens there are now) of a bucket as ``row`` left it."""
    if row is None:
        return 0.0, float(burst)
    if row.blocked_until is not None and row.blocked_until > now:
        return (row.blocked_until - now).total_seconds(), 0.0
    elapsed = max(0.0, (now - row.refilled_at).total_seconds())
    tokens = min(float(burst), row.tokens + elapsed * rate)
    return (0.0 if tokens >= 1.0 else (1.0 - tokens) / rate), tokens


def take(conn: Connection, bucket: str, *, rate: float, burst: int, now: datetime) -> float:
    """Take one token: ``0.0`` if granted, else the seconds until one will be there."""
    wait, tokens = _wait(_locked(conn, bucket, float(burst), now), rate, burst, now)
    if wait > 0:  # nothing to take; the row as it is says when there will be (or how long it is paused)
        return wait
    conn.execute(_REFILL, {"b_bucket": bucket, "b_tokens": tokens - 1.0, "b_now": now})
    return 0.0


# A bucket nobody has used yet starts full; one made meanwhile by another transaction is left as it is.
_INSERT_FULL = {
    "postgresql": pg_insert(outbox_buckets).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(outbox_buckets).on_conflict_do_nothing(),
}


def take_each(conn: Connection, wanted: Sequence[Sequence[tuple[str, float, int]]], now: datetime) -> list[float]:
    """For each caller in order, one token from every bucket of its limits (bucket, rate, burst), or from none.

    Returns, per caller, ``0.0`` if its tokens were taken, else the wait of the
    first of its buckets that has none (it takes nothing). Callers sharing a
    bucket see each other's takes, exactly as if each had come alone, but the
    buckets are read under lock once and written once for all of them: the web
    forms' group commit takes a whole batch of posts' tokens in three
    statements. Buckets never used before are made full first (most posters
    are new), so every bucket is then a locked row, whichever transaction made it.
    """
    names = sorted({bucket for limits in wanted for bucket, _, _ in limits})
    if not names:  # nothing asked, or only limits without buckets
        return [0.0] * len(wanted)
    burst_of = {bucket: burst for limits in wanted for bucket, _, burst in limits}
    conn.execute(_INSERT_FULL[conn.dialect.name], [
        {"bucket": name, "tokens": float(burst_of[name]), "refilled_at": now} for name in names
    ])  # fmt: skip
    rows: dict[str, Any] = {r.bucket: r for r in conn.execute(_LOCK_ALL, {"buckets": names})}
    tokens: dict[str, float] = {}  # what is left in the buckets taken from so far, as of ``now``
    waits = []
    for limits in wanted:
        wait, left = 0.0, {}
        for bucket, rate, burst in limits:
            if bucket in tokens:
                now_there = tokens[bucket]
                bucket_wait = 0.0 if now_there >= 1.0 else (1.0 - now_there) / rate
            else:
                bucket_wait, now_there = _wait(rows[bucket], rate, burst, now)
            if bucket_wait > 0:
                wait = bucket_wait
                break
            left[bucket] = now_there - 1.0
        waits.append(wait)
        if wait == 0.0:
            tokens.update(left)
    if tokens:
        conn.execute(_REFILL, [{"b_bucket": b, "b_tokens": t, "b_now": now} for b, t in tokens.items()])
    return waits


def block(conn: Connection, bucket: str, *, until: datetime, now: datetime) -> None:
    """Pause a bucket until ``until`` (a vendor's Retry-After), never shortening a longer pause."""
    row = _locked(conn, bucket, 0.0, now)
    if row.blocked_until is None or row.blocked_until < until:
        paused = {"blocked_until": until, "tokens": 0.0, "refilled_at": until}
        conn.execute(update(outbox_buckets).where(_b.bucket == bucket).values(paused))
