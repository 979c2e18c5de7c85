"""``/api/v1/reports/...`` over HTTP: the same figures as the CLI, any token may read, bad parameters named."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from week import Week

Serve = Callable[..., AbstractContextManager[httpx.Client]]
WEEK = {"since": "2026-11-02", "until": "2026-11-09"}
H = 3600


def test_summary_split_by_queue(week: Week, serve: Serve) -> None:
    with serve(week.hub) as api:
        answer = api.get("/api/v1/reports/summary", params={**WEEK, "by": "queue"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["by"] == "queue" and data["filters"] == {}
    assert [(g["key"], g["flat"]["created"], g["flat"]["backlog"]) for g in data["groups"]] == [("billing", 3, 1), ("technical", 2, 1)]
    assert data["total"]["flat"]["frt_median_s"] == 2 * H and data["total"]["flat"]["sla_compliance"] == 0.7
    assert [(r["target"], r["met"], r["breached"]) for r in data["sla"]] == [("first_response", 2, 2), ("resolution", 5, 1)]


def test_dashboard_figures_compare_with_the_week_before(week: Week, serve: Serve) -> None:
    with serve(week.hub) as api:
        data = api.get("/api/v1/reports/dashboard", params={**WEEK, "queue": "billing"}).json()
    tiles = {t["figure"]: (t["value"], t["previous"]) for t in data["tiles"]}
    assert tiles["created"] == (3, 1) and tiles["resolved"] == (3, 0)  # the week before: F came in, nothing resolved
    assert tiles["backlog"] == (1, 1)  # F was open at the end of the week before
    assert data["previous_period"] == {"since": "2026-10-26T00:00:00+00:00", "until": "2026-11-02T00:00:00+00:00"}
    assert data["options"] == {"queue": ["billing", "technical"], "channel": ["email", "phone", "web"],
                               "priority": ["high", "normal", "urgent"]}  # fmt: skip
    assert data["series"]["backlog"][:5] == [1, 0, 1, 1, 1]  # billing: B; none; E; E; E
    assert data["at_risk"] == [] and data["breached"] == []  # D, the breached one, is technical


def test_any_token_may_read_and_nobody_without_one(week: Week, serve: Serve) -> None:
    with serve(week.hub) as api:
        anonymous = httpx.get(f"{api.base_url}/api/v1/reports/summary")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "missing_token"


def test_bad_parameters_are_named(week: Week, serve: Serve) -> None:
    with serve(week.hub) as api:
        since = api.get("/api/v1/reports/summary", params={"since": "yesterday"})
        month = api.get("/api/v1/reports/summary", params={"since": "2026-13-01"})
        order = api.get("/api/v1/reports/summary", params={"since": "2026-11-09", "until": "2026-11-02"})
        by = api.get("/api/v1/reports/summary", params={"by": "colour"})
        nul = api.get("/api/v1/reports/dashboard", params={"queue": "bill\x00ing"})
        long = api.get("/api/v1/reports/summary", params={"queue": "q" * 300})
        misspelt = api.get("/api/v1/reports/summary", params={"queu": "billing"})  # would count every queue
        not_here = api.get("/api/v1/reports/dashboard", params={"by": "queue", "owner": "alice"})  # the dashboard does not split
    assert since.status_code == 422 and since.json()["errors"][0]["field"] == "query.since"
    assert month.status_code == 422 and month.json()["errors"][0]["field"] == "query.since"
    assert "expected a date (2026-07-01) or an ISO 8601 time, got '2026-13-01'" in month.json()["detail"]
    assert order.status_code == 422 and order.json()["errors"][0]["field"] == "query.until"
    assert by.status_code == 422 and "query.by" in by.text
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "query.queue"
    assert long.status_code == 422 and "query.queue" in long.text
    assert misspelt.status_code == 422 and misspelt.json()["errors"] == [
        {"field": "query.queu", "message": "Extra inputs are not permitted"}
    ]
    assert not_here.status_code == 422 and [e["field"] for e in not_here.json()["errors"]] == ["query.by", "query.owner"]


def test_years_out_of_range_are_refused_in_both_spellings(week: Week, serve: Serve) -> None:
    with serve(week.hub) as api:
        for since, until in (("0001-01-01", "0001-01-08"), ("0001-01-01T00:00", "0001-01-08T00:00")):
            answer = api.get("/api/v1/reports/dashboard", params={"since": since, "until": until})
            assert answer.status_code == 422, answer.text
            assert "between the years 1970 and 9000" in answer.json()["detail"]
