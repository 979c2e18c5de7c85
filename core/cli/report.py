"""``casehub report``: the service's KPIs for a period, as a table, JSON or CSV.

The figures and their definitions are those of docs/reporting.md, computed in
the database; this module only asks and lays them out.
"""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from casehub.cli.errors import friendly
from casehub.cli.state import console, err_console, open_hub, print_json
from casehub.reports import FIGURES, Period, Scope, report
from casehub.reports.figures import AGES

__all__ = ["duration", "register"]


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class By(StrEnum):
    QUEUE = "queue"
    CHANNEL = "channel"
    PRIORITY = "priority"
    TYPE = "type"
    OWNER = "owner"


def duration(seconds: float | None) -> str:
    """``45 min``, ``5.5 h``, ``2.9 d``: the unit a support lead reads at a glance; ``—`` for no data."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:.2f}"


_HEAD = [
    ("created", "new cases", _number), ("resolved", "resolved", _number), ("closed", "closed", _number),
    ("backlog", "backlog (open)", _number), ("frt_median_s", "first response, median", duration),
    ("frt_p90_s", "first response, p90", duration), ("frt_business_median_s", "  in business hours", duration),
    ("ttr_median_s", "time to resolution, median", duration), ("ttr_p90_s", "time to resolution, p90", duration),
    ("ttr_business_median_s", "  in business hours", duration), ("fcr_rate", "first-contact resolution", _share),
    ("escalation_rate", "escalation rate", _share), ("reopen_rate", "reopen rate", _share),
    ("sla_compliance", "SLA compliance", _share), ("csat_average", "CSAT average", _number),
    ("csat_response_rate", "CSAT response rate", _share),
]  # fmt: skip


def _label(key: Any) -> Text:
    return Text("(none)", style="dim") if key is None else Text(str(key))


def _tables(data: dict[str, Any]) -> None:
    period = data["period"]
    title = f"{period['since'][:16]} to {period['until'][:16]} (UTC)"
    if data["filters"]:
        title += " · " + ", ".join(f"{k}={v}" for k, v in data["filters"].items())
    # One column per group: figures read down, groups compare across (and many figures fit a terminal).
    total = data["total"]
    columns = [*data["groups"], {"key": "total", **total}]
    main = Table(title=title, title_justify="left")
    main.add_column(data["by"] or "")
    for group in columns:
        main.add_column(_label(group["key"]), justify="right")
    for figure, head, fmt in _HEAD:
        main.add_row(head, *(fmt(group["flat"][figure]) for group in columns))
    console.print(main)
    ages = Table("backlog by age", *(label for label, _, _ in AGES), "total", title_justify="left")
    for group in [*data["groups"], {"key": "total", **total}]:
        backlog = group["backlog"]
        ages.add_row(_label(group["key"]), *(_number(backlog["ages"][label]) for label, _, _ in AGES), _number(backlog["total"]))
    console.print(ages)
    if data["sla"]:
        sla = Table("SLA policy", "target", "met", "breached", "in progress", "compliance", title_justify="left")
        for row in data["sla"]:
            sla.add_row(Text(str(row["policy"])), Text(str(row["target"])), _number(row["met"]), _number(row["breached"]),
                        _number(row["in_progress"]), _share(row["compliance"]))  # fmt: skip
        console.print(sla)
    csat = total["csat"]
    console.print(f"CSAT: {_number(csat['average'])} average of {csat['responses']:,} answers to {csat['surveys']:,} "
                  f"surveys ({_share(csat['response_rate'])} answered, {_share(csat['percent'])} rated 4 or 5)")  # fmt: skip
    for name, section in data["sections"].items():
        table = Table(name, "", title_justify="left")
        for key, value in section.items():
            shown = duration(value) if key.endswith("_s") else _number(value) if not isinstance(value, str) else value
            table.add_row(Text(key), Text(shown))
        console.print(table)


def _csv(data: dict[str, Any]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([data["by"] or "group", "since", "until", *FIGURES])
    period = data["period"]
    for group in [*data["groups"], {"key": "total", **data["total"]}]:
        key = "" if group["key"] is None else str(group["key"])
        # A spreadsheet runs a cell that starts with = + - @ as a formula: queue names are user data.
        key = "'" + key if key[:1] in ("=", "+", "-", "@", "\t", "\r") else key
        writer.writerow([key, period["since"], period["until"], *("" if group["flat"][f] is None else group["flat"][f] for f in FIGURES)])


@friendly
def report_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Start (inclusive): 2026-07-01 or an ISO time; default 30 days before --until.")] = None,
    until: Annotated[str | None, typer.Option(help="End (exclusive); default now.")] = None,
    by: Annotated[By | None, typer.Option(help="Split every figure by this case field.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.TABLE,
    queue: Annotated[str | None, typer.Option(help="Only cases in this queue.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only cases from this channel.")] = None,
    priority: Annotated[str | None, typer.Option(help="Only cases of this priority.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only cases of this type.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only cases owned by this agent.")] = None,
) -> None:
    """Service KPIs for a period: volumes, backlog, FRT/TTR, FCR, SLA compliance, escalations, reopens, CSAT."""
    with open_hub(ctx) as hub:
        try:
            period = Period.of(since, until, hub.clock())
        except ValueError as exc:
            err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        filters = {"queue": queue, "channel": channel, "priority": priority, "type": type_, "owner": owner}
        scope = Scope(**{k: v for k, v in filters.items() if v is not None}, by=str(by) if by else None)
        with err_console.status("Counting…"):
            data = report(hub, period, scope)
    if fmt is Format.JSON:
        print_json(data)
    elif fmt is Format.CSV:
        _csv(data)
    else:
        _tables(data)


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
