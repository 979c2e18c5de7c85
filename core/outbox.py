"""The transactional outbox: external calls recorded in the same transaction as the change.

A plugin's :func:`~casehub.hookspecs.plan_deliveries` returns :class:`Delivery`
records; :func:`enqueue` stores them next to the event that caused them, so a
rolled-back change leaves no delivery and a committed one cannot lose its
delivery. Delivery workers (``casehub worker``) drain the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, text

from casehub.store.tables import outbox

__all__ = ["NOTIFY_CHANNEL", "Delivery", "DeliveryResult", "OutboxItem", "OutboxStatus", "enqueue", "notify", "outbox_rows"]

NOTIFY_CHANNEL = "casehub_outbox"


class OutboxStatus:
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"  # an attempt failed; the next one is scheduled at next_attempt_at
    DEAD = "dead"  # out of attempts, or refused for good by the vendor; `casehub outbox retry` revives it
    DROPPED = "dropped"  # given up by a person (`casehub outbox drop`)


@dataclass(frozen=True)
class Delivery:
    """One external call a plugin wants made because of an event.

    ``destination`` is the plugin that performs it; ``key`` narrows it (a Slack
    channel, a Jira project) so rate limits and ordering can be per key.
    """

    destination: str
    action: str
    key: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxItem:
    """A stored delivery as a worker hands it to :func:`~casehub.hookspecs.deliver`."""

    id: int
    case_id: str
    event_id: int | None
    destination: str
    key: str
    action: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class DeliveryResult:
    """What a delivery achieved; ``remote_id``/``remote_url`` are stored on the case as a link.

    The link is named after the destination (``salesforce``), or ``link_system``
    where one case has several records at one vendor (``slack_c0123``: a thread
    per channel); a new link replaces the case's link of the same name.

    A failure is retried with backoff unless ``permanent`` (the vendor refused
    the data itself); ``retry_after`` overrides the backoff with the vendor's wish.
    ``deferred`` (with ``retry_after``): not tried at all — the executor chose
    to wait (a vendor's API allowance nearly used up, say); it does not count
    as an attempt and writes nothing on the case's timeline.
    """

    ok: bool = True
    remote_id: str | None = None
    remote_url: str | None = None
    error: str | None = None
    retry_after: float | None = None
    permanent: bool = False
    deferred: bool = False
    link_system: str | None = None  # the link's name on the case, if not the destination's (one per Slack channel)


_INSERT = insert(outbox)


def notify(conn: Connection) -> None:
    """Wake PostgreSQL workers when this transaction commits (see :mod:`casehub.delivery.wakeup`)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')"))


def outbox_rows(case_id: str, event_id: int, deliveries: list[Delivery], now: datetime) -> list[dict[str, Any]]:
    """The rows that store ``deliveries`` of one event, for :func:`enqueue`.

    The idempotency key is derived from the event and the delivery's place in
    the plan, so it is the same however often the delivery is attempted.
    """
    return [
        {
            "case_id": case_id,
            "event_id": event_id,
            "destination": d.destination,
            "key": d.key,
            "action": d.action,
            "payload": d.payload,
            "idempotency_key": f"{event_id}:{d.destination}:{d.action}:{d.key}:{n}",
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for n, d in enumerate(deliveries)
    ]


def enqueue(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Store deliveries (rows from :func:`outbox_rows`) inside the caller's transaction; returns how many."""
    if not rows:
        return 0
    conn.execute(_INSERT, rows)
    notify(conn)
    return len(rows)
