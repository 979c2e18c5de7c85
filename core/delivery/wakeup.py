"""Waking idle workers the moment a delivery is committed, instead of after a poll interval.

In one process the case service pokes the worker directly after its commit. On
PostgreSQL every transaction that adds deliveries also sends ``NOTIFY``, which
the server hands to each listening worker when (and only if) it commits; a
listener thread per worker process turns that into the same poke. If the
listening connection breaks, the worker still finds new work by polling and
the listener reconnects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from casehub.outbox import NOTIFY_CHANNEL

__all__ = ["Listener"]

log = logging.getLogger(__name__)


class Listener:
    """``LISTEN`` on its own autocommit connection, calling ``poke`` for every notification."""

    def __init__(self, engine: Engine, poke: Callable[[], None]) -> None:
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._poke = poke
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="casehub-outbox-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._poke()  # whatever was committed while nobody listened
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self._poke()
            except psycopg.Error as exc:
                log.warning("outbox listener lost its connection (%s); polling until it is back", type(exc).__name__)
                self._stop.wait(1.0)
