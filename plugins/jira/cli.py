"""``casehub jira link|unlink|status``: an agent's hand on the feedback links."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from jira.exceptions import JIRAError
from rich.markup import escape
from rich.table import Table

from casehub.cli.errors import friendly
from casehub.cli.state import actor, console, err_console, open_hub
from casehub.plugins.jira import links
from casehub.plugins.jira.backsync import linked_cases

__all__ = ["build"]


def _jira(hub: Any) -> Any:
    from casehub.plugins.jira.hooks import jira_for  # noqa: PLC0415 — hooks imports this module

    client = jira_for(hub)
    if client is None:
        err_console.print("[red]✗[/] there is no \\[jira] section in the config: see docs/jira.md")
        raise typer.Exit(1)
    return client


def _refused(exc: JIRAError) -> typer.Exit:
    err_console.print(f"[red]✗[/] Jira answered {exc.status_code}: {escape(str(exc.text))}")
    return typer.Exit(1)


@friendly
def link_command(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case (C-000123 or its id).")],
    issue: Annotated[str, typer.Argument(help="The Jira issue key (FEED-12).")],
) -> None:
    """Link a case to a Jira issue: the issue counts and names one more customer, the case follows the issue."""
    with open_hub(ctx) as hub:
        hub.start()
        try:
            linked, total = links.link(hub, _jira(hub), hub.settings.section("jira"), case, issue, actor())
        except JIRAError as exc:
            raise _refused(exc) from None
    console.print(f"[green]✓[/] {linked.number} linked to {escape(issue.upper())} ({total} customers asking)")


@friendly
def unlink_command(ctx: typer.Context, case: Annotated[str, typer.Argument(help="The case (C-000123 or its id).")]) -> None:
    """Unlink a case from its Jira issue."""
    with open_hub(ctx) as hub:
        hub.start()
        try:
            unlinked, key = links.unlink(hub, _jira(hub), hub.settings.section("jira"), case, actor())
        except JIRAError as exc:
            raise _refused(exc) from None
    if key is None:
        console.print(f"{unlinked.number} is not linked to a Jira issue")
        return
    console.print(f"[green]✓[/] {unlinked.number} unlinked from {escape(key)}")


@friendly
def status_command(
    ctx: typer.Context, ref: Annotated[str, typer.Argument(help="A case (C-000123) or a Jira issue key (FEED-12).")]
) -> None:
    """The Jira issue of a case (or an issue), its status, and every case waiting on it."""
    with open_hub(ctx) as hub:
        jira = _jira(hub)
        key = ref.upper()
        if ref.upper().startswith("C-") or "-" not in ref:
            key = links.issue_of(hub.service.get(ref)) or ""
            if not key:
                console.print(f"{escape(ref)} is not linked to a Jira issue")
                return
        try:
            issue = jira.issue(key, fields="summary,status,resolution")
            waiting = linked_cases(jira, key)
        except JIRAError as exc:
            raise _refused(exc) from None
        resolution = issue.fields.resolution.name if issue.fields.resolution else "unresolved"
        console.print(f"[bold]{escape(key)}[/] {escape(issue.fields.summary)} — {escape(issue.fields.status.name)}, {escape(resolution)}")
        table = Table("case", "status", "customer", "feedback status")
        for case_id in waiting:
            try:
                case = hub.service.get(case_id)
            except Exception:  # a case deleted since (or of another casehub)
                continue
            table.add_row(case.number, str(case.status), case.contact.email or "", str(case.custom_fields.get("feedback_status", "")))
        console.print(table)


def build() -> typer.Typer:
    app = typer.Typer(help="Jira: feedback issues and the cases waiting on them.", no_args_is_help=True)
    app.command("link")(link_command)
    app.command("unlink")(unlink_command)
    app.command("status")(status_command)
    return app
