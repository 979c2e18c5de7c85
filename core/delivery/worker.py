"""A delivery worker: claims due deliveries, calls the plugins' executors, records each attempt.

One loop thread talks to the database: it claims in batches, records finished
attempts in batches, and renews the leases of what it holds. A thread pool
makes the vendor calls, which are blocking (the vendor SDKs use ``requests``).
Everything that must survive a crash is in the database before and after a
call: a worker killed at any instant leaves leased rows that another worker (or
this one, restarted) claims once the lease runs out. The same class runs inside
``casehub serve`` and as ``casehub worker``; processes coordinate only through
the database.
"""

from __future__ import annotations

import logging
import os
import queue as stdqueue
import socket
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from secrets import token_hex
from typing import TYPE_CHECKING

from casehub.delivery import buckets
from casehub.delivery import queue as q
from casehub.delivery.outcome import Outcome, from_exception, from_result, next_attempt
from casehub.delivery.settings import DestinationSettings, OutboxSection, Policy
from casehub.delivery.wakeup import Listener
from casehub.outbox import OutboxItem, OutboxStatus
from casehub.store.engine import write_connection

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Worker"]

log = logging.getLogger(__name__)


class _Released(Exception):
    """The worker is stopping: hand the deliveries back instead of attempting them."""


class Worker:
    """Drains the outbox for one process; :meth:`start` runs it in the background."""

    def __init__(self, hub: Hub, *, concurrency: int | None = None, name: str | None = None) -> None:
        self.hub = hub
        self.cfg: OutboxSection = hub.settings.outbox
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{token_hex(3)}"
        self.concurrency = concurrency or self.cfg.concurrency
        self._poke = threading.Event()
        self._stopping = threading.Event()
        self._finished: stdqueue.SimpleQueue[q.Finished] = stdqueue.SimpleQueue()
        self._lock = threading.Lock()
        self._held: dict[int, OutboxItem] = {}
        self._busy: Counter[str] = Counter()  # tasks running or waiting, per concurrency slot
        self._waiting: dict[str, deque[Callable[[], None]]] = defaultdict(deque)
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="casehub-deliver")
        self._thread = threading.Thread(target=self.run, name="casehub-worker", daemon=True)
        self._listener = Listener(hub.engine, self.wake) if hub.engine.dialect.name == "postgresql" else None
        self._batch_sizes: dict[str, int] = {}
        self._defaults: dict[str, DestinationSettings | None] = {}
        # Hold enough to keep every thread busy and to fill the largest batch a plugin takes.
        known = set(hub.plugins.enabled()) | {name.split(":", 1)[0] for name in self.cfg.destinations}
        largest = max((self._batch_size(d, self.policy(d, "")) for d in known), default=1)
        self._capacity = max(self.cfg.claim_batch, 2 * self.concurrency, largest)

    # -- control ---------------------------------------------------------------

    def wake(self) -> None:
        self._poke.set()

    def start(self) -> None:
        if self._listener:
            self._listener.start()
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming, let in-flight deliveries finish within ``timeout``, hand back the rest."""
        self._stopping.set()
        self._poke.set()
        if self._thread.is_alive():
            self._thread.join((timeout if timeout is not None else self.cfg.shutdown_timeout) + 10)
        if self._listener:
            self._listener.stop()

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._held)

    # -- the loop --------------------------------------------------------------

    def run(self) -> None:
        lease = timedelta(seconds=self.cfg.lease_seconds)
        renew_every = self.cfg.lease_seconds / 3
        next_renew = time.monotonic() + renew_every
        while not self._stopping.is_set():
            self._poke.wait(self.cfg.poll_interval)
            self._poke.clear()
            # Each step on its own: a failure to record must not stop the leases being renewed.
            if time.monotonic() >= next_renew and self._step(self._renew, lease):
                next_renew = time.monotonic() + renew_every
            recorded = self._step(self._record)
            if self._stopping.is_set():
                break
            if recorded and self._step(self._claim, lease) == "more":
                self._poke.set()  # a full batch: there may be more right away
            elif not recorded:
                self._stopping.wait(0.5)
        self._drain()

    def _step(self, action: Callable[..., object], *args: object) -> object:
        """Run one database step; on failure log it and return ``False`` (nothing is lost: try again)."""
        try:
            return action(*args) or True
        except Exception:
            log.exception("delivery worker %s: %s failed; retrying", self.id, action.__name__.strip("_"))
            return False

    def _claim(self, lease: timedelta) -> str | None:
        with self._lock:
            room = self._capacity - len(self._held)
            # Destination-wide slots only: a destination:key slot cannot be excluded in the claim query.
            full = [s for s, n in self._busy.items() if ":" not in s and n >= self.policy(s, "").max_concurrency]
        if room <= 0:
            return None
        now = self.hub.clock()
        with write_connection(self.hub.engine) as conn:
            items = q.claim(conn, self.id, limit=room, now=now, lease=lease, skip=full)
        if items:
            self._dispatch(items)
        return "more" if len(items) == room else None

    def _renew(self, lease: timedelta) -> None:
        with self._lock:
            ids = list(self._held)
        if ids:
            with write_connection(self.hub.engine) as conn:
                q.renew(conn, self.id, ids, until=self.hub.clock() + lease)

    def _record(self) -> None:
        finished: list[q.Finished] = []
        while True:
            try:
                finished.append(self._finished.get_nowait())
            except stdqueue.Empty:
                break
        if not finished:
            return
        try:
            with write_connection(self.hub.engine) as conn:
                q.finish(conn, self.id, finished, now=self.hub.clock())
        except Exception:
            for f in finished:  # keep them: the leases are still ours and renewed until this succeeds
                self._finished.put(f)
            raise
        with self._lock:
            for f in finished:
                self._held.pop(f.item.id, None)

    def _drain(self) -> None:
        deadline = time.monotonic() + self.cfg.shutdown_timeout
        while self.held and time.monotonic() < deadline:
            self._poke.wait(0.05)
            self._poke.clear()
            try:
                self._record()
            except Exception:
                log.exception("delivery worker %s: could not record attempts while stopping", self.id)
                break
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self._record()
        except Exception:
            log.exception("delivery worker %s: could not record attempts while stopping", self.id)
        with self._lock:
            left = list(self._held)
            self._held.clear()
        if left:
            log.warning("delivery worker %s: handing back %d unfinished deliveries", self.id, len(left))
            try:
                with write_connection(self.hub.engine) as conn:
                    q.release(conn, self.id, left, now=self.hub.clock())
            except Exception:  # their leases run out and another worker takes them
                log.exception("delivery worker %s: could not hand back deliveries", self.id)

    # -- dispatch ------------------------------------------------------------------

    def policy(self, destination: str, key: str) -> Policy:
        """The config's limits for a destination and key, over the plugin's own defaults (Slack: 1/s per channel)."""
        if destination not in self._defaults:
            try:
                found = self.hub.plugins.delivery_defaults(destination)
                self._defaults[destination] = DestinationSettings.model_validate(found) if found else None
            except Exception:
                log.exception("delivery_defaults failed for %s; using the config alone", destination)
                self._defaults[destination] = None
        return self.cfg.policy(destination, key, self._defaults[destination])

    def _batch_size(self, destination: str, policy: Policy) -> int:
        if policy.batch_size:
            return policy.batch_size
        if destination not in self._batch_sizes:
            try:
                self._batch_sizes[destination] = self.hub.plugins.delivery_batch_size(destination) or 1
            except Exception:
                log.exception("delivery_batch_size failed for %s; delivering one at a time", destination)
                self._batch_sizes[destination] = 1
        return self._batch_sizes[destination]

    def _dispatch(self, items: list[OutboxItem]) -> None:
        groups: dict[tuple[str, str], list[OutboxItem]] = defaultdict(list)
        with self._lock:
            for item in items:
                self._held[item.id] = item
                groups[(item.destination, item.key)].append(item)
        for (destination, key), group in groups.items():
            policy = self.policy(destination, key)
            size = self._batch_size(destination, policy)
            for start in range(0, len(group), size):
                chunk = group[start : start + size]
                self._submit(policy, lambda chunk=chunk, policy=policy, batch=size > 1: self._attempt(chunk, policy, batch))

    def _submit(self, policy: Policy, task: Callable[[], None]) -> None:
        with self._lock:
            if self._busy[policy.slot] >= policy.max_concurrency:
                self._waiting[policy.slot].append(task)
                return
            self._busy[policy.slot] += 1
        self._pool.submit(self._run_task, policy, task)

    def _run_task(self, policy: Policy, task: Callable[[], None]) -> None:
        try:
            task()
        finally:
            with self._lock:
                waiting = self._waiting[policy.slot]
                following = waiting.popleft() if waiting else None
                if following is None:
                    self._busy[policy.slot] -= 1
            if following is not None and not self._stopping.is_set():
                self._pool.submit(self._run_task, policy, following)
            self._poke.set()

    # -- one attempt -------------------------------------------------------------

    def _attempt(self, items: list[OutboxItem], policy: Policy, batch: bool) -> None:
        try:
            self._wait_for_token(policy)
            outcomes = self._call(items, batch)
        except _Released:
            return
        now = self.hub.clock()
        for item, outcome in zip(items, outcomes, strict=True):
            self._finished.put(self._decide(item, outcome, policy, now))
        if policy.bucket and (pause := max((o.retry_after or 0.0 for o in outcomes), default=0.0)) > 0:
            try:
                with write_connection(self.hub.engine) as conn:
                    buckets.block(conn, policy.bucket, until=now + timedelta(seconds=pause), now=now)
            except Exception:
                log.exception("could not pause rate bucket %s", policy.bucket)

    def _wait_for_token(self, policy: Policy) -> None:
        if policy.bucket is None or policy.rate is None:
            return
        while True:
            if self._stopping.is_set():
                raise _Released
            with write_connection(self.hub.engine) as conn:
                wait = buckets.take(conn, policy.bucket, rate=policy.rate, burst=policy.burst, now=self.hub.clock())
            if wait <= 0:
                return
            self._stopping.wait(min(wait, 1.0))

    def _call(self, items: list[OutboxItem], batch: bool) -> list[Outcome]:
        plugins = self.hub.plugins
        try:
            if batch:
                results = plugins.deliver_batch(items, self.hub)
                if results is not None:
                    if len(results) != len(items):
                        raise ValueError(f"deliver_batch returned {len(results)} results for {len(items)} deliveries")
                    return [from_result(r, i.destination) for r, i in zip(results, items, strict=True)]
            return [self._call_one(item) for item in items]
        except Exception as exc:
            log.warning("delivery to %s failed: %s", items[0].destination, exc)
            outcome = from_exception(exc)
            return [outcome] * len(items)

    def _call_one(self, item: OutboxItem) -> Outcome:
        try:
            result = self.hub.plugins.deliver(item, self.hub)
            if result is None:  # a plugin that only takes batches takes a batch of one
                results = self.hub.plugins.deliver_batch([item], self.hub)
                result = results[0] if results else None
            return from_result(result, item.destination)
        except Exception as exc:
            log.warning("delivery %s to %s failed: %s", item.id, item.destination, exc)
            return from_exception(exc)

    def _decide(self, item: OutboxItem, outcome: Outcome, policy: Policy, now: datetime) -> q.Finished:
        if outcome.ok:
            return q.Finished(
                item, OutboxStatus.DONE, remote_id=outcome.remote_id, remote_url=outcome.remote_url,
                link_system=outcome.link_system,
            )  # fmt: skip
        if outcome.deferred:  # not an attempt: the executor chose to wait
            retry_at = now + timedelta(seconds=outcome.retry_after or policy.backoff_base)
            return q.Finished(item, q.DEFERRED, error=outcome.error, retry_at=retry_at)
        if outcome.permanent or item.attempts >= policy.max_attempts:
            reason = outcome.error if outcome.permanent else f"{outcome.error} (gave up after {item.attempts} attempts)"
            return q.Finished(item, OutboxStatus.DEAD, error=reason)
        retry_at = next_attempt(now, outcome, item.attempts, policy.backoff_base, policy.backoff_cap)
        return q.Finished(item, OutboxStatus.FAILED, error=outcome.error, retry_at=retry_at)
