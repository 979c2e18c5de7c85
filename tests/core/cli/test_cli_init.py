"""``casehub init``: a starter config that checks clean, a fresh token, and no clobbered files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from conftest import Run


def token_in(config: Path) -> str:
    match = re.search(r'^tokens = \["([^"]+)"\]', config.read_text(), re.MULTILINE)
    assert match, config.read_text()
    return match.group(1)


def test_init_writes_a_commented_config_that_checks_clean_without_writing_anything(run: Run, workdir: Path) -> None:
    written = run("init")

    assert written.code == 0
    assert "CASEHUB_API__TOKENS" in written.text  # the printed hint
    token = token_in(workdir / "casehub.toml")
    assert len(token) >= 40 and token not in written.text
    text = (workdir / "casehub.toml").read_text()
    for header in ("[casehub]", "[server]", "[api]", "[rules]", "[sla]", "# [salesforce]", "# [jira]", "# [slack]"):
        assert header in text
    assert "CASEHUB_API__TOKENS" in text
    assert isinstance(yaml.safe_load((workdir / "rules.yaml").read_text()), dict)

    checked = run("check")
    assert checked.code == 0, checked.text
    assert "All good." in checked.text and token not in checked.text
    assert "[api] tokens is a secret written in casehub.toml; for production set CASEHUB_API__TOKENS" in checked.text
    assert sorted(p.name for p in workdir.iterdir()) == ["casehub.toml", "rules.yaml"]  # check wrote nothing


def test_every_init_makes_a_new_token(run: Run, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "a")).code == 0
    assert run("init", str(tmp_path / "b")).code == 0
    assert token_in(tmp_path / "a" / "casehub.toml") != token_in(tmp_path / "b" / "casehub.toml")


def test_init_refuses_to_overwrite_naming_the_file_unless_forced(run: Run, workdir: Path) -> None:
    (workdir / "rules.yaml").write_text("triggers: []  # mine\n")

    refused = run("init")

    assert refused.code == 1
    assert "rules.yaml exists; not overwriting it (use --force to replace it)" in refused.text
    assert not (workdir / "casehub.toml").exists()  # nothing half-written
    assert (workdir / "rules.yaml").read_text() == "triggers: []  # mine\n"

    forced = run("init", "--force")
    assert forced.code == 0
    assert "# mine" not in (workdir / "rules.yaml").read_text()


def test_the_commented_plugin_sections_are_valid_once_uncommented(run: Run, workdir: Path) -> None:
    """The starter is documentation users copy: its plugin examples must pass the plugins' own models."""
    run("init")
    config = workdir / "casehub.toml"
    head, examples = config.read_text().split("# Each plugin takes a section named after it", 1)
    uncommented = [line.removeprefix("#").removeprefix(" ") for line in examples.splitlines()[2:]]
    config.write_text(head + "\n".join(uncommented) + "\n")
    secrets = {
        "CASEHUB_SALESFORCE__CONSUMER_SECRET": "sf-Secret-Password-1",
        "CASEHUB_JIRA__API_TOKEN": "jira-Secret-Token-2",
        "CASEHUB_SLACK__TOKEN": "xoxb-Secret-Token-3",
    }

    checked = run("check", "--offline", env=secrets)  # the example org does not exist

    assert checked.code == 0, checked.text
    assert not any(secret in checked.text for secret in secrets.values())
    missing = run("check")  # without the secrets, each plugin says how to log in
    assert missing.code == 1
    assert "casehub.toml:" in missing.text and "[jira]: Value error, no way to log in" in missing.text
