"""Plugins found through real entry points: one bad plugin never keeps the others out."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from casehub.errors import ConfigError
from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.loader import PluginSelection

GOOD = """
from casehub import hookimpl

@hookimpl
def intake(draft):
    draft.tags.append("seen-by-good")
    return draft
"""

PLUGINS = {
    "good": GOOD,
    "crashes": "raise RuntimeError('boom at import')\n",
    "needs_module": "import casehub_no_such_sdk\n",
    "needs_sdk": "from casehub import require\nrequire('casehub_no_such_sdk', install='casehub-needs-sdk[extra]')\n",
    "misspelt": "from casehub import hookimpl\n\n@hookimpl\ndef intkae(draft):\n    return None\n",
    "bad_args": "from casehub import hookimpl\n\n@hookimpl\ndef intake(draft, colour):\n    return None\n",
}


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real distribution on sys.path, declaring one entry point per plugin module in PLUGINS."""
    for name, source in PLUGINS.items():
        (tmp_path / f"casehub_test_{name}.py").write_text(textwrap.dedent(source))
    dist = tmp_path / "casehub_test_plugins-2.5.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: casehub-test-plugins\nVersion: 2.5.0\n")
    (dist / "entry_points.txt").write_text(
        "[casehub]\n" + "".join(f"{name} = casehub_test_{name}\n" for name in PLUGINS)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in PLUGINS:
        sys.modules.pop(f"casehub_test_{name}", None)


def infos(selection: PluginSelection | None = None) -> dict[str, object]:
    return {i.name: i for i in PluginHost.from_entry_points(selection).infos}


def test_each_plugin_gets_its_own_outcome_and_the_good_ones_load(installed: Path) -> None:
    found = infos()

    good = found["good"]
    assert (good.status, good.version, good.hooks) == ("enabled", "2.5.0", ("intake",))
    assert found["crashes"].status == "failed" and "boom at import" in found["crashes"].reason
    assert found["needs_module"].status == "unavailable"
    assert found["needs_module"].reason == "needs module 'casehub_no_such_sdk', which is not installed"
    assert found["needs_sdk"].status == "unavailable"
    assert found["needs_sdk"].pip_command == 'pip install "casehub-needs-sdk[extra]"'
    assert found["misspelt"].status == "failed"
    assert "'intkae' is not a casehub hook (did you mean 'intake'?)" in found["misspelt"].reason
    assert found["bad_args"].status == "failed" and "colour" in found["bad_args"].reason
    for builtin in ("salesforce", "jira", "slack", "webforms"):
        assert found[builtin].status == "enabled" and found[builtin].builtin
    assert {"register_actions", "deliver_batch", "register_pollers", "routes"} <= set(found["jira"].hooks)
    assert {"plan_deliveries", "deliver_batch", "settings_model"} <= set(found["salesforce"].hooks)
    assert {"register_actions", "deliver_batch", "routes", "settings_model"} <= set(found["slack"].hooks)
    assert found["webforms"].hooks == ("routes", "settings_model")


def test_the_loaded_plugin_really_runs(installed: Path, tmp_path: Path) -> None:
    host = PluginHost.from_entry_points(PluginSelection(load=frozenset({"good"})))
    hub = build_hub({"casehub": {"database_url": f"sqlite:///{tmp_path / 'x.db'}"}}, plugins=host)
    try:
        from casehub.model import CaseDraft

        assert hub.service.create(CaseDraft(subject="hi"), actor="t").tags == ["seen-by-good"]
    finally:
        hub.close()


def test_selection_by_environment_and_config(installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEHUB_LOAD_PLUGINS", "good,slack")
    chosen = infos(PluginSelection.from_config(None, []))
    assert {n for n, i in chosen.items() if i.status == "enabled"} == {"good", "slack"}
    assert chosen["jira"].status == "disabled" and "CASEHUB_LOAD_PLUGINS" in chosen["jira"].reason

    monkeypatch.delenv("CASEHUB_LOAD_PLUGINS")
    monkeypatch.setenv("CASEHUB_DISABLE_PLUGINS", "crashes, needs_module")
    disabled = infos(PluginSelection.from_config(None, ["misspelt"]))
    assert {disabled[n].status for n in ("crashes", "needs_module", "misspelt")} == {"disabled"}
    assert disabled["good"].status == "enabled"


def test_config_sections_of_disabled_and_unavailable_plugins(installed: Path, tmp_path: Path) -> None:
    base = {"casehub": {"database_url": f"sqlite:///{tmp_path / 'x.db'}", "disable_plugins": ["good"]}}

    hub = build_hub({**base, "good": {"anything": 1}})  # a disabled plugin's section is tolerated
    hub.close()
    with pytest.raises(ConfigError) as caught:
        build_hub({**base, "needs_sdk": {"x": 1}})
    assert "plugin 'needs_sdk' is unavailable" in str(caught.value)
    assert 'pip install "casehub-needs-sdk[extra]"' in str(caught.value)
