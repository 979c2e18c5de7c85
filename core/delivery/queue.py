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

from sqlalchemy import Connection, and_, bindparam, case, func, insert, or_, select, update

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

_line = outbox.alias("line")
# The head of a case's line to a destination: its oldest open delivery. Written as a correlated
# "ORDER BY id LIMIT 1" so the database walks the (case_id, destination, id) index once per
# candidate, with or without table statistics (an anti-join planned without statistics, on a
# table that just received a burst, compared every row with every other: a second per claim).
_head = (
    select(_line.c.id)
    .where(
        _line.c.case_id == outbox.c.case_id,
        _line.c.destination == outbox.c.destination,
        _line.c.status.in_(OPEN_DELIVERY),
    )
    .order_by(_line.c.id)
    .limit(1)
    .scalar_subquery()
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
    query = select(outbox.c.id).where(ready, outbox.c.id == _head).order_by(outbox.c.id).limit(limit)
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


DEFERRED = "deferred"  # a Finished status only: back to pending, the attempt not counted, no event


@dataclass(frozen=True)
class Finished:
    """One attempt's end as the worker decided it: ``status`` is done, failed (retry at ``retry_at``) or dead."""

    item: OutboxItem
    status: str
    error: str | None = None
    retry_at: datetime | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    link_system: str | None = None


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
    mine = and_(outbox.c.leased_by == worker, outbox.c.status == S.IN_FLIGHT)
    delivered = [f for f in finished if f.status == S.DONE]
    owned_ids: set[int] = set()
    if delivered:
        # The common case in one statement: every delivered row, with its remote id, if still ours.
        remote = {f.item.id: f.remote_id for f in delivered if f.remote_id}
        done = (
            update(outbox)
            .where(outbox.c.id.in_([f.item.id for f in delivered]), mine)
            .values(
                status=S.DONE,
                completed_at=now,
                remote_id=case(remote, value=outbox.c.id, else_=None) if remote else None,
                last_error=None,
                lease_until=None,
                leased_by=None,
                updated_at=now,
            )
            .returning(outbox.c.id)
        )
        owned_ids.update(conn.execute(done).scalars())
    deferred = [f for f in finished if f.status == DEFERRED]
    if deferred:
        put_back = (
            update(outbox)
            .where(outbox.c.id == bindparam("_id"), mine)
            .values(
                status=S.PENDING,
                attempts=outbox.c.attempts - 1,
                last_error=bindparam("_error"),
                next_attempt_at=bindparam("_next"),
                lease_until=None,
                leased_by=None,
                updated_at=now,
            )
        )
        params = [{"_id": f.item.id, "_error": f.error, "_next": f.retry_at or now} for f in deferred]
        conn.execute(put_back, params)
    failed = [f for f in finished if f.status not in (S.DONE, DEFERRED)]
    if failed:
        owned_ids.update(
            conn.execute(
                select(outbox.c.id).where(outbox.c.id.in_([f.item.id for f in failed]), mine).with_for_update()
            ).scalars()
        )
        retried = [f for f in failed if f.item.id in owned_ids]
        if retried:
            conn.execute(
                _FINISH,
                [
                    {
                        "_id": f.item.id,
                        "_status": f.status,
                        "_error": f.error,
                        "_next": f.retry_at or now,
                        "_completed": now if f.status == S.DEAD else None,
                        "_remote": None,
                        "_now": now,
                    }
                    for f in retried
                ],
            )
    owned = [f for f in finished if f.item.id in owned_ids]
    if not owned:
        return []
    conn.execute(insert(events), [_attempt_event(f, worker, now) for f in owned])
    _link(conn, [f for f in owned if f.remote_id], now)
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


def _wanted_links(rows: Any, finished: list[Finished]) -> dict[str, list[dict[str, Any]]]:
    """Case id -> its new external links, for the cases not yet linked to the vendor's record."""
    current = {r.id: r.external_links for r in rows}
    wanted: dict[str, list[dict[str, Any]]] = {}
    for f in finished:
        links = wanted.get(f.item.case_id, current.get(f.item.case_id))
        if links is None:
            continue
        system = f.link_system or f.item.destination
        if any(link["system"] == system and link["id"] == f.remote_id for link in links):
            continue
        new = ExternalLink(system=system, id=f.remote_id or "", url=f.remote_url).model_dump(mode="json")
        wanted[f.item.case_id] = [*(x for x in links if x["system"] != system), new]
    return wanted


_SET_LINKS = (
    update(cases)
    .where(cases.c.id == bindparam("_id"))
    .values(external_links=bindparam("_links"), updated_at=bindparam("_now"), version=cases.c.version + 1)
)


def _link(conn: Connection, finished: list[Finished], now: datetime) -> None:
    """Store where cases now live at the vendor, once: a retry that finds its link leaves the case alone.

    Most deliveries update a record the case is already linked to, so the
    cases are read first without a lock; only those that change are locked,
    all at once and in id order, so two workers linking the same cases cannot
    deadlock.
    """
    if not finished:
        return
    ids = sorted({f.item.case_id for f in finished})
    columns = select(cases.c.id, cases.c.external_links).where(cases.c.id.in_(ids))
    if not _wanted_links(conn.execute(columns), finished):
        return
    locked = conn.execute(columns.order_by(cases.c.id).with_for_update(key_share=True))
    wanted = _wanted_links(locked, finished)
    conn.execute(_SET_LINKS, [{"_id": case_id, "_links": links, "_now": now} for case_id, links in wanted.items()])
    conn.execute(
        insert(events),
        [
            {"case_id": case_id, "type": "case.linked", "at": now, "actor": "casehub", "data": links[-1]}
            for case_id, links in wanted.items()
        ],
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
