"""Project-wide test set-up. The fixtures themselves come from ``casehub.testing`` (a pytest11 plugin)."""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # In CI the PostgreSQL runs must run: a skipped half of the suite is not a green build.
    if os.environ.get("CI") and not os.environ.get("CASEHUB_TEST_DATABASE_URL"):
        raise pytest.UsageError("CI is set but CASEHUB_TEST_DATABASE_URL is not: run the suite through .ci/run")
    # ...and so must the pages' tests in a real browser.
    if os.environ.get("CI") and not (shutil.which("chromium") or shutil.which("chromium-browser")):
        raise pytest.UsageError("CI is set but Chromium is not installed: run the suite through .ci/run")
