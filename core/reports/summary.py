"""One report: the figures of a period put together per group, with the rates derived from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from casehub.reports import figures
from casehub.reports.parallel import Query, gather
from casehub.reports.period import Period
from casehub.reports.scope import TOTAL, Scope

__all__ = ["FIGURES", "assemble", "build", "empty_group", "queries"]

# The flat figures of a group, in the order tables and CSV show them.
FIGURES = [
    "created", "resolved", "closed", "backlog", "frt_median_s", "frt_p90_s", "frt_business_median_s",
    "ttr_median_s", "ttr_p90_s", "ttr_business_median_s", "fcr_rate", "escalation_rate", "reopen_rate",
    "sla_compliance", "csat_average", "csat_percent", "csat_response_rate",
]  # fmt: skip


def _rate(part: float | None, whole: float | None) -> float | None:
    """A share, or None when there is nothing to share out (not 0: no data is not a bad result)."""
    return round(part / whole, 4) if whole and part is not None else None


def empty_group() -> dict[str, Any]:
    return {
        "created": 0, "resolved": 0, "closed": 0, "escalated": 0,
        "backlog": {"total": 0, "ages": {label: 0 for label, _, _ in figures.AGES}},
        "first_response": {"count": 0}, "resolution": {"count": 0},
        "one_touch": 0, "touched": 0, "reopened": 0,
        "sla": {"met": 0, "breached": 0, "in_progress": 0},
        "csat": {"surveys": 0, "responses": 0, "average": None, "satisfied": 0},
    }  # fmt: skip


def _derive(group: dict[str, Any]) -> dict[str, Any]:
    fr, res, sla, csat = group["first_response"], group["resolution"], group["sla"], group["csat"]
    sla["compliance"] = _rate(sla["met"], sla["met"] + sla["breached"])
    csat["average"] = round(float(csat["average"]), 2) if csat["average"] is not None else None
    csat["percent"] = _rate(csat["satisfied"], csat["responses"])
    csat["response_rate"] = _rate(csat["responses"], csat["surveys"])
    group.update(
        fcr_rate=_rate(group["one_touch"], group["touched"]),
        escalation_rate=_rate(group["escalated"], group["created"]),
        reopen_rate=_rate(group["reopened"], group["resolved"]),
    )
    group["flat"] = {
        "created": group["created"], "resolved": group["resolved"], "closed": group["closed"],
        "backlog": group["backlog"]["total"],
        "frt_median_s": fr.get("median_s"), "frt_p90_s": fr.get("p90_s"), "frt_business_median_s": fr.get("business_median_s"),
        "ttr_median_s": res.get("median_s"), "ttr_p90_s": res.get("p90_s"), "ttr_business_median_s": res.get("business_median_s"),
        "fcr_rate": group["fcr_rate"], "escalation_rate": group["escalation_rate"], "reopen_rate": group["reopen_rate"],
        "sla_compliance": sla["compliance"], "csat_average": csat["average"], "csat_percent": csat["percent"],
        "csat_response_rate": csat["response_rate"],
    }  # fmt: skip
    return group


def queries(period: Period, scope: Scope, now: datetime) -> dict[str, Query]:
    """Every query of the report, by name: the total's, and the split's when there is one. None depends on another."""
    found: dict[str, Query] = {}
    parts = [("total", Scope(**scope.filters()))] + ([("groups", scope)] if scope.by else [])
    for part, within in parts:
        # The costliest first, so the last to finish is a short one.
        found |= {
            f"{part}:backlog": lambda c, s=within: figures.backlog(c, period, s, now),
            **{f"{part}:{m}": (lambda c, s=within, m=m: figures.duration(c, period, s, m)) for m in figures.MEASURES},
            f"{part}:sla_outcomes": lambda c, s=within: figures.sla_outcomes(c, period, s),
            f"{part}:csat": lambda c, s=within: figures.csat(c, period, s),
            f"{part}:cohort": lambda c, s=within: figures.cohort(c, period, s),
            f"{part}:created": lambda c, s=within: figures.created(c, period, s),
            f"{part}:sla_in_progress": lambda c, s=within: figures.sla_in_progress(c, s),
            f"{part}:closed": lambda c, s=within: figures.closed(c, period, s),
        }
    return found


def assemble(period: Period, scope: Scope, results: dict[str, Any], sections: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    """The report from the results of :func:`queries` (and the plugins' sections).

    The total is computed on its own (not summed from the groups): medians do
    not add up.
    """
    groups = _collect(results, "groups")[0] if scope.by else {}
    whole, sla_rows = _collect(results, "total")
    if scope.by is None:
        whole.setdefault(TOTAL, empty_group())
    total = _derive(whole.get(TOTAL) or empty_group())
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
    return {
        "period": period.as_json(),
        **scope.as_json(),
        "groups": [{"key": key, **_derive(group)} for key, group in ordered],
        "total": total,
        "sla": _sla_table(sla_rows),
        "sections": dict(sections or []),
    }


def build(engine: Engine, period: Period, scope: Scope, now: datetime, sections: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    """The full report as JSON-ready data: ``groups`` (one per value of ``by``), ``total``, ``sla``."""
    return assemble(period, scope, gather(engine, queries(period, scope, now)), sections)


def _collect(results: dict[str, Any], part: str) -> tuple[dict[Any, dict[str, Any]], list[dict[str, Any]]]:
    """One part's groups, and the SLA rows they were summed from (the per-policy table reuses the total's)."""
    found: dict[Any, dict[str, Any]] = {}

    def merge(part_result: dict[Any, dict[str, Any]], into: str | None = None) -> None:
        for key, values in part_result.items():
            group = found.setdefault(key, empty_group())
            group[into].update(values) if into else group.update(values)

    for name in ("created", "closed", "cohort", "backlog"):
        merge(results[f"{part}:{name}"])
    merge(results[f"{part}:csat"], "csat")
    for measure in figures.MEASURES:
        merge(results[f"{part}:{measure}"], measure)
    outcomes, running = results[f"{part}:sla_outcomes"], results[f"{part}:sla_in_progress"]
    for row in outcomes:
        sla = found.setdefault(row["key"], empty_group())["sla"]
        sla["met"] += row["met"]
        sla["breached"] += row["breached"]
    for row in running:
        found.setdefault(row["key"], empty_group())["sla"]["in_progress"] += row["in_progress"]
    return found, [*outcomes, *running]


def _sla_table(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per policy and target: met, breached, in progress, compliance (from the total's SLA rows)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in found:
        entry = rows.setdefault((row["policy"], row["target"]), {"met": 0, "breached": 0, "in_progress": 0})
        for figure in ("met", "breached", "in_progress"):
            entry[figure] += row.get(figure, 0)
    return [
        {"policy": policy, "target": target, **entry, "compliance": _rate(entry["met"], entry["met"] + entry["breached"])}
        for (policy, target), entry in sorted(rows.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))
    ]
