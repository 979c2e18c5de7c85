"""``casehub salesforce import`` and ``casehub salesforce push --all``: the one-off bulk moves, with progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from casehub.cli.errors import friendly
from casehub.cli.state import console, err_console, open_hub
from casehub.plugins.salesforce import bulk
from casehub.plugins.salesforce.client import LoginFailed, SalesforceClient
from casehub.store.cases import parse_number

__all__ = ["build"]


def _client(hub: Any) -> SalesforceClient:
    from casehub.plugins.salesforce.hooks import client_for  # noqa: PLC0415 — hooks imports this module

    client = client_for(hub)
    if client is None:
        err_console.print("[red]✗[/] there is no \\[salesforce] section in the config: see docs/salesforce.md")
        raise typer.Exit(1)
    return client


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    )


def _finish(report: bulk.Report, what: str, resume: str) -> None:
    console.print(f"[green]✓[/] {report.done} {what}" + (f", {report.skipped} skipped" if report.skipped else ""))
    for line in report.failed[:50]:
        console.print(f"  [red]✗[/] {escape(line)}", highlight=False)
    if len(report.failed) > 50:
        console.print(f"  … and {len(report.failed) - 50} more")
    if report.failed:
        console.print(f"{len(report.failed)} failed; fix them and run `{resume}` again: what is done is skipped.")
        raise typer.Exit(1)


@friendly
def import_command(
    ctx: typer.Context,
    since: Annotated[
        datetime | None, typer.Option(help="Only Cases created on or after this date (YYYY-MM-DD or ISO time, UTC).")
    ] = None,
) -> None:
    """Bring the org's existing Cases into casehub (those not yet there); stop and run again at any time."""
    since = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
    with open_hub(ctx) as hub:
        client = _client(hub)
        try:
            total = bulk.count_to_import(client, since)
            with _progress() as progress:
                task = progress.add_task("importing Salesforce cases", total=total)
                report = bulk.import_cases(hub, client, since, lambda n: progress.advance(task, n))
        except LoginFailed as exc:
            err_console.print(f"[red]✗[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("stopped: run the same command again to go on where it stopped")
            raise typer.Exit(130) from None
    _finish(report, "cases imported", "casehub salesforce import")


@friendly
def push_command(
    ctx: typer.Context,
    all_cases: Annotated[bool, typer.Option("--all", help="Every casehub case (required: a back-fill is deliberate).")] = False,
    after: Annotated[str | None, typer.Option(help="Go on after this case number (what an interrupted run printed).")] = None,
) -> None:
    """Back-fill: upsert casehub's cases into Salesforce and link them, 200 per request."""
    if not all_cases:
        err_console.print("[red]✗[/] say --all to push every case (changes are pushed by the outbox as they happen)")
        raise typer.Exit(2)
    start = 0
    if after is not None:
        parsed = parse_number(after)
        if parsed is None:
            err_console.print(f"[red]✗[/] --after: {escape(after)!r} is not a case number like C-000123")
            raise typer.Exit(2)
        start = parsed
    with open_hub(ctx) as hub:
        client = _client(hub)
        report = bulk.Report()
        try:
            with _progress() as progress:
                task = progress.add_task("pushing cases to Salesforce", total=bulk.count_cases(hub, start))
                bulk.push_all(hub, client, start, lambda n: progress.advance(task, n), report)
        except LoginFailed as exc:
            err_console.print(f"[red]✗[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            where = f" --after {report.last}" if report.last else ""
            err_console.print(f"stopped: run `casehub salesforce push --all{where}` to go on")
            raise typer.Exit(130) from None
    _finish(report, "cases pushed", "casehub salesforce push --all")


def build() -> typer.Typer:
    app = typer.Typer(help="Salesforce: bulk import and back-fill.", no_args_is_help=True)
    app.command("import")(import_command)
    app.command("push")(push_command)
    return app
