"""What the dashboard page shows of :func:`casehub.reports.dashboard`'s data: figures put into words.

Pure functions, kept apart from the routes so the wording can be checked
without a server. The raw values travel next to the words (``data-value``), so
the page stays comparable with the API exactly; only what people read is
rounded here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from casehub.reports.period import Period

__all__ = ["PRESETS", "duration", "figure", "span", "view"]

PRESETS = (7, 30, 90)  # the period links: the last N UTC days, today included
NONE = "—"  # no data is not zero: a median of no cases is shown as a dash, not "0 min"
MINUS = "\u2212"
_ARROWS = {"up": "▲", "down": "▼", "flat": "▶", "none": ""}
_FILTER_LABELS = {"queue": "Queue", "channel": "Channel", "priority": "Priority"}


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2 h 5 min`` up to two days, then ``3.2 d``."""
    seconds = abs(seconds)
    if round(seconds) < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if seconds < 48 * 3600:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{seconds / 86400:.1f} d"


def _percent(share: float) -> str:
    return f"{share * 100:.1f}".removesuffix(".0")


def figure(value: Any, unit: str) -> str:
    """A tile's value as people read it; the dash when there is no data."""
    if value is None:
        return NONE
    if unit == "seconds":
        return duration(value)
    if unit == "share":
        return f"{_percent(value)}%"
    if unit == "score":
        return f"{value:.2f}"
    return f"{value:,}"


def _delta(change: float, unit: str) -> str:
    sign = "+" if change > 0 else MINUS if change < 0 else "±"
    if unit == "seconds":
        return sign + duration(change)
    if unit == "share":
        return f"{sign}{_percent(abs(change))} pts"
    if unit == "score":
        return f"{sign}{abs(change):.2f}"
    return f"{sign}{abs(change):,}"


def trend(tile: dict[str, Any]) -> dict[str, str]:
    """Arrow, signed change and mood (good, bad, neutral) of a tile against the previous period."""
    value, before, better = tile["value"], tile["previous"], tile["higher_is_better"]
    if value is None or before is None:
        return {"direction": "none", "arrow": "", "delta": NONE, "mood": "neutral", "verdict": ""}
    change = round(value - before, 4) if isinstance(value, float) or isinstance(before, float) else value - before
    direction = "up" if change > 0 else "down" if change < 0 else "flat"
    mood = "neutral" if better is None or change == 0 else "good" if (change > 0) == better else "bad"
    verdict = {"good": "better", "bad": "worse"}.get(mood, "")
    return {"direction": direction, "arrow": _ARROWS[direction], "delta": _delta(change, tile["unit"]), "mood": mood,
            "verdict": verdict}  # fmt: skip


def span(since: datetime, until: datetime) -> str:
    """``2026-11-02 – 2026-11-08`` for whole days (``until`` is exclusive), otherwise the times in UTC."""
    if since.time() == until.time() == datetime.min.time():
        last = (until - timedelta(days=1)).date()
        return since.date().isoformat() if last == since.date() else f"{since.date()} – {last}"
    return f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC"


def _moment(text: str, now: datetime) -> dict[str, str]:
    at = datetime.fromisoformat(text)
    ago = now - at
    relative = f"{duration(ago.total_seconds())} ago" if ago >= timedelta(0) else f"in {duration(ago.total_seconds())}"
    return {"iso": text, "shown": f"{at:%Y-%m-%d %H:%M} UTC", "relative": relative}


def _row(case: dict[str, Any], when: str, now: datetime) -> dict[str, Any]:
    return {**case, "target_shown": case["target"].replace("_", " "), "when": _moment(case[when], now)}


def _href(query: dict[str, str]) -> str:
    return "/dashboard?" + urlencode({k: v for k, v in query.items() if v}) if any(query.values()) else "/dashboard"


def _daily(series: dict[str, Any]) -> list[dict[str, str]]:
    """The charts' figures as table rows, for readers who cannot see a chart (and pages without JavaScript)."""
    units = {"created": "count", "resolved": "count", "backlog": "count", "frt_median_s": "seconds",
             "ttr_median_s": "seconds", "sla_compliance": "share"}  # fmt: skip
    return [
        {"day": day, **{name: figure(series[name][i], unit) for name, unit in units.items()}}
        for i, day in enumerate(series["days"])
    ]


def view(data: dict[str, Any], asked: dict[str, str], now: datetime) -> dict[str, Any]:
    """The page's context: tiles, filter form, period links and tables, from the API's data and the query."""
    period = Period(datetime.fromisoformat(data["period"]["since"]), datetime.fromisoformat(data["period"]["until"]))
    before = period.previous()
    filters = {name: asked.get(name, "") for name in _FILTER_LABELS}
    today: date = now.date()
    presets = []
    for days in PRESETS:
        since, until = (today - timedelta(days=days - 1)).isoformat(), (today + timedelta(days=1)).isoformat()
        presets.append({"days": days, "href": _href({"since": since, "until": until, **filters}),
                        "current": asked.get("since") == since and asked.get("until") == until})  # fmt: skip
    selects = []
    for name, label in _FILTER_LABELS.items():
        choices = list(data["options"][name])
        if filters[name] and filters[name] not in choices:
            choices.append(filters[name])  # a value no case has (yet) stays chosen, not silently dropped
        selects.append({"name": name, "label": label, "options": choices, "value": filters[name]})
    tiles = [
        {**t, "shown": figure(t["value"], t["unit"]), "previous_shown": figure(t["previous"], t["unit"]), **trend(t)}
        for t in data["tiles"]
    ]
    return {
        "span": span(period.since, period.until),
        "previous_span": span(before.since, before.until),
        "form": {"since": asked.get("since", "")[:10], "until": asked.get("until", "")[:10]},
        "presets": presets,
        "selects": selects,
        "tiles": tiles,
        "at_risk": [_row(c, "due_at", now) for c in data["at_risk"]],
        "breached": [_row(c, "breached_at", now) for c in data["breached"]],
        "daily": _daily(data["series"]),
        "chart_data": {"series": data["series"], "period": data["period"]},
    }
