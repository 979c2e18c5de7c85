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

This is what PostgreSQL itself does for concurrent commits (``commit_delay``)
and what MySQL's binlog group commit does, here one level up, where the Python
costs are.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from casehub.store.engine import write_connection

__all__ = ["GroupCommit", "WriterClosed"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class WriterClosed(RuntimeError):
    """The process is shutting down: the job was not run and nothing of it is stored."""


@dataclass
class _Job(Generic[T]):
    work: Callable[[Connection], T] | None  # a job on its own, or an item for ``handler``
    after: Callable[[T], None] | None
    future: Future[T]
    handler: Callable[[Connection, list[Any]], list[Any]] | None = None
    item: Any = None


Handler = Callable[[Connection, list[Any]], list[Any]]


class GroupCommit:
    """Runs jobs ``work(conn) -> result`` in batches, one transaction and one commit per batch."""

    def __init__(self, engine: Engine, *, max_batch: int = 32) -> None:
        self._engine = engine
        self._max_batch = max_batch
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
        exception to give its caller; an item refused that way must have
        written nothing. The items of one call share a savepoint: if
        ``handler`` raises, that savepoint is rolled back and each of its items
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
        while not stopping:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            self._write(batch)

    def _write(self, batch: list[_Job[Any]]) -> None:
        done: list[tuple[_Job[Any], Any]] = []
        try:
            with write_connection(self._engine) as conn:
                runnable = [job for job in batch if job.future.set_running_or_notify_cancel()]
                for group in _groups(runnable):
                    for job, outcome in _run_group(conn, group):
                        if isinstance(outcome, BaseException):
                            job.future.set_exception(outcome)
                        else:
                            done.append((job, outcome))
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of the batch is stored
            log.exception("a batch of %d writes could not be committed", len(done))
            for job, _ in done:
                job.future.set_exception(exc)
            return
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
