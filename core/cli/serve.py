"""``casehub serve``: the API, a delivery worker and the SLA scheduler in one process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.markup import escape

from casehub.cli.errors import friendly
from casehub.cli.state import console, open_hub

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def serve(
        ctx: typer.Context,
        host: Annotated[str | None, typer.Option(help="Address to listen on (default: \\[server] host).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default: \\[server] port).", min=1, max=65535)] = None,
    ) -> None:
        """Serve casehub over HTTP until interrupted."""
        import uvicorn

        from casehub.api.app import create_app, settle

        with open_hub(ctx, quiet=False, background_checkpoints=True) as hub:
            logging.getLogger().setLevel(hub.settings.casehub.log_level)
            hub.start(checkpoints=True, deliveries=hub.settings.outbox.workers_in_serve, timers=True)
            bind_host = host or hub.settings.server.host
            bind_port = port or hub.settings.server.port
            failed = [i for i in hub.plugins.infos if i.status == "failed"]
            for info in failed:
                console.print(f"[yellow]![/] plugin {info.name} failed to load: {escape(info.reason or '')}", highlight=False)
            console.print(
                f"casehub serving on [bold]http://{bind_host}:{bind_port}[/] "
                f"(API docs: /docs, health: /healthz) — Ctrl+C to stop"
            )
            app = create_app(hub)
            settle()
            uvicorn.run(
                app, host=bind_host, port=bind_port, log_level=hub.settings.casehub.log_level.lower()
            )
