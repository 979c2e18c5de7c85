"""Fixtures of the reporting tests: the hand-computed week, played on SQLite and PostgreSQL."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from week import RULES, Week, at

from casehub.hub import Hub
from casehub.testing import Clock


@pytest.fixture
def week(make_hub: Callable[..., Hub], tmp_path: Path, any_database_url: str) -> Week:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(RULES))
    clock = Clock(at(30, 12))
    hub = make_hub({"rules": {"file": str(path)}}, database_url=any_database_url, clock=clock)
    played = Week(hub, clock)
    played.play()
    return played

