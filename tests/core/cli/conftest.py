"""Running ``casehub`` as a user would, in a fresh folder, with a fresh CLI per call."""

from __future__ import annotations

import importlib
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from click.testing import Result
from typer.testing import CliRunner

from casehub.cli import build_cli


@dataclass
class Outcome:
    """What a user sees after a command: the exit code and the text (or the JSON)."""

    result: Result

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def text(self) -> str:
        """stdout and stderr without rich's boxes and line wrapping, so messages can be matched whole."""
        unboxed = "".join(" " if "\u2500" <= c <= "\u257f" else c for c in self.result.output)
        return " ".join(unboxed.split())

    def json(self) -> Any:
        assert self.code == 0, self.result.output
        return json.loads(self.result.stdout)


class Run(Protocol):
    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Outcome: ...


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the current directory, with no casehub settings in the environment."""
    folder = tmp_path / "desk"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in [n for n in os.environ if n.startswith("CASEHUB_") and n != "CASEHUB_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)
    return folder


@pytest.fixture
def run(workdir: Path) -> Run:
    """``casehub ARGS…`` through a CLI built for this call; exceptions that escape are test failures.

    ``env`` is set before the CLI is built, as in a shell: plugins' commands depend on it.
    """

    def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            return Outcome(CliRunner().invoke(build_cli(), list(args), catch_exceptions=False))

    return invoke


@pytest.fixture
def install_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    """Install a real distribution declaring ``casehub`` entry points: {name: module source}."""
    site = tmp_path / "site"
    modules: list[str] = []

    def install(plugins: dict[str, str]) -> None:
        site.mkdir(exist_ok=True)
        for name, source in plugins.items():
            (site / f"casehub_cli_test_{name}.py").write_text(textwrap.dedent(source))
            modules.append(f"casehub_cli_test_{name}")
        dist = site / "casehub_cli_test_plugins-2.5.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: casehub-cli-test-plugins\nVersion: 2.5.0\n")
        entries = "".join(f"{name} = casehub_cli_test_{name}\n" for name in plugins)
        (dist / "entry_points.txt").write_text("[casehub]\n" + entries)
        monkeypatch.syspath_prepend(str(site))
        importlib.invalidate_caches()

    yield install
    for module in modules:
        sys.modules.pop(module, None)
