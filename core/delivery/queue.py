"""The outbox as a queue: claiming with leases, recording attempts, and the operator's commands.

Ordering is enforced in the claim itself: a delivery is claimable only when no
older delivery of the same case to the same destination is still open
(pending, failed-and-waiting, or in flight). So one case's deliveries to one
destination happen in the order they were created, while a Slack outage never
holds back that case's Salesforce sync, and different cases run in parallel.
Dead and dropped deliveries do not block the ones after them: a vendor's
permanent refusal of one change must not freeze the case's sync for good.

On PostgreSQL the claim locks candidate rows with ``FOR UPDATE SKIP LOCKED``,
so any number of workers claim disjoint batches without waiting on each other.
On SQLite write transactions are serial (``BEGIN IMMEDIATE``), which gives the
same guarantee.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, or_, select, update

from casehub.model import ExternalLink
from casehub.outbox import OutboxItem, OutboxStatus, notify
from casehub.store import cases as case_store
from casehub.store.tables import OPEN_DELIVERY, cases, events, outbox

__all__ = [
    "Finished",
    "OutboxRow",
    "claim",
    "drop",
    "finish",
    "list_rows",
    "release",
    "renew",
    "retry",
    "stats",
]

S = OutboxStatus

_older = outbox.alias("older")
_blocked = exists().where(
    _older.c.case_id == outbox.c.case_id,
    _older.c.destination == outbox.c.destination,
    _older.c.id < outbox.c.id,
    _older.c.status.in_(OPEN_DELIVERY),
)


def _item(row: Any) -> OutboxItem:
    m = row._mapping
    return OutboxItem(
        id=m["id"],
        case_id=m["case_id"],
        event_id=m["event_id"],
        destination=m["destination"],
        key=m["key"],
        action=m["action"],
        payload=m["payload"],
        idempotency_key=m["idempotency_key"],
        attempts=m["attempts"],
        created_at=m["created_at"],
    )


def claim(
    conn: Connection, worker: str, *, limit: int, now: datetime, lease: timedelta, skip: Iterable[str] = ()
) -> list[OutboxItem]:
    """Lease up to ``limit`` ready deliveries to ``worker``; ``skip`` destinations it has no room for.

    A delivery whose lease ran out (its worker died) is ready again; taking it
    counts as a new attempt, so a delivery that kills every worker it touches
    still ends as a dead letter rather than looping forever.
    """
    ready = or_(
        and_(outbox.c.status.in_((S.PENDING, S.FAILED)), outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == S.IN_FLIGHT, outbox.c.lease_until < now),
    )
    query = select(outbox.c.id).where(ready, ~_blocked).order_by(outbox.c.id).limit(limit)
    if skip := list(skip):
        query = query.where(outbox.c.destination.not_in(skip))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = conn.execute(query).scalars().all()
    if not ids:
        return []
    rows = conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(
            status=S.IN_FLIGHT,
            attempts=outbox.c.attempts + 1,
            lease_until=now + lease,
            leased_by=worker,
            updated_at=now,
        )
        .returning(*outbox.c)
    )
    return sorted((_item(r) for r in rows), key=lambda i: i.id)


def renew(conn: Connection, worker: str, ids: Sequence[int], *, until: datetime) -> None:
    """Extend the leases of deliveries still being worked on (long calls, or waiting for a slot)."""
    if ids:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.leased_by == worker, outbox.c.status == S.IN_FLIGHT)
            .values(lease_until=until)
        )


def release(conn: Connection, worker: str, ids: Sequence[int], *, now: datetime) -> None:
    """Hand unfinished deliveries back at shutdown; the attempt that never happened is not counted."""
    if ids:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.leased_by == worker, outbox.c.status == S.IN_FLIGHT)
            .values(
                status=S.PENDING, attempts=outbox.c.attempts - 1, lease_until=None, leased_by=None, next_attempt_at=now
            )
        )
        notify(conn)


@dataclass(frozen=True)
class Finished:
    """One attempt's end as the worker decided it: ``status`` is done, failed (retry at ``retry_at``) or dead."""

    item: OutboxItem
    status: str
    error: str | None = None
    retry_at: datetime | None = None
    remote_id: str | None = None
    remote_url: str | None = None


