from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from casehub.hub import Hub


@pytest.fixture
def rules_hub(make_hub: Callable[..., Hub], tmp_path: Path, any_database_url: str) -> Callable[..., Hub]:
    """A hub on SQLite and PostgreSQL whose rules file is the given YAML."""

    def make(rules: str, *, plugins: dict[str, object] | None = None, config: dict[str, Any] | None = None) -> Hub:
        path = tmp_path / "rules.yaml"
        path.write_text(textwrap.dedent(rules))
        return make_hub({"rules": {"file": str(path)}, **(config or {})}, plugins=plugins, database_url=any_database_url)

    return make
