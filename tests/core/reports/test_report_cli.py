"""``casehub report`` on the hand-computed week, as a support lead runs it: table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from week import SINCE, Week

from casehub.cli import build_cli

WEEK = ["--since", "2026-11-02", "--until", "2026-11-09"]


def casehub(tmp_path: Path, week: Week, *args: str) -> tuple[int, str]:
    config = tmp_path / "report.toml"
    rules = tmp_path / "rules.yaml"
    url = week.hub.settings.casehub.database_url
    config.write_text(f'[casehub]\ndatabase_url = "{url}"\nload_plugins = []\n[rules]\nfile = "{rules.name}"\n')
    result = CliRunner().invoke(build_cli(), ["--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_json_is_the_report(tmp_path: Path, week: Week) -> None:
    code, out = casehub(tmp_path, week, "report", *WEEK, "--by", "queue", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["period"]["since"] == SINCE.isoformat()
    assert [(g["key"], g["created"], g["resolved"]) for g in data["groups"]] == [("billing", 3, 3), ("technical", 2, 1)]
    assert data["total"]["flat"]["ttr_median_s"] == 25 * 3600 and data["total"]["fcr_rate"] == 0.3333


def test_csv_has_a_row_per_group_and_the_total(tmp_path: Path, week: Week) -> None:
    code, out = casehub(tmp_path, week, "report", *WEEK, "--by", "channel", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["channel"] for r in rows] == ["email", "phone", "web", "total"]
    total = rows[-1]
    assert (total["created"], total["resolved"], total["fcr_rate"], total["csat_average"]) == ("5", "4", "0.3333", "3.5")
    assert rows[1]["frt_median_s"] == ""  # D (phone) was never answered: no figure, not zero


def test_table_shows_every_section(tmp_path: Path, week: Week) -> None:
    code, out = casehub(tmp_path, week, "report", *WEEK, "--by", "queue")
    text = " ".join(out.split())
    assert code == 0
    for expected in ("billing", "technical", "total", "first response, median", "25.0 h", "33.3 %", "backlog by age", "standard",
                     "first_response", "CSAT: 3.50 average of 2 answers to 3 surveys"):  # fmt: skip
        assert expected in text


def test_a_period_without_cases_prints_dashes_not_a_traceback(tmp_path: Path, week: Week) -> None:
    code, out = casehub(tmp_path, week, "report", "--since", "2025-11-02", "--until", "2025-11-09")
    text = " ".join(out.split())
    assert code == 0
    assert "new cases │ 0" in text and "first response, median │ —" in text
    assert "CSAT: — average of 0 answers to 0 surveys (— answered, — rated 4 or 5)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last tuesday"], "since: expected a date (2026-07-01) or an ISO 8601 time, got 'last tuesday'"),
        (["--since", "2026-11-09", "--until", "2026-11-02"], "must be after since"),
        (["--by", "colour"], "'colour' is not one of"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, week: Week, args: list[str], message: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[casehub]\ndatabase_url = "{week.hub.settings.casehub.database_url}"\nload_plugins = []\n')
    result = CliRunner().invoke(build_cli(), ["--config", str(config), "report", *args], catch_exceptions=False)
    assert result.exit_code == 2 and message in " ".join(result.output.split())
