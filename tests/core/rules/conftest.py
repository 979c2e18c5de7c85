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

    def make(
        rules: str, *, plugins: dict[str, object] | None = None, config: dict[str, Any] | None = None, clock: Any = None
    ) -> Hub:
        path = tmp_path / "rules.yaml"
        path.write_text(textwrap.dedent(rules))
        config = dict(config or {})
        config["rules"] = {"file": str(path), **config.get("rules", {})}
        return make_hub(config, plugins=plugins, database_url=any_database_url, clock=clock)

    return make

