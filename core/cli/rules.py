"""``casehub rules test``: a dry run of the rules file against a case, rule by rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.text import Text

from casehub.cli.errors import friendly
from casehub.cli.state import console, open_hub, print_json
from casehub.model import Case, CaseDraft, Event, Status

__all__ = ["build"]


def _case(data: Any) -> Case:
    """A case as ``cases show --json`` prints it, a bare case, or a draft (what a form or the API sends)."""
    if isinstance(data, dict) and isinstance(data.get("case"), dict):
        data = data["case"]
    if not isinstance(data, dict):
        raise typer.BadParameter("expected a JSON object: a case or a draft", param_hint="CASE.json")
    if "number" in data:
        return Case.model_validate(data)
    draft = CaseDraft.model_validate(data)
    now = datetime.now(UTC)
    return Case.model_validate(
        {**draft.model_dump(), "id": "0" * 26, "number": "C-000000", "status": Status.NEW, "is_escalated": False,
         "sla": [], "csat": None, "created_at": now, "updated_at": now, "first_response_at": None,
         "resolved_at": None, "closed_at": None, "version": 1}
    )  # fmt: skip


@friendly
def test(
    ctx: typer.Context,
    case_file: Annotated[Path, typer.Argument(metavar="CASE.json", help="A case, or a draft like the API takes.")],
    event: Annotated[str, typer.Option(help="The event to judge.")] = "case.created",
    changes: Annotated[
        str | None, typer.Option(help='For case.updated: JSON {"field": [old, new]}, e.g. {"priority": ["normal", "urgent"]}.')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show, rule by rule, whether it matches the case, which condition decided, and what it would do. Writes nothing."""
    try:
        case = _case(json.loads(case_file.read_text(encoding="utf-8")))
        changed = json.loads(changes) if changes else {}
    except FileNotFoundError:
        raise typer.BadParameter(f"{case_file} not found", param_hint="CASE.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"not valid JSON: {exc}", param_hint="CASE.json or --changes") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems, param_hint="CASE.json") from None
    data = {"changes": changed} if changed else {}
    with open_hub(ctx) as hub:
        if hub.rules is None:
            console.print("No rules file is configured ([rules] file): nothing would happen.")
            return
        happening = Event(id=0, case_id=case.id, type=event, at=datetime.now(UTC), actor="test", data=data)
        reports = hub.rules.explain(case, happening, hub.clock())
    if as_json:
        print_json([r.__dict__ for r in reports])
        return
    for r in reports:
        mark = Text("✓", style="green") if r.matched else Text("–" if not r.applies else "✗", style="dim" if not r.applies else "red")
        console.print(Text.assemble(mark, " ", (r.rule, "bold"), f" ({r.kind})"))
        if not r.applies:
            console.print(Text(f"    does not run for {event} (or an earlier rule stopped)", style="dim"))
            continue
        every = all(decided for _, _, decided in r.checks)  # when every condition counted, none is singled out
        for text, ok, decided in r.checks:
            note = "   ← decided" if decided and not every else ""
            console.print(Text(f"    {'✓' if ok else '✗'} {text}{note}", style="" if ok else "yellow"))
        for action in r.actions:
            console.print(Text(f"    → {action}", style="cyan"))
        if r.stopped_here:
            console.print(Text("    stop: no later trigger runs for this event", style="dim"))


def build() -> typer.Typer:
    app = typer.Typer(help="The rules file: try it on a case without changing anything.", no_args_is_help=True)
    app.command()(test)
    return app
