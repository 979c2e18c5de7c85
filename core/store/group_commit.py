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
    work: Callable[[Connection], T]
    after: Callable[[T], None] | None
    future: Future[T]


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
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosed("casehub is shutting down; try again in a moment")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="casehub-group-commit", daemon=True)
                self._thread.start()
            self._jobs.put(_Job(work, after, future))
        return future

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
                for job in batch:
                    if not job.future.set_running_or_notify_cancel():
                        continue
                    try:
                        with conn.begin_nested():
                            result = job.work(conn)
                    except Exception as exc:  # rolled back to its savepoint: it stored nothing, the others go on
                        job.future.set_exception(exc)
                        continue
                    done.append((job, result))
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
