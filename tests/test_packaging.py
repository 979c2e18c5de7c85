"""The wheel users install holds every module, migration and template of the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info into the tree it builds, and a
    # build racing another (an editable install, a second test run) fails in strange ways.
    source = tmp_path_factory.mktemp("source") / "casehub"
    junk = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "site", "*.db*", "results")
    shutil.copytree(ROOT, source, ignore=junk)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    (built,) = out.glob("casehub-*.whl")
    return zipfile.ZipFile(built)


def _expected(folder: str, package: str) -> set[str]:
    names = set()
    for path in (ROOT / folder).rglob("*"):
        if "__pycache__" in path.parts or path.is_dir():
            continue
        if path.suffix in (".py", ".mako", ".toml", ".yaml", ".typed", ".html"):
            names.add(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    return names


def test_wheel_maps_core_to_casehub_and_plugins_to_casehub_plugins(wheel: zipfile.ZipFile) -> None:
    files = set(wheel.namelist())
    expected = (_expected("core", "casehub") | _expected("plugins", "casehub/plugins"))
    missing = sorted(expected - files)
    assert not missing, f"not in the wheel (add the package to [tool.setuptools] packages or package-data): {missing}"


def test_wheel_declares_builtin_plugins_the_cli_and_the_pytest_plugin(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    text = wheel.read(entry_points).decode()
    for line in (
        "casehub = casehub.cli:main",
        "salesforce = casehub.plugins.salesforce",
        "jira = casehub.plugins.jira",
        "slack = casehub.plugins.slack",
        "webforms = casehub.plugins.webforms",
        "casehub = casehub.testing",
    ):
        assert line in text


def test_vendor_sdks_are_extras_not_requirements(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith("METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    for sdk in ("simple-salesforce", "jira", "slack-sdk"):
        (line,) = [r for r in requires if r.split()[1].startswith(sdk)]
        assert "extra ==" in line, f"{sdk} must be an optional extra: {line}"


def test_the_core_never_imports_a_plugin() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "core").rglob("*.py")
        if "casehub.plugins." in path.read_text() and "import" in path.read_text()
        and any(
            line.lstrip().startswith(("import casehub.plugins.", "from casehub.plugins."))
            for line in path.read_text().splitlines()
        )
    ]
    assert offenders == [], "the core must reach plugins only through hooks"
