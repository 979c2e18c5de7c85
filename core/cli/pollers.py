"""``casehub pollers``: what each poller last fetched, when it ran, why it failed; and running one now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from casehub.cli.errors import friendly
from casehub.cli.render import age
from casehub.cli.state import console, err_console, open_hub, print_json, quiet_logger
from casehub.hub import Hub
from casehub.pollers import Poller, PollerState, run_poller, states

__all__ = ["build"]


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def _short(watermark: str, limit: int = 60) -> str:
    """A watermark may be a whole JSON document: the table shows its start, ``--json`` all of it."""
    return watermark if len(watermark) <= limit else watermark[: limit - 1] + "…"


def _ago(at: datetime | None, now: datetime) -> str:
    return f"{age(at, now)} ago" if at else ""


def _state(state: PollerState | None, now: datetime) -> Text:
    if state is None:
        return Text("never ran", style="dim")
    if state.lease_until is not None and state.lease_until >= now:
        return Text("running", style="cyan")
    return Text("failing", style="bold red") if state.last_error else Text("ok", style="green")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _as_dict(poller: Poller, state: PollerState | None) -> dict[str, object]:
    row = {"name": poller.name, "plugin": poller.plugin, "interval_seconds": poller.interval_seconds}
    if state is None:
        return {**row, "watermark": None, "runs": 0, "last_run_at": None, "last_success_at": None,
                "last_error": None, "lease_until": None, "owner": None}
    return {
        **row,
        "watermark": state.watermark,
        "runs": state.runs,
        "last_run_at": _iso(state.last_run_at),
        "last_success_at": _iso(state.last_success_at),
        "last_error": state.last_error,
        "lease_until": _iso(state.lease_until),
        "owner": state.owner,
    }


def _known(hub: Hub, name: str) -> Poller:
    poller = hub.pollers.get(name)
    if poller is None:
        known = ", ".join(hub.pollers) or "none (no enabled plugin registers one; see `casehub plugins`)"
        err_console.print(f"[bold red]Error:[/] no poller named {escape(name)!r}; known pollers: {escape(known)}")
        raise typer.Exit(1)
    return poller


@friendly
def show(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the registered pollers: interval, state, watermark, last run, last success and last error."""
    if ctx.invoked_subcommand is not None:
        return
    with open_hub(ctx) as hub:
        rows = states(hub.engine)
        pollers = list(hub.pollers.values())
        now = hub.clock()
    if as_json:
        print_json([_as_dict(p, rows.get(p.name)) for p in pollers])
        return
    if not pollers:
        console.print("No pollers: no enabled plugin registers one (see `casehub plugins`).")
        return
    table = Table("poller", "plugin", "every", "state")
    table.add_column("watermark", overflow="fold")
    table.add_column("last run")
    table.add_column("last success")
    for p in pollers:
        s = rows.get(p.name)
        table.add_row(
            Text(p.name, overflow="fold"),
            Text(p.plugin, overflow="fold"),
            f"{p.interval_seconds:g} s",
            _state(s, now),
            Text(_short((s.watermark or "") if s else "")),
            _ago(s.last_run_at if s else None, now),
            _ago(s.last_success_at if s else None, now),
        )
    console.print(table)
    # Errors below the table, one line each, so a vendor's message is never folded into a narrow cell.
    for p in pollers:
        if (s := rows.get(p.name)) is not None and s.last_error:
            console.print(f"{p.name}: last error: {s.last_error}", markup=False, highlight=False)


NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The poller to run (see `casehub pollers`).")]


@friendly
def run(ctx: typer.Context, name: NameArgument) -> None:
    """Run one poller now, whatever its interval, unless another process is running it; prints the new watermark."""
    with open_hub(ctx) as hub:
        poller = _known(hub, name)
        hub.start()  # the plugins' start-up: a poll may need the client it opens
        with quiet_logger("casehub.pollers"):  # its log line would say again what is printed below
            outcome = run_poller(hub, poller, force=True)
        if outcome is None:
            held = states(hub.engine).get(name)
            owner = f" ({held.owner})" if held and held.owner else ""
            until = f"; its lease runs until {_when(held.lease_until)} UTC" if held and held.lease_until else ""
            busy = f"poller {name} is being run by another process{owner}{until}: try again later"
            err_console.print(f"[yellow]{escape(busy)}[/]", highlight=False)
            raise typer.Exit(1)
    if not outcome.ok:
        err_console.print(f"[bold red]poller {escape(name)} failed:[/] {escape(outcome.error or '')}", highlight=False)
        err_console.print("the watermark was kept; the next run fetches the same changes again", highlight=False)
        raise typer.Exit(1)
    console.print(f"poller {escape(name)} ran; watermark: {escape(repr(outcome.watermark))}", highlight=False)


def build() -> typer.Typer:
    app = typer.Typer(
        help="Pollers that bring vendor changes back in: with no command, list them; `run NAME` runs one now."
    )
    app.callback(invoke_without_command=True)(show)
    app.command()(run)
    return app
