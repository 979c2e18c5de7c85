"""Building the rule engine for a hub: the rules file from config, the actions plugins offer."""

from __future__ import annotations

from typing import Any

from casehub.csat.tokens import SurveyLinks
from casehub.host import PluginHost
from casehub.rules.actions import PluginAction
from casehub.rules.engine import RuleEngine
from casehub.rules.source import read_rules
from casehub.settings import CoreSettings

__all__ = ["load_rules", "plugin_actions"]


def plugin_actions(host: PluginHost) -> dict[str, PluginAction]:
    """Actions registered through ``register_actions``: ``register(name, params_model, plan=None)``."""

    def build(name: str, params: Any, plan: Any = None) -> tuple[Any, Any]:
        return params, plan

    return {r.name: PluginAction(r.plugin, r.name, *r.value) for r in host.actions(build)}


def load_rules(settings: CoreSettings, host: PluginHost) -> RuleEngine | None:
    """The compiled rules, or ``None`` when no rules file is configured (casehub then only stores cases)."""
    if settings.rules.file is None:
        return None
    source = read_rules(settings.resolve(settings.rules.file))
    return RuleEngine.compile(source, plugin_actions(host), SurveyLinks.from_settings(settings))
