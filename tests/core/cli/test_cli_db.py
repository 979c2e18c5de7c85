"""``casehub db``: schema revisions, without needing every plugin's config to be right."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Run


def test_current_then_upgrade(run: Run, workdir: Path, any_database_url: str) -> None:
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{any_database_url}"\n')

    before = run("db", "current")
    assert before.code == 0 and "at empty, needs 0007 (run `casehub db upgrade`)" in before.text
    assert "upgraded from empty to 0007" in run("db", "upgrade").text
    assert "is up to date (0007)" in run("db", "upgrade").text
    assert "at 0007, needs 0007 (up to date)" in run("db", "current").text


def test_db_current_does_not_create_a_sqlite_file(run: Run, workdir: Path) -> None:
    assert "sqlite:///casehub.db: at empty, needs 0007" in run("db", "current").text
    assert not (workdir / "casehub.db").exists()


def test_upgrade_works_while_a_plugin_section_is_wrong_but_not_a_core_one(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text("[slack]\nno_such_key = 1\n")
    assert run("db", "upgrade").code == 0 and (workdir / "casehub.db").exists()

    (workdir / "casehub.toml").write_text('[casehub]\ndatabase_url = "sqlite:///no/such/folder/x.db"\n')
    refused = run("db", "upgrade")
    assert refused.code == 1
    assert "casehub.toml:2: [casehub] database_url: the folder no/such/folder does not exist" in refused.text
