"""``casehub new-plugin``: the package it writes installs, is found by casehub, and passes its own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Run


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEHUB_") or k == "CASEHUB_TEST_DATABASE_URL"}
    return {**env, **extra}


def test_the_new_plugin_passes_its_own_tests_and_casehub_lists_it(run: Run, workdir: Path) -> None:
    made = run("new-plugin", "zendesk", "--dir", str(workdir))
    root = workdir / "casehub-zendesk"
    assert made.code == 0 and "casehub-zendesk created" in made.text
    assert (root / "src" / "casehub_zendesk" / "hooks.py").exists() and (root / "tests" / "test_zendesk.py").exists()

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", str(root / "tests"), "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        capture_output=True, text=True, cwd=root, env=_env(PYTHONPATH=str(root / "src")), timeout=120,
    )  # fmt: skip
    assert tested.returncode == 0 and "2 passed" in tested.stdout, tested.stdout + tested.stderr

    site = workdir / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(site), str(root)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    listed = subprocess.run(
        [sys.executable, "-c", "from casehub.cli.app import main; main()", "plugins", "--json"],
        capture_output=True, text=True, cwd=workdir, env=_env(PYTHONPATH=str(site)), timeout=60,
    )  # fmt: skip
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert plugins["zendesk"]["status"] == "enabled"
    assert {"deliver", "plan_deliveries", "settings_model"} <= set(plugins["zendesk"]["hooks"])


def test_a_bad_name_or_an_existing_folder_is_refused(run: Run, workdir: Path) -> None:
    bad = run("new-plugin", "Zen-Desk")
    assert bad.code == 2 and "not a plugin name" in bad.text
    assert run("new-plugin", "zendesk").code == 0
    again = run("new-plugin", "zendesk")
    assert again.code == 2 and "exists already" in again.text