_EVENT_TYPE = {S.DONE: "delivery.succeeded", S.FAILED: "delivery.failed", S.DEAD: "delivery.dead"}

_FINISH = (
    update(outbox)
    .where(outbox.c.id == bindparam("_id"))
    .values(
        status=bindparam("_status"),
        last_error=bindparam("_error"),
        next_attempt_at=bindparam("_next"),
        completed_at=bindparam("_completed"),
        remote_id=bindparam("_remote"),
        lease_until=None,
        leased_by=None,
        updated_at=bindparam("_now"),
    )
)


def finish(conn: Connection, worker: str, finished: Sequence[Finished], *, now: datetime) -> list[Finished]:
    """Record attempts, each as an event on its case's timeline; returns those this worker still owned.

    A delivery whose lease expired and was taken by another worker is left to
    that worker: recording it here too would report one attempt twice.
    """
    if not finished:
        return []
    owned_ids = set(
        conn.execute(
            select(outbox.c.id)
            .where(
                outbox.c.id.in_([f.item.id for f in finished]),
                outbox.c.leased_by == worker,
                outbox.c.status == S.IN_FLIGHT,
            )
            .with_for_update()
        ).scalars()
    )
    owned = [f for f in finished if f.item.id in owned_ids]
    if not owned:
        return []
    conn.execute(
        _FINISH,
        [
            {
                "_id": f.item.id,
                "_status": f.status,
                "_error": f.error,
                "_next": f.retry_at or now,
                "_completed": now if f.status != S.FAILED else None,
                "_remote": f.remote_id,
                "_now": now,
            }
            for f in owned
        ],
    )
    conn.execute(insert(events), [_attempt_event(f, worker, now) for f in owned])
    # Case rows are locked in one global order, so two workers linking the same cases cannot deadlock.
    for f in sorted((f for f in owned if f.remote_id), key=lambda f: (f.item.case_id, f.item.id)):
        _link(conn, f, now)
    return owned


def _attempt_event(f: Finished, worker: str, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "outbox_id": f.item.id,
        "destination": f.item.destination,
        "key": f.item.key,
        "action": f.item.action,
        "attempt": f.item.attempts,
        "worker": worker,
    }
    if f.error:
        data["error"] = f.error
    if f.retry_at:
        data["retry_at"] = f.retry_at.isoformat()
    if f.remote_id:
        data["remote_id"] = f.remote_id
    return {"case_id": f.item.case_id, "type": _EVENT_TYPE[f.status], "at": now, "actor": "casehub", "data": data}


def _link(conn: Connection, f: Finished, now: datetime) -> None:
    """Store where the case now lives at the vendor, once (a retry that finds the link leaves it alone)."""
    system = f.item.destination

    def known(links: list[ExternalLink]) -> bool:
        return any(link.system == system and link.id == f.remote_id for link in links)

    # Most deliveries update a record the case is already linked to: look before taking the row lock.
    if known(case_store.fetch_case(conn, f.item.case_id).external_links):
        return
    case = case_store.fetch_case(conn, f.item.case_id, for_update=True)
    if known(case.external_links):
        return
    link = ExternalLink(system=system, id=f.remote_id or "", url=f.remote_url)
    links = [*(x for x in case.external_links if x.system != system), link]
    case_store.update_case(conn, case.id, case.version, {"external_links": links, "updated_at": now})
    conn.execute(
        insert(events),
        {"case_id": case.id, "type": "case.linked", "at": now, "actor": "casehub", "data": link.model_dump(mode="json")},
    )


