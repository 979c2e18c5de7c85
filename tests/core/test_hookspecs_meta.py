"""Meta-tests: every hook is documented with its exact signature, explains failures, and has a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from casehub import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), f"{hookspecs.PROJECT}_spec"))


def signature_line(name: str) -> str:
    sig = inspect.signature(getattr(hookspecs, name))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"{name}({params}) -> {sig.return_annotation}"


def test_the_hooks_designed_for_are_there() -> None:
    assert set(HOOKS) >= {
        "settings_model", "startup", "shutdown", "routes", "register_actions", "intake",
        "plan_deliveries", "event_committed", "deliver", "register_pollers", "cli_commands",
    }


@pytest.mark.parametrize("name", HOOKS)
def test_docs_show_the_exact_signature(name: str) -> None:
    docs = (ROOT / "docs" / "hooks.md").read_text()
    assert f"### {name}\n" in docs, f"docs/hooks.md has no section for {name}"
    section = docs.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
    assert signature_line(name) in section, f"docs/hooks.md shows a different signature for {name}"


@pytest.mark.parametrize("name", HOOKS)
def test_docstring_covers_every_parameter_and_failure(name: str) -> None:
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc, f"{name}: no :param {param}: in its docstring"
    assert re.search(r"\braises?\b", doc), f"{name}: the docstring must say what happens when it raises"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_behaviour_test(name: str) -> None:
    implemented = re.compile(rf"@hookimpl\s+def {name}\(")
    tests = [p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name]
    assert any(implemented.search(p.read_text()) for p in tests), f"no test implements the hook {name}"
