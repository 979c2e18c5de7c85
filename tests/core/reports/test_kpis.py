"""Every KPI on a week worked out by hand (conftest.Week), on SQLite and on PostgreSQL.

The expected numbers are not read back from casehub: each comment says how it
follows from the week's steps and the definitions in docs/reporting.md.
"""

from __future__ import annotations

from casehub.reports import Period, Scope, build

from week import NOW, SINCE, UNTIL, Week, at, figures_of

H = 3600


def report(week: Week, **scope: str) -> dict:
    return build(week.hub.engine, Period(SINCE, UNTIL), Scope(**scope), NOW)


def test_volumes_backlog_and_rates_of_the_week(week: Week) -> None:
    total = report(week)["total"]
    assert total["created"] == 5  # A B C D E; F was created the Friday before
    assert total["resolved"] == 4  # F A B C, by their latest resolution (C: Wednesday)
    assert total["closed"] == 0
    # Open on Friday noon: D (created Tuesday 09:00, 3 days 3 h old) and E (pending, 2 days old).
    assert total["backlog"] == {"total": 2, "ages": {"<1d": 0, "1-3d": 1, "3-7d": 1, "7-30d": 0, ">30d": 0}}
    assert total["escalation_rate"] == 0.4  # C and D breached and were escalated: 2 of the 5 created
    assert total["reopen_rate"] == 0.25  # of the 4 resolved, C was reopened
    # One-touch: resolved with exactly one agent reply, never reopened. A (1 reply) is; B had 2, C was
    # reopened; F had no reply at all and is left out of both counts: 1 of 3.
    assert total["fcr_rate"] == 0.3333


def test_first_response_and_resolution_times(week: Week) -> None:
    total = report(week)["total"]
    # First replies: A 2 h after creation, B 2 h, C 5 h. Nearest rank of 3: median the 2nd, p90 the 3rd.
    assert total["first_response"]["count"] == 3
    assert (total["first_response"]["median_s"], total["first_response"]["p90_s"]) == (2 * H, 5 * H)
    # Business hours (09-17): A came in at 08:00, so only 1 h counts; B 2 h; C 5 h.
    assert total["first_response"]["business_count"] == 3
    assert (total["first_response"]["business_median_s"], total["first_response"]["business_p90_s"]) == (2 * H, 5 * H)
    # Resolutions: A 4 h, B 25 h, C 48 h (created Monday 10:00, finally resolved Wednesday 10:00),
    # F 69.5 h (Friday 12:00 to Monday 09:30). Of 4: median the 2nd (25 h), p90 the 4th (69.5 h).
    assert (total["resolution"]["median_s"], total["resolution"]["p90_s"]) == (25 * H, 69.5 * H)
    # Business: A 3 h, B 9 h (Mon 8 h + Tue 1 h), C 10 h (Mon 7 h + Tue 2 h + Wed 1 h after the
    # reopen), F 5.5 h (Fri 5 h + Mon 0.5 h): sorted 3, 5.5, 9, 10.
    assert (total["resolution"]["business_median_s"], total["resolution"]["business_p90_s"]) == (5.5 * H, 10 * H)


def test_sla_compliance_per_policy_and_target(week: Week) -> None:
    sla = {(r["policy"], r["target"]): r for r in report(week)["sla"]}
    # First response: A and B met in time; C (Mon 14:00) and D (Tue 13:00) breached in the week; F's
    # breach was the Friday before. In progress: E's clock, paused while E is pending.
    assert sla["standard", "first_response"] == {"policy": "standard", "target": "first_response", "met": 2,
                                                 "breached": 2, "in_progress": 1, "compliance": 0.5}  # fmt: skip
    # Resolution: met in time by F, A, B, C and C again after its reopen; D breached Wednesday 17:00.
    assert sla["standard", "resolution"] == {"policy": "standard", "target": "resolution", "met": 5,
                                             "breached": 1, "in_progress": 1, "compliance": 0.8333}  # fmt: skip
    assert report(week)["total"]["sla"]["compliance"] == 0.7  # 7 met of 10


