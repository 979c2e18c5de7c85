"""``casehub check``: every problem named by file, line and key; secrets never shown; nothing written."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Run


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[server]\nhost = "x"\nprot = 8000\n', "✗ settings casehub.toml:3: [server] prot: unknown key"),
        ('[server]\nport = "eighty"\n', "casehub.toml:2: [server] port: Input should be a valid integer"),
        ("[salesfroce]\nx = 1\n", "casehub.toml:1: [salesfroce]: unknown section; did you mean [salesforce]?"),
        ("[server\nport = 1\n", "casehub.toml:1: (syntax): not valid TOML"),
        ('[casehub]\nlog_level = "LOUD"\n', "casehub.toml:2: [casehub] log_level: String should match pattern"),
        ('[sla]\ntimezone = "Mars/Olympus"\n', "casehub.toml:2: [sla] timezone: Value error, unknown time zone"),
        ('[api]\ntokens = ["Zq9xShort1"]\n',
         "casehub.toml:2: [api] tokens.0: Value error, a token must be at least 16"),
        ('[jira]\nurl = "https://j.example"\nproject = "FB"\napi_token = "s3cr3t-t0ken-value"\n',
         "casehub.toml:1: [jira]: Value error, no way to log in"),
        ('[casehub]\ndatabase_url = "postgresql://u:Pw-s3cr3t@db:notaport/x"\n',
         "casehub.toml:2: [casehub] database_url: not a database URL"),
        ('[casehub]\ndatabase_url = "mysql://u:Pw-s3cr3t@db/x"\n',
         "casehub.toml:2: [casehub] database_url: casehub runs on sqlite or postgresql, not 'mysql'"),
    ],
)
def test_check_names_file_line_and_key_and_never_the_secret(run: Run, workdir: Path, toml: str, expected: str) -> None:
    (workdir / "casehub.toml").write_text(toml)

    result = run("check")

    assert result.code == 1
    assert expected in result.text, result.text
    assert "s3cr3t" not in result.text and "Zq9xShort1" not in result.text
    assert "Traceback" not in result.text


def test_an_environment_override_is_blamed_on_the_variable(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text("[server]\nport = 8000\n")

    result = run("check", env={"CASEHUB_SERVER__PORT": "notanumber"})

    assert result.code == 1
    assert "environment variable CASEHUB_SERVER__PORT: [server] port: Input should be a valid integer" in result.text


def test_rules_file_missing_or_broken_is_named_with_its_line(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text('[rules]\nfile = "rules.yaml"\n')

    missing = run("check")
    assert missing.code == 1 and "rules.yaml: [rules] file: not found" in missing.text

    (workdir / "rules.yaml").write_text("triggers:\n  - name: x\n   bad: indent\n")
    broken = run("check")
    assert broken.code == 1 and "rules.yaml:3: (file): not valid YAML" in broken.text

    (workdir / "rules.yaml").write_text("- just\n- a list\n")
    not_mapping = run("check")
    assert not_mapping.code == 1 and "rules.yaml:1: (top level): expected a mapping (triggers:, assignment:" in not_mapping.text


def test_a_missing_config_file_is_named(run: Run, workdir: Path) -> None:
    result = run("--config", "elsewhere.toml", "check")

    assert result.code == 1
    assert "elsewhere.toml: (file): not found; create one with `casehub init`" in result.text


def test_no_config_file_at_all_runs_on_defaults_with_a_warning(run: Run) -> None:
    result = run("check")

    assert result.code == 0
    assert "! no config file" in result.text and "using the defaults" in result.text


def test_schema_state_is_reported_without_migrating(run: Run, workdir: Path, any_database_url: str) -> None:
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{any_database_url}"\nauto_migrate = false\n')
    if any_database_url.startswith("sqlite"):
        missing = run("check")
        assert missing.code == 1
        assert "does not exist; run `casehub db upgrade` (auto_migrate is false)" in missing.text
        assert not Path(any_database_url.removeprefix("sqlite:///")).exists()
    else:
        empty = run("check")
        assert empty.code == 1 and "schema is empty, needs 0007: run `casehub db upgrade`" in empty.text
        assert "needs 0007" in run("check").text  # still empty: check did not migrate

    assert run("db", "upgrade").code == 0
    good = run("check")
    assert good.code == 0 and "reachable, schema up to date (0007)" in good.text


def test_an_unreachable_database_is_an_error_without_its_password(run: Run, workdir: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://casehub:Pw-s3cr3t@127.0.0.1:{port}/casehub"
    (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "{url}"\n')

    checked = run("check")
    assert checked.code == 1
    assert f"✗ database postgresql+psycopg://casehub:***@127.0.0.1:{port}/casehub: cannot connect" in checked.text
    assert "Connection refused" in checked.text

    listed = run("cases", "list")
    assert listed.code == 1 and "Database error: connection failed" in listed.text
    assert "Pw-s3cr3t" not in checked.text + listed.text and "Traceback" not in listed.text


BROKEN = {
    "crashes": "raise RuntimeError('boom at import')\n",
    "needs_sdk": "from casehub import require\nrequire('casehub_no_such_sdk', install='casehub-needs-sdk[extra]')\n",
}


def test_a_failed_plugin_fails_the_check_and_an_unavailable_one_warns_with_the_fix(
    run: Run, install_plugins: Callable[[dict[str, str]], None]
) -> None:
    install_plugins(BROKEN)

    result = run("check")

    assert result.code == 1
    assert "✗ plugin crashes 2.5.0: failed to load import failed: RuntimeError: boom at import" in result.text
    unavailable = "! plugin needs_sdk: unavailable, needs 'casehub_no_such_sdk'; " 'pip install "casehub-needs-sdk[extra]"'
    assert unavailable in result.text
    assert "✓ plugin jira" in result.text and "1 problem(s) found." in result.text
    assert "Traceback" not in result.text

    skipped = run("check", env={"CASEHUB_DISABLE_PLUGINS": "crashes"})
    assert skipped.code == 0 and "plugin crashes: disabled" in skipped.text


def test_a_list_in_the_environment_must_be_json_and_is_never_echoed(run: Run, workdir: Path) -> None:
    result = run("check", env={"CASEHUB_API__TOKENS": "Plain-s3cr3t-token-value"})

    assert result.code == 1
    assert "environment variable CASEHUB_API__TOKENS: [api] tokens: not valid JSON" in result.text
    assert "s3cr3t" not in result.text
    listed = run("cases", "list", env={"CASEHUB_API__TOKENS": "Plain-s3cr3t-token-value"})
    assert listed.code == 1 and "CASEHUB_API__TOKENS" in listed.text and "s3cr3t" not in listed.text

    good = run("check", env={"CASEHUB_API__TOKENS": '["Json-s3cr3t-token-value"]'})
    assert good.code == 0 and "s3cr3t" not in good.text


def test_every_problem_is_reported_in_one_run(run: Run, workdir: Path) -> None:
    (workdir / "casehub.toml").write_text('[slack]\nchanels = {}\n[rules]\nfile = "rules.yaml"\n')

    result = run("check")

    assert result.code == 1 and "2 problem(s) found." in result.text  # the settings, and the rules
    assert "casehub.toml:1: [slack] token: Field required" in result.text
    assert "casehub.toml:2: [slack] chanels: unknown key" in result.text
    assert "rules.yaml: [rules] file: not found" in result.text


REACHABLE = """from casehub import hookimpl

@hookimpl
def check_vendor(settings):
    return [(True, "reachable: answers"), (False, "reachable: field Foo__c does not exist")]
"""
EXPLODING = """from casehub import hookimpl

@hookimpl
def check_vendor(settings):
    raise TimeoutError("no answer in 10 s")
"""
SILENT = """from casehub import hookimpl

@hookimpl
def check_vendor(settings):
    return None  # not configured
"""


def test_each_plugin_checks_its_vendor_and_a_failing_check_names_the_plugin(
    run: Run, install_plugins: Callable[[dict[str, str]], None]
) -> None:
    install_plugins({"reachable": REACHABLE, "exploding": EXPLODING, "silent": SILENT})

    result = run("check")

    assert result.code == 1
    assert "✓ reachable: answers" in result.text and "✗ reachable: field Foo__c does not exist" in result.text
    assert "✗ plugin exploding: its vendor check failed: TimeoutError: no answer in 10 s" in result.text
    assert "2 problem(s) found." in result.text
