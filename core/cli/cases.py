"""``casehub cases``: the same commands as the REST API, straight against the database."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from casehub.cli.errors import friendly
from casehub.cli.render import case_panel, case_table, timeline_table
from casehub.cli.state import actor, console, open_hub, print_json
from casehub.model import Case, CaseChanges, CaseDraft, CaseType, Channel, CommentDraft, Priority, Status
from casehub.store.cases import CaseFilter

__all__ = ["build"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Ref = Annotated[str, typer.Argument(metavar="REF", help="Case id, number (C-000123) or plain number (123).")]


def _show(case: Case, as_json: bool) -> None:
    if as_json:
        print_json(case.model_dump(mode="json"))
    else:
        console.print(case_panel(case))


@friendly
def list_cases(
    ctx: typer.Context,
    status: Annotated[list[Status] | None, typer.Option(help="Repeat for several.")] = None,
    priority: Annotated[list[Priority] | None, typer.Option(help="Repeat for several.")] = None,
    type: Annotated[list[CaseType] | None, typer.Option(help="Repeat for several.")] = None,  # noqa: A002
    channel: Annotated[list[Channel] | None, typer.Option(help="Repeat for several.")] = None,
    queue: Annotated[str | None, typer.Option(help="Only cases in this queue.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only cases of this owner.")] = None,
    email: Annotated[str | None, typer.Option(help="Only cases of this contact email.")] = None,
    q: Annotated[
        str | None, typer.Option("-q", "--query", help="Text in subject, description, email, account.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Cases per page.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List cases, newest first."""
    flt = CaseFilter(
        status=[str(s) for s in status or []],
        priority=[str(p) for p in priority or []],
        type=[str(t) for t in type or []],
        channel=[str(c) for c in channel or []],
        queue=queue,
        owner=owner,
        contact_email=email,
        q=q,
    )
    with open_hub(ctx) as hub:
        try:
            page = hub.service.list(flt, limit=limit, cursor=cursor)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--cursor") from None
    if as_json:
        print_json({"items": [c.model_dump(mode="json") for c in page.items], "next_cursor": page.next_cursor})
        return
    console.print(case_table(page.items))
    if page.next_cursor:
        console.print(f"more: casehub cases list --cursor {page.next_cursor} …", highlight=False)


@friendly
def show(ctx: typer.Context, ref: Ref, as_json: JsonOption = False) -> None:
    """Show a case and its whole timeline."""
    with open_hub(ctx) as hub:
        case = hub.service.get(ref)
        events = hub.service.events(case.id, limit=100_000)
    if as_json:
        print_json({"case": case.model_dump(mode="json"), "events": [e.model_dump(mode="json") for e in events]})
        return
    console.print(case_panel(case))
    console.print(timeline_table(events))


@friendly
def create(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option(help="One line: what is it about?")],
    description: Annotated[str, typer.Option(help="The whole story.")] = "",
    priority: Annotated[Priority, typer.Option()] = Priority.NORMAL,
    type: Annotated[CaseType, typer.Option()] = CaseType.QUESTION,  # noqa: A002
    channel: Annotated[Channel, typer.Option()] = Channel.CLI,
    email: Annotated[str | None, typer.Option(help="Contact email.")] = None,
    name: Annotated[str | None, typer.Option(help="Contact name.")] = None,
    queue: Annotated[str | None, typer.Option(help="Queue to put it in.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Repeat for several.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a case."""
    draft = CaseDraft.model_validate(
        {
            "subject": subject,
            "description": description,
            "priority": priority,
            "type": type,
            "channel": channel,
            "contact": {k: v for k, v in (("email", email), ("name", name)) if v is not None},
            "queue": queue,
            "tags": tag or [],
        }
    )
    with open_hub(ctx) as hub:
        case = hub.service.create(draft, actor=actor())
    _show(case, as_json)


@friendly
def update(
    ctx: typer.Context,
    ref: Ref,
    version: Annotated[int, typer.Option(help="The version you read (casehub cases show); a stale one is refused.")],
    subject: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[Priority | None, typer.Option()] = None,
    type: Annotated[CaseType | None, typer.Option()] = None,  # noqa: A002
    queue: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Replaces the tags; repeat for several.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change fields of a case."""
    given: dict[str, Any] = {
        k: v
        for k, v in (("subject", subject), ("description", description), ("priority", priority), ("type", type),
                     ("queue", queue), ("owner", owner), ("tags", tag))
        if v is not None
    }
    if not given:
        raise typer.BadParameter("nothing to change: give at least one of --subject, --priority, --queue, …")
    changes = CaseChanges.model_validate({"version": version, **given})
    with open_hub(ctx) as hub:
        case = hub.service.update(ref, changes, actor=actor())
    _show(case, as_json)


@friendly
def comment(
    ctx: typer.Context,
    ref: Ref,
    body: Annotated[str, typer.Argument(help="The text.")],
    public: Annotated[
        bool, typer.Option("--public", help="A reply the customer sees (default: internal note).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Reply to the customer (--public) or add an internal note."""
    draft = CommentDraft(body=body, public=public)
    with open_hub(ctx) as hub:
        case, event = hub.service.comment(ref, draft, actor=actor())
    if as_json:
        print_json({"id": event.id, "case_id": case.id, **event.data, "at": event.at, "case_version": case.version})
    else:
        console.print(f"[green]✓[/] {'reply' if public else 'note'} added to {case.number} (version {case.version})")


@friendly
def assign(
    ctx: typer.Context,
    ref: Ref,
    queue: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOption = False,
) -> None:
    """Assign a case to a queue and/or an owner."""
    fields = {k: v for k, v in (("queue", queue), ("owner", owner)) if v is not None}
    if not fields:
        raise typer.BadParameter("give --queue, --owner or both")
    with open_hub(ctx) as hub:
        case = hub.service.assign(ref, actor(), **fields)
    _show(case, as_json)


@friendly
def status(ctx: typer.Context, ref: Ref, new_status: Annotated[Status, typer.Argument(metavar="STATUS")],
           as_json: JsonOption = False) -> None:
    """Change the status of a case (new, open, pending, on_hold, resolved, closed)."""
    with open_hub(ctx) as hub:
        case = hub.service.set_status(ref, new_status, actor())
    _show(case, as_json)


def build() -> typer.Typer:
    """The ``cases`` group; a new one per CLI, so tests and plugins never share command state."""
    app = typer.Typer(help="Create, find, change and comment on cases.", no_args_is_help=True)
    app.command("list")(list_cases)
    for command in (show, create, update, comment, assign, status):
        app.command()(command)
    return app