def test_csat(week: Week) -> None:
    csat = report(week)["total"]["csat"]
    # Surveys to A, B and C; A answered 5, C answered 2.
    assert csat == {"surveys": 3, "responses": 2, "average": 3.5, "satisfied": 1, "percent": 0.5,
                    "response_rate": 0.6667}  # fmt: skip


def test_split_by_queue(week: Week) -> None:
    split = report(week, by="queue")
    billing, technical = figures_of(split, "billing"), figures_of(split, "technical")
    assert [g["key"] for g in split["groups"]] == ["billing", "technical"]
    # billing: A B E created, F A B resolved, E open; replies A 2 h, B 2 h; resolutions 4 h, 25 h, 69.5 h.
    assert billing["flat"] == {
        "created": 3, "resolved": 3, "closed": 0, "backlog": 1,
        "frt_median_s": 2 * H, "frt_p90_s": 2 * H, "frt_business_median_s": H,
        "ttr_median_s": 25 * H, "ttr_p90_s": 69.5 * H, "ttr_business_median_s": 5.5 * H,
        "fcr_rate": 0.5, "escalation_rate": 0.0, "reopen_rate": 0.0, "sla_compliance": 1.0,
        "csat_average": 5.0, "csat_percent": 1.0, "csat_response_rate": 0.5,
    }  # fmt: skip
    # technical: C D created, C resolved, D open; C's breach, D's two breaches, C's resolution met twice.
    assert technical["flat"] == {
        "created": 2, "resolved": 1, "closed": 0, "backlog": 1,
        "frt_median_s": 5 * H, "frt_p90_s": 5 * H, "frt_business_median_s": 5 * H,
        "ttr_median_s": 48 * H, "ttr_p90_s": 48 * H, "ttr_business_median_s": 10 * H,
        "fcr_rate": 0.0, "escalation_rate": 1.0, "reopen_rate": 1.0, "sla_compliance": 0.4,
        "csat_average": 2.0, "csat_percent": 0.0, "csat_response_rate": 1.0,
    }  # fmt: skip
    assert split["total"]["created"] == 5  # the total is still the whole scope


def test_filters_narrow_every_figure(week: Week) -> None:
    only = report(week, channel="email")["total"]  # B and E
    assert (only["created"], only["resolved"], only["backlog"]["total"]) == (2, 1, 1)
    assert only["first_response"]["median_s"] == 2 * H
    hostile = report(week, queue="billing' OR '1'='1")["total"]  # a bound value, not SQL
    assert (hostile["created"], hostile["resolved"], hostile["backlog"]["total"]) == (0, 0, 0)


def test_backlog_of_a_past_moment_undoes_later_changes(week: Week) -> None:
    # On Tuesday 00:00, B (resolved Tue 10:00) and C (resolved Tue 11:00, reopened and resolved again
    # on Wednesday) were open; A and F were already resolved, D and E did not exist yet.
    monday = build(week.hub.engine, Period(SINCE, at(3, 0)), Scope(), NOW)["total"]
    assert monday["backlog"] == {"total": 2, "ages": {"<1d": 2, "1-3d": 0, "3-7d": 0, "7-30d": 0, ">30d": 0}}
    assert monday["created"] == 3 and monday["resolved"] == 2  # A B C created; F and A resolved on Monday


def test_an_empty_period_has_no_figures_rather_than_zero_rates(week: Week) -> None:
    empty = build(week.hub.engine, Period(at(2, 0).replace(year=2025), at(9, 0).replace(year=2025)), Scope(), NOW)
    flat = empty["total"]["flat"]
    assert flat["created"] == 0 and flat["frt_median_s"] is None and flat["fcr_rate"] is None
    assert flat["sla_compliance"] is None and flat["csat_average"] is None
    # Counts of nothing are 0, not null: scripts add them up.
    total = empty["total"]
    assert (total["one_touch"], total["touched"], total["reopened"]) == (0, 0, 0)
    assert (total["csat"]["surveys"], total["csat"]["responses"], total["csat"]["satisfied"]) == (0, 0, 0)


