"""``casehub fakes``: the vendor fakes run as a user starts them, and the config they print works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import Run


def test_the_printed_config_connects_casehub_to_every_fake_and_ctrl_c_stops_them(run: Run, workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEHUB_") and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from casehub.cli.app import main; main()", "fakes"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env, "COLUMNS": "200"},
    )  # fmt: skip
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while not any("Ctrl-C stops them" in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stdout.readline())  # type: ignore[union-attr]
        text = "".join(lines)
        config = text.split("Add to casehub.toml:", 1)[1].split("and set in the environment:", 1)[0]
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in text.splitlines() if line.startswith("export ")
        )
        (workdir / "casehub.toml").write_text(f'[casehub]\ndatabase_url = "sqlite:///{workdir / "c.db"}"\n{config}')

        checked = run("check", env=exports)

        assert checked.code == 0, checked.text
        for vendor in ("salesforce: logged in", "jira: logged in", "slack: logged in", "slack: channel support = #support: the bot can post"):
            assert vendor in checked.text, checked.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "fakes stopped" in out
