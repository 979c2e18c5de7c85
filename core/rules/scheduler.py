"""The scheduler: fires SLA warnings and breaches as they come due, and runs the automations.

Nothing is held in memory between ticks: each tick asks the database for the
cases whose stored ``next_sla_at`` has passed (an indexed query), so a restart,
or a second process running its own scheduler, changes nothing — each clock
records what it fired in the transaction that fires it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)
BATCH = 500


class Scheduler:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.interval = hub.settings.rules.tick_seconds
        self.automations_every = hub.settings.rules.automations_seconds
        self._automations_due = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="casehub-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

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

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
                if time.monotonic() >= self._automations_due:
                    self._automations_due = time.monotonic() + self.automations_every
                    self.automations()
            except Exception:  # the database may be away; the next tick finds the same work
                log.exception("scheduler tick failed; trying again in %s s", self.interval)