def test_daily_series_for_the_charts(week: Week) -> None:
    from casehub.reports.series import daily

    with week.hub.engine.connect() as conn:
        series = daily(conn, Period(SINCE, UNTIL), Scope(), NOW)
    assert series["days"] == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07", "2026-11-08"]
    assert series["created"] == [3, 1, 1, 0, 0, None, None]  # nothing is known about the weekend yet
    # By the day of each case's latest resolution: Mon F A; Tue B; Wed C (its Tuesday one was undone).
    assert series["resolved"] == [2, 1, 1, 0, 0, None, None]
    # Open at the end of each day: Mon B C; Tue D; Wed D E (C reopened and resolved again); Thu, Fri D E.
    assert series["backlog"] == [2, 1, 2, 2, 2, None, None]
    assert series["frt_median_s"] == [2 * H, None, None, None, None, None, None]
    # By the day of the latest resolution: Mon A 4 h and F 69.5 h (median: the 1st of 2), Tue B, Wed C.
    assert series["ttr_median_s"] == [4 * H, 25 * H, 48 * H, None, None, None, None]
    # Mon: 4 met (F's and A's resolution, A's and B's first reply), C breached; Tue: B, C met, D breached;
    # Wed: C met again, D's resolution breached.
    assert series["sla_compliance"] == [0.8, 0.6667, 0.5, None, None, None, None]


def test_backlog_series_equals_the_backlog_at_each_days_end(week: Week) -> None:
    """The chart's levels (one pass over the cases) and the report's backlog (one moment) are one definition."""
    from datetime import UTC, datetime, time, timedelta

    from casehub.reports.figures import backlog
    from casehub.reports.scope import TOTAL
    from casehub.reports.series import daily

    # The week goes on into Saturday: A reopened on Friday afternoon, resolved, reopened again.
    week.step(at(6, 14)), week.status("A", "open")
    week.step(at(7, 9)), week.status("A", "resolved")
    week.step(at(7, 10)), week.status("A", "open")
    now = at(7, 12)
    with week.hub.engine.connect() as conn:
        series = daily(conn, Period(SINCE, UNTIL), Scope(), now)
        # Fri and Sat: D, E and A (open at Friday's end, and again since Saturday 10:00).
        assert series["backlog"] == [2, 1, 2, 2, 3, 3, None]
        for day, level in zip(series["days"], series["backlog"][:6], strict=False):
            end = min(datetime.combine(datetime.fromisoformat(day) + timedelta(days=1), time(), UTC), now)
            found = backlog(conn, Period(SINCE, end), Scope(), now)
            assert found.get(TOTAL, {"backlog": {"total": 0}})["backlog"]["total"] == level, day


def test_cases_at_risk_and_breached(week: Week) -> None:
    from casehub.reports.risk import at_risk, breached

    week.create("G", "billing", "chat")  # Friday noon: its first reply is due at 16:00
    with week.hub.engine.connect() as conn:
        risky, late = at_risk(conn, Scope(), NOW), breached(conn, Scope())
        assert at_risk(conn, Scope(queue="technical"), NOW) == []
    # One row per case, for the clock due first: G's first reply, not its resolution (Tuesday).
    assert [(c["number"], c["target"], c["due_at"][:16]) for c in risky] == [
        (week.number("G"), "first_response", "2026-11-06T16:00")]  # fmt: skip
    # D breached its first reply (Tuesday 13:00) and its resolution (Wednesday 17:00); E is paused.
    assert [(c["number"], c["target"], c["breached_at"][:16]) for c in late] == [
        (week.number("D"), "first_response", "2026-11-03T13:00")]  # fmt: skip
