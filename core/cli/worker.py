"""``casehub worker``: delivery workers only, for running beside API processes on PostgreSQL."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from casehub.cli.errors import friendly
from casehub.cli.state import console, open_hub
from casehub.delivery.worker import Worker

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def worker(
        ctx: typer.Context,
        concurrency: Annotated[
            int | None, typer.Option(min=1, max=256, help="Threads making vendor calls (default: \\[outbox] concurrency).")
        ] = None,
    ) -> None:
        """Deliver outbox rows until SIGTERM or Ctrl+C; run as many as you like against one PostgreSQL."""
        stop = threading.Event()
        with open_hub(ctx, quiet=False) as hub:
            logging.getLogger().setLevel(hub.settings.casehub.log_level)
            if hub.is_sqlite:
                console.print(
                    "[yellow]![/] SQLite allows one writer at a time: `casehub serve` already delivers on one "
                    "machine. Separate workers are for PostgreSQL."
                )
            hub.start()
            delivering = Worker(hub, concurrency=concurrency)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            delivering.start()
            console.print(f"casehub worker {delivering.id} delivering — SIGTERM or Ctrl+C to stop", highlight=False)
            stop.wait()
            console.print(f"stopping: in-flight deliveries have {hub.settings.outbox.shutdown_timeout:g} s to finish")
            delivering.stop()
            console.print("stopped")
