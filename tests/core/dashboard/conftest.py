"""Fixtures of the dashboard tests: the reports' hand-computed week with two cases at risk, served live."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dashboard_site import CHROMIUM, FLAGS, HOSTILE, RULES, TOKENS, Site, Week, at, at_risk_case

from casehub.hub import Hub
from casehub.testing import Clock, run_server


@pytest.fixture
def site(make_hub: Callable[..., Hub], tmp_path: Path, any_database_url: str) -> Iterator[Site]:
    """The week played; then on Friday at noon a hostile subject (technical) and a case in billing come in."""
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(RULES))
    clock = Clock(at(30, 12))
    hub = make_hub({"rules": {"file": str(path)}, "api": {"tokens": TOKENS}}, database_url=any_database_url, clock=clock)
    week = Week(hub, clock)
    week.play()
    at_risk_case(hub, HOSTILE, "technical")
    at_risk_case(hub, "Invoice twice", "billing")
    week.step(clock.advance(minutes=5))  # looked at a little later: "now" is not the instant they came in
    with run_server(hub) as server:
        yield Site(week, server)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()