# -- what operators see and do -------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    id: int
    case_id: str
    case_number: str
    destination: str
    key: str
    action: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime


def _row(r: Any) -> OutboxRow:
    m = r._mapping
    fields = {name: m[name] for name in OutboxRow.__dataclass_fields__ if name != "case_number"}
    return OutboxRow(case_number=case_store.format_number(m["seq"]), **fields)


def stats(conn: Connection) -> list[dict[str, Any]]:
    """Per destination: rows by status (delivered ones excepted) and when the oldest waiting one was created."""
    visible = (S.PENDING, S.FAILED, S.IN_FLIGHT, S.DEAD)
    rows = conn.execute(
        select(outbox.c.destination, outbox.c.status, func.count(), func.min(outbox.c.created_at))
        .where(outbox.c.status.in_(visible))
        .group_by(outbox.c.destination, outbox.c.status)
    )
    table: dict[str, dict[str, Any]] = {}
    for destination, status, count, oldest in rows:
        entry = table.setdefault(destination, {"destination": destination, **dict.fromkeys(visible, 0), "oldest": None})
        entry[status] = count
        if status != S.DEAD and oldest is not None:
            entry["oldest"] = oldest if entry["oldest"] is None else min(entry["oldest"], oldest)
    return sorted(table.values(), key=lambda e: e["destination"])


def list_rows(
    conn: Connection,
    *,
    status: Sequence[str] = (),
    destination: str | None = None,
    case_id: str | None = None,
    limit: int = 50,
) -> list[OutboxRow]:
    query = (
        select(outbox, cases.c.seq)
        .join(cases, cases.c.id == outbox.c.case_id)
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(outbox.c.status.in_(status))
    if destination:
        query = query.where(outbox.c.destination == destination)
    if case_id:
        query = query.where(outbox.c.case_id == case_id)
    return [_row(r) for r in conn.execute(query)]


def _operator_event(conn: Connection, rows: Sequence[Any], type_: str, actor: str, now: datetime) -> None:
    if rows:
        conn.execute(
            insert(events),
            [
                {
                    "case_id": r.case_id,
                    "type": type_,
                    "at": now,
                    "actor": actor,
                    "data": {"outbox_id": r.id, "destination": r.destination, "key": r.key, "action": r.action},
                }
                for r in rows
            ],
        )


def retry(
    conn: Connection,
    *,
    ids: Sequence[int] = (),
    all_dead: bool = False,
    destination: str | None = None,
    actor: str,
    now: datetime,
) -> list[int]:
    """Send dead or waiting deliveries again now, with a fresh count of attempts."""
    query = update(outbox).values(
        status=S.PENDING, attempts=0, next_attempt_at=now, completed_at=None, updated_at=now
    )
    if all_dead:
        query = query.where(outbox.c.status == S.DEAD)
    else:
        query = query.where(outbox.c.id.in_(ids), outbox.c.status.in_((S.DEAD, S.FAILED, S.DROPPED)))
    if destination:
        query = query.where(outbox.c.destination == destination)
    rows = conn.execute(query.returning(outbox.c.id, outbox.c.case_id, outbox.c.destination, outbox.c.key, outbox.c.action)).all()
    _operator_event(conn, rows, "delivery.retried", actor, now)
    notify(conn)
    return sorted(r.id for r in rows)


def drop(conn: Connection, ids: Sequence[int], *, actor: str, now: datetime) -> list[int]:
    """Give up on deliveries that are not in flight; they stay in the table, visible as dropped."""
    rows = conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.status.in_((S.PENDING, S.FAILED, S.DEAD)))
        .values(status=S.DROPPED, completed_at=now, updated_at=now)
        .returning(outbox.c.id, outbox.c.case_id, outbox.c.destination, outbox.c.key, outbox.c.action)
    ).all()
    _operator_event(conn, rows, "delivery.dropped", actor, now)
    return sorted(r.id for r in rows)
