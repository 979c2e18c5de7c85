"""``casehub demo`` plays every journey against the fakes, as a newcomer runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Run


def test_the_demo_plays_every_journey_end_to_end(run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)

    played = run("demo", "--dir", str(workdir / "demo"))

    assert played.code == 0, played.text
    for step in ("the rules assign it", "it appears in Salesforce", "it is announced in Slack", "one issue for the three",
                 "C-000004 gets its follow-up", "the breach escalates to tier 2", "Every step happened."):  # fmt: skip
        assert step in played.text
    assert (workdir / "demo" / "demo.db").exists()  # --dir keeps the database to look at
