"""Group commit: one thread writes what many requests ask for, and commits them together.

Taking cases in is the hot path, and every request writing in its own thread,
on its own connection, in its own transaction pays three times over: each
commit waits for its own fsync; on SQLite the writers queue for the one write
lock and each finds its connection's page cache cold (another connection
wrote since it last ran); and a thread holding the write lock must win the
GIL back from the others after every statement. Here a single thread keeps one
connection warm, takes every job that is waiting (up to ``max_batch``), runs
each inside its own SAVEPOINT — a job that raises leaves nothing behind and
fails only its own caller — and commits them with one fsync. A job's future is
resolved only after that commit: a caller told "stored" can rely on it.

Jobs of one kind (``submit_item``) go to their handler together, which writes
them with a few set-at-a-time statements: the fixed cost of a batch is then
most of its cost, so under load a batch also waits a moment for the next job
(see ``GroupCommit._gather``).

This is what PostgreSQL itself does for concurrent commits (``commit_delay``)
and what MySQL's binlog group commit does, here one level up, where the Python
costs are.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from casehub.store.engine import write_transaction

__all__ = ["GroupCommit", "WriterClosed"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class WriterClosed(RuntimeError):
    """The process is shutting down: the job was not run and nothing of it is stored."""


Handler = Callable[[Connection, list[Any]], list[Any]]


@dataclass
class _Job(Generic[T]):
    work: Callable[[Connection], T] | None  # a job on its own, or an item for ``handler``
    after: Callable[[T], None] | None
    future: Future[T]
    handler: Handler | None = None
    item: Any = None


class GroupCommit:
    """Runs jobs ``work(conn) -> result`` in batches, one transaction and one commit per batch."""

    def __init__(self, engine: Engine, *, max_batch: int = 32, gap: float = 0.001, hold: float = 0.004) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._gap = gap
        self._hold = hold
        self._last = 0  # jobs in the batch before
        self._conn: Connection | None = None  # the writer thread's own, between batches
        self._used = 0.0
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.batches = 0  # for benchmarks and tests: how many commits the jobs took
        self.jobs = 0

    def submit(self, work: Callable[[Connection], T], after: Callable[[T], None] | None = None) -> Future[T]:
        """Queue ``work``; its future holds the result once committed, or what it raised (then nothing of it is stored).

        ``after(result)`` runs in the writer thread once the batch is committed
        (telling observers); what it raises is logged, never given to the caller.
        """
        return self._put(_Job(work, after, Future()))

    def submit_item(self, handler: Handler, item: Any, after: Callable[[Any], None] | None = None) -> Future[Any]:
        """Queue ``item`` for ``handler(conn, items) -> outcomes``, which takes every waiting item of its own at once.

        ``handler`` returns, for each item in order, its result or the
        exception to give its caller (a job's result is never an exception);
        an item refused that way must have written nothing. The items of one
        call share a savepoint (or the transaction, when they are the whole
        batch): if ``handler`` raises, it is rolled back and each of its items
        is run again alone, in a savepoint of its own, so one bad item fails
        only its own caller. Set-at-a-time statements for a whole batch are
        what make a single writer fast; this keeps them as safe as one job each.
        """
        return self._put(_Job(None, after, Future(), handler, item))

    def _put(self, job: _Job[Any]) -> Future[Any]:
        with self._lock:
            if self._closed:
                raise WriterClosed("casehub is shutting down; try again in a moment")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="casehub-group-commit", daemon=True)
                self._thread.start()
            self._jobs.put(job)
        return job.future

    @property
    def waiting(self) -> int:
        """Jobs queued and not yet taken into a batch (approximate while the writer runs)."""
        return self._jobs.qsize()

    def close(self, timeout: float = 30.0) -> None:
        """Finish the jobs already queued, then stop the thread; later submits raise :class:`WriterClosed`."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._jobs.put(None)
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        try:
            while not stopping:
                first = self._jobs.get()
                if first is None:
                    return
                batch, stopping = self._gather(first)
                self._last = len(batch)
                self._write(batch)
        finally:
            self._drop()

    # A connection idle longer than this goes back to the pool, and the next batch checks one out
    # (and the pool pings it): a database restarted while posts were not coming costs no batch.
    FRESH_AFTER = 1.0

    def _connection(self) -> Connection:
        """The writer's own connection, kept between batches: under load, no checkout, ping and reset for each."""
        now = time.monotonic()
        if self._conn is not None and now - self._used > self.FRESH_AFTER:
            self._drop()
        if self._conn is None:
            self._conn = self._engine.connect()
        self._used = now
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception:
                log.debug("closing the writer's connection failed", exc_info=True)

    def _gather(self, first: _Job[Any]) -> tuple[list[_Job[Any]], bool]:
        """The batch that ``first`` starts: every job waiting, up to ``max_batch``; and whether to stop after it.

        Under load (the batch before had company) the batch stays open while
        jobs keep coming less than ``gap`` apart, for at most ``hold``: a
        batch's transaction costs about the same for one post as for eight, and
        posts sent at the same moment reach the queue a few hundred
        microseconds apart, so without this the writer settles into a batch of
        one and a batch of the rest, paying twice for each round (measured:
        420 against 570 posts/s on PostgreSQL). PostgreSQL's ``commit_delay``
        makes the same trade. With no load, a job never waits.
        """
        batch = [first]
        until = time.monotonic() + self._hold if self._last > 1 else 0.0
        while len(batch) < self._max_batch:
            wait = min(self._gap, until - time.monotonic())
            try:
                job = self._jobs.get(timeout=wait) if wait > 0 else self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _write(self, batch: list[_Job[Any]]) -> None:
        groups = _groups([job for job in batch if job.future.set_running_or_notify_cancel()])
        if not groups:
            return
        whole = groups[0] if len(groups) == 1 and groups[0][0].handler is not None else None
        try:
            outcomes = self._commit(groups, whole)
        except _Redo as redo:  # the handler failed on the whole batch: nothing of it is stored
            assert whole is not None
            if len(whole) == 1:  # it was alone already: its transaction was its savepoint
                whole[0].future.set_exception(redo.__cause__ or redo)
                return
            log.debug("a batch of %d items failed; each is run again alone", len(whole), exc_info=redo.__cause__)
            try:
                outcomes = self._commit([[job] for job in whole], None)
            except Exception as exc:
                self._failed(whole, exc)
                return
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of the batch is stored
            self._failed([job for group in groups for job in group], exc)
            return
        self._settle(outcomes)

    def _commit(self, groups: list[list[_Job[Any]]], whole: list[_Job[Any]] | None) -> list[tuple[_Job[Any], Any]]:
        """Run the groups in one transaction and commit it; each job with its result or exception.

        ``whole``: the batch is this one handler's items alone, so the
        transaction itself is their savepoint (two round trips fewer): if the
        handler raises, :class:`_Redo` rolls it all back for the caller to redo.
        """
        try:
            with write_transaction(self._connection()) as conn:
                if whole is None:
                    return [pair for group in groups for pair in _run_group(conn, group)]
                assert whole[0].handler is not None
                try:
                    outcomes = whole[0].handler(conn, [job.item for job in whole])
                except Exception as exc:
                    raise _Redo() from exc
                return list(zip(whole, outcomes))
        except _Redo:
            raise
        except Exception:
            self._drop()  # BEGIN or COMMIT failed: the next batch starts on a connection in a known state
            raise

    def _failed(self, jobs: list[_Job[Any]], exc: Exception) -> None:
        log.exception("a batch of %d writes could not be committed", len(jobs), exc_info=exc)
        for job in jobs:
            job.future.set_exception(exc)

    def _settle(self, outcomes: list[tuple[_Job[Any], Any]]) -> None:
        """Tell each caller, now that the batch is committed; then run the ``after`` steps."""
        done = []
        for job, outcome in outcomes:
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                done.append((job, outcome))
        self.batches += 1
        self.jobs += len(done)
        for job, result in done:
            job.future.set_result(result)
        for job, result in done:
            if job.after is not None:
                try:
                    job.after(result)
                except Exception:
                    log.exception("a step after a commit failed; what was committed stays committed")


class _Redo(Exception):
    """A handler raised for its whole batch, run without a savepoint: roll the transaction back."""


def _groups(jobs: list[_Job[Any]]) -> list[list[_Job[Any]]]:
    """Jobs in order, the items of one handler that follow each other together, every other job alone."""
    groups: list[list[_Job[Any]]] = []
    for job in jobs:
        if job.handler is not None and groups and groups[-1][0].handler is job.handler:
            groups[-1].append(job)
        else:
            groups.append([job])
    return groups


def _run_group(conn: Connection, group: list[_Job[Any]]) -> list[tuple[_Job[Any], Any]]:
    """Each job with its result or exception; what a failed job wrote is rolled back to its savepoint."""
    handler = group[0].handler
    if handler is None or len(group) == 1:
        return [(job, _run_alone(conn, job)) for job in group]
    try:
        with conn.begin_nested():
            outcomes = handler(conn, [job.item for job in group])
    except Exception:
        log.debug("a batch of %d items failed; each is run again alone", len(group), exc_info=True)
        return [(job, _run_alone(conn, job)) for job in group]
    return list(zip(group, outcomes))


class _Refused(Exception):
    """Carries an item's refusal out of its savepoint, so the savepoint is rolled back."""


def _run_alone(conn: Connection, job: _Job[Any]) -> Any:
    try:
        with conn.begin_nested():
            if job.handler is None:
                assert job.work is not None
                return job.work(conn)
            outcome = job.handler(conn, [job.item])[0]
            if isinstance(outcome, BaseException):
                raise _Refused() from outcome
            return outcome
    except _Refused as refused:
        return refused.__cause__
    except Exception as exc:
        return exc
