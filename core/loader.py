"""Finding and loading plugins from the ``casehub`` entry-point group, one at a time.

pluggy's ``load_setuptools_entrypoints`` stops at the first plugin that fails
to import; here each entry point is loaded on its own and its outcome recorded
as a :class:`PluginInfo`, so one broken plugin never keeps the others out.
Built-in plugins are declared in casehub's own ``pyproject.toml`` and loaded
exactly like third-party ones.
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

import pluggy

from casehub.errors import PluginUnavailable
from casehub.hookspecs import PROJECT

__all__ = ["PluginInfo", "PluginSelection", "Status", "load_entry_point", "require", "validate_hooks"]

log = logging.getLogger(__name__)

Status = Literal["enabled", "disabled", "unavailable", "failed"]


@dataclass(frozen=True, order=True)
class PluginInfo:
    """What ``casehub plugins`` shows for one plugin."""

    name: str
    status: Status
    version: str | None = None
    module: str | None = None
    hooks: tuple[str, ...] = ()
    reason: str | None = None
    pip_command: str | None = None
    builtin: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "version": self.version,
            "module": self.module,
            "hooks": list(self.hooks),
            "reason": self.reason,
            "pip_command": self.pip_command,
            "builtin": self.builtin,
        }


def _names(value: str | None) -> set[str]:
    return {n.strip() for n in (value or "").split(",") if n.strip()}


@dataclass(frozen=True)
class PluginSelection:
    """Which entry points to load: ``load`` (``None`` = all) minus ``disable``.

    Built from config (``[casehub] load_plugins`` / ``disable_plugins``) and
    the environment (``CASEHUB_LOAD_PLUGINS`` / ``CASEHUB_DISABLE_PLUGINS``,
    comma-separated); the environment wins for ``load``, both add to ``disable``.
    """

    load: frozenset[str] | None = None
    disable: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_config(
        cls, load: Iterable[str] | None, disable: Iterable[str], environ: dict[str, str] | None = None
    ) -> PluginSelection:
        env = os.environ if environ is None else environ
        env_load = env.get("CASEHUB_LOAD_PLUGINS")
        chosen = _names(env_load) if env_load is not None else (set(load) if load is not None else None)
        return cls(
            load=frozenset(chosen) if chosen is not None else None,
            disable=frozenset(set(disable) | _names(env.get("CASEHUB_DISABLE_PLUGINS"))),
        )

    def disabled_reason(self, name: str) -> str | None:
        if name in self.disable:
            return "disabled by config or CASEHUB_DISABLE_PLUGINS"
        if self.load is not None and name not in self.load:
            return "not in the plugins to load (CASEHUB_LOAD_PLUGINS / load_plugins)"
        return None


def require(module: str, *, install: str) -> None:
    """Call at a plugin's import: raise :class:`PluginUnavailable` if ``module`` is not installed.

    Only looks the module up (no import), so a plugin stays cheap to load and
    a missing vendor SDK becomes "unavailable: pip install ..." instead of a crash.
    """
    if importlib.util.find_spec(module) is None:
        raise PluginUnavailable("?", missing=module, pip_command=f'pip install "{install}"')


def discover() -> list[EntryPoint]:
    return sorted(entry_points(group=PROJECT), key=lambda ep: ep.name)


def validate_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Names of hook implementations in ``plugin`` that match no spec, each with a suggestion."""
    problems = []
    known = [name for name in dir(pm.hook) if not name.startswith("_")]
    for attr in dir(plugin):
        if pm.parse_hookimpl_opts(plugin, attr) is None or hasattr(pm.hook, attr) and getattr(pm.hook, attr).spec:
            continue
        close = difflib.get_close_matches(attr, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"{attr!r} is not a casehub hook{hint}")
    return problems


def load_entry_point(pm: pluggy.PluginManager, ep: EntryPoint, selection: PluginSelection) -> PluginInfo:
    """Load and register one entry point; never raises, the outcome is in the returned info."""
    version = ep.dist.version if ep.dist is not None else None
    builtin = ep.value.startswith("casehub.plugins.")
    base = {"name": ep.name, "version": version, "module": ep.value, "builtin": builtin}
    if reason := selection.disabled_reason(ep.name):
        return PluginInfo(status="disabled", reason=reason, **base)
    try:
        plugin = ep.load()
    except PluginUnavailable as exc:
        return PluginInfo(status="unavailable", reason=f"needs {exc.missing!r}", pip_command=exc.pip_command, **base)
    except ModuleNotFoundError as exc:
        own = ep.module.split(".")
        if exc.name and own[: len(exc.name.split("."))] == exc.name.split("."):
            log.error("plugin %s %s failed to load: %s", ep.name, version, exc)
            return PluginInfo(status="failed", reason=f"import failed: {exc}", **base)
        log.warning("plugin %s %s is unavailable: %s", ep.name, version, exc)
        return PluginInfo(
            status="unavailable",
            reason=f"needs module {exc.name!r}, which is not installed",
            pip_command=f"pip install {exc.name}" if exc.name and "." not in exc.name else None,
            **base,
        )
    except Exception as exc:  # any import-time error of a third-party plugin
        log.exception("plugin %s %s failed to load", ep.name, version)
        return PluginInfo(status="failed", reason=f"import failed: {type(exc).__name__}: {exc}", **base)
    return register_plugin(pm, plugin, ep.name, base)


def register_plugin(pm: pluggy.PluginManager, plugin: object, name: str, base: dict[str, Any]) -> PluginInfo:
    """Register an already imported plugin, refusing misspelt or mistyped hook implementations."""
    if problems := validate_hooks(pm, plugin):
        log.error("plugin %s not registered: %s", name, "; ".join(problems))
        return PluginInfo(status="failed", reason="; ".join(problems), **base)
    try:
        pm.register(plugin, name=name)
    except Exception as exc:  # pluggy.PluginValidationError and duplicate names
        log.error("plugin %s not registered: %s", name, exc)
        return PluginInfo(status="failed", reason=str(exc), **base)
    hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
    return PluginInfo(status="enabled", hooks=hooks, **base)
