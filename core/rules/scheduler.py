"""The scheduler: fires SLA warnings and breaches as they come due, runs the automations, and runs the pollers.

Nothing is held in memory between ticks: each tick asks the database for the
cases whose stored ``next_sla_at`` has passed (an indexed query), so a restart,
or a second process running its own scheduler, changes nothing — each clock
records what it fired in the transaction that fires it. Pollers are claimed
with a lease in the database (see :mod:`casehub.pollers`), so of several
processes only one runs a given poller at a time.

Timers and pollers tick in threads of their own: a poll waits on a vendor, and
a vendor that hangs must not hold back an SLA breach.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from casehub.pollers import PollerRun, run_due

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)
BATCH = 500


class Scheduler:
    """Ticks every ``[rules] tick_seconds``: timers if the rules have timed work, pollers if any are registered."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.interval = hub.settings.rules.tick_seconds
        self.automations_every = hub.settings.rules.automations_seconds
        self._automations_due = 0.0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        if hub.has_timed_rules:
            self._threads.append(self._thread("casehub-scheduler", self._timers, "tick"))
        if hub.pollers:
            self._threads.append(self._thread("casehub-pollers", self.poll, "pollers"))

    def _thread(self, name: str, step: Callable[[], object], what: str) -> threading.Thread:
        return threading.Thread(target=self._loop, args=(step, what), name=name, daemon=True)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=30)

    def tick(self) -> int:
        """Fire everything due now; returns the number of cases that had something due."""
        total = 0
        while not self._stop.is_set():
            fired = self.hub.service.fire_timers(limit=BATCH)
            total += fired
            if fired < BATCH:
                return total
        return total

    def automations(self) -> int:
        """One look at every case that is not closed, for the automations; returns how many fired."""
        return self.hub.service.run_automations()

    def poll(self) -> list[PollerRun]:
        """Run the pollers that are due; a failing one is recorded on its row and the others still run."""
        return run_due(self.hub)

    def _timers(self) -> None:
        self.tick()
        if time.monotonic() >= self._automations_due:
            self._automations_due = time.monotonic() + self.automations_every
            self.automations()

    def _loop(self, step: Callable[[], object], what: str) -> None:
        while not self._stop.wait(self.interval):
            try:
                step()
            except Exception:  # the database may be away; the next tick finds the same work
                log.exception("scheduler %s failed; trying again in %s s", what, self.interval)
