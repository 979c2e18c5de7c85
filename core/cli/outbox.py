"""``casehub outbox``: what waits to be delivered, what failed, and the operator's levers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from casehub import usage
from casehub.cli.errors import friendly
from casehub.cli.render import age
from casehub.cli.state import actor, console, open_hub, print_json
from casehub.delivery import queue
from casehub.outbox import OutboxStatus
from casehub.store.engine import write_connection

__all__ = ["build"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
STATUSES = [OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT, OutboxStatus.FAILED, OutboxStatus.DEAD]
_ALL = (*STATUSES, OutboxStatus.DONE, OutboxStatus.DROPPED)


@friendly
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Per destination: deliveries waiting, in flight, failed (retry scheduled) and dead, and the oldest waiting."""
    with open_hub(ctx) as hub:
        with hub.engine.connect() as conn:
            rows = queue.stats(conn)
        allowances = {u.vendor: u for u in usage.read(hub.engine)}
        now = hub.clock()
    if as_json:
        print_json(
            [
                {**r, "oldest": r["oldest"].isoformat() if r["oldest"] else None,
                 "oldest_age_seconds": round((now - r["oldest"]).total_seconds(), 3) if r["oldest"] else None,
                 "api_usage": _usage_json(allowances.get(r["destination"]))}
                for r in rows
            ]
        )
        return
    if not rows:
        console.print("The outbox is empty: everything was delivered.")
    else:
        table = Table("destination", *STATUSES, "oldest waiting")
        for r in rows:
            dead = Text(str(r[OutboxStatus.DEAD]), style="bold red" if r[OutboxStatus.DEAD] else "")
            failed = Text(str(r[OutboxStatus.FAILED]), style="yellow" if r[OutboxStatus.FAILED] else "")
            table.add_row(r["destination"], str(r["pending"]), str(r["in_flight"]), failed, dead, age(r["oldest"], now))
        console.print(table)
    for u in allowances.values():
        style = "bold red" if u.percent >= 90 else "yellow" if u.percent >= 75 else ""
        line = Text(f"{u.vendor} API requests: {u.used:,} of {u.limit:,} ({u.percent:.0f}%), ", style=style)
        console.print(line + Text(f"reported {age(u.reported_at, now)} ago"))


def _usage_json(found: usage.VendorUsage | None) -> dict[str, object] | None:
    if found is None:
        return None
    return {"used": found.used, "limit": found.limit, "reported_at": found.reported_at.isoformat()}


@friendly
def list_rows(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None, typer.Option(help=f"One of {', '.join(_ALL)}; repeat for several (default: failed and dead).")
    ] = None,
    destination: Annotated[str | None, typer.Option(help="Only this destination (plugin).")] = None,
    case: Annotated[str | None, typer.Option(help="Only this case (id or number).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows to show, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List deliveries, newest first, with their last error."""
    chosen = status or [OutboxStatus.FAILED, OutboxStatus.DEAD]
    for s in chosen:
        if s not in _ALL:
            raise typer.BadParameter(f"{s!r} is not a status; expected one of {', '.join(_ALL)}", param_hint="--status")
    with open_hub(ctx) as hub:
        case_id = hub.service.get(case).id if case else None
        with hub.engine.connect() as conn:
            rows = queue.list_rows(conn, status=chosen, destination=destination, case_id=case_id, limit=limit)
    if as_json:
        print_json([{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.__dict__.items()} for r in rows])
        return
    table = Table("id", "case", "destination", "action", "status", "attempts", "next attempt")
    table.add_column("last error", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(
            str(r.id),
            r.case_number,
            Text(f"{r.destination}:{r.key}" if r.key else r.destination),
            r.action,
            r.status,
            str(r.attempts),
            r.next_attempt_at.strftime("%H:%M:%S") if r.status == OutboxStatus.FAILED else "",
            Text(r.last_error or ""),
        )
    console.print(table)


@friendly
def retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(metavar="[ID]...", help="Deliveries to send again now.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead letter (of --destination, if given).")] = False,
    destination: Annotated[str | None, typer.Option(help="With --all-dead: only this destination.")] = None,
) -> None:
    """Send dead or waiting deliveries again now, with a fresh count of attempts."""
    if not ids and not all_dead:
        raise typer.BadParameter("name delivery ids, or use --all-dead", param_hint="ID")
    if ids and all_dead:
        raise typer.BadParameter("give ids or --all-dead, not both", param_hint="--all-dead")
    with open_hub(ctx) as hub:
        with write_connection(hub.engine) as conn:
            done = queue.retry(
                conn, ids=ids or [], all_dead=all_dead, destination=destination, actor=actor(), now=hub.clock()
            )
    missing = sorted(set(ids or []) - set(done))
    console.print(f"{len(done)} deliveries queued again" + (f": {', '.join(map(str, done))}" if done and ids else "."))
    if missing:
        console.print(
            f"[yellow]not retried[/] (unknown, already delivered, or in flight): {', '.join(map(str, missing))}"
        )
        raise typer.Exit(1)


@friendly
def drop(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Deliveries to give up on.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Give up on deliveries for good (they stay visible as dropped, and on the case's timeline)."""
    if not yes and not typer.confirm(f"Drop {len(ids)} deliveries? They will not be sent", default=False):
        console.print("Nothing dropped.")
        raise typer.Exit(1)
    with open_hub(ctx) as hub:
        with write_connection(hub.engine) as conn:
            done = queue.drop(conn, ids, actor=actor(), now=hub.clock())
    console.print(f"{len(done)} deliveries dropped.")
    if missing := sorted(set(ids) - set(done)):
        console.print(f"[yellow]not dropped[/] (unknown, delivered, or in flight): {', '.join(map(str, missing))}")
        raise typer.Exit(1)


def build() -> typer.Typer:
    app = typer.Typer(help="The delivery queue: stats, failed and dead deliveries, retry and drop.", no_args_is_help=True)
    app.command()(stats)
    app.command("list")(list_rows)
    app.command()(retry)
    app.command()(drop)
    return app
