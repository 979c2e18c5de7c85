"""The one typed door to the hooks: nothing else in casehub touches ``pm.hook``.

pluggy cannot type hook calls, so each hook gets a method here with real
types. Hooks whose failure must not spread (intake enrichers, in-transaction
planners, observers) are called one implementation at a time, so a failure is
logged with the plugin that caused it and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING, Any

import pluggy

from casehub import hookspecs
from casehub.errors import IntakeRejected, PluginError
from casehub.loader import PluginInfo, PluginSelection, discover, load_entry_point, register_plugin
from casehub.registry import Registry

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from pydantic import BaseModel

    from casehub.hub import Hub
    from casehub.model import Case, CaseDraft, Event
    from casehub.outbox import Delivery, DeliveryResult, OutboxItem

__all__ = ["PluginHost", "make_plugin_manager"]

log = logging.getLogger(__name__)


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


class PluginHost:
    """Loaded plugins, what became of each, and typed calls to their hooks."""

    def __init__(self, pm: pluggy.PluginManager | None = None) -> None:
        self.pm = pm or make_plugin_manager()
        self._infos: dict[str, PluginInfo] = {}

    # -- loading -------------------------------------------------------------

    @classmethod
    def from_entry_points(
        cls, selection: PluginSelection | None = None, entry_points: list[EntryPoint] | None = None
    ) -> PluginHost:
        host = cls()
        selection = selection or PluginSelection()
        for ep in discover() if entry_points is None else entry_points:
            host._infos[ep.name] = load_entry_point(host.pm, ep, selection)
        return host

    def register(self, plugin: object, name: str, *, version: str | None = None) -> PluginInfo:
        """Register a plugin object directly (tests, embedding); the info says if it was refused."""
        info = register_plugin(self.pm, plugin, name, {"name": name, "version": version, "module": None})
        self._infos[name] = info
        return info

    def unregister(self, name: str) -> None:
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)
        self._infos.pop(name, None)

    @property
    def infos(self) -> list[PluginInfo]:
        return sorted(self._infos.values())

    def info(self, name: str) -> PluginInfo | None:
        return self._infos.get(name)

    def enabled(self) -> list[str]:
        return [i.name for i in self.infos if i.status == "enabled"]

    # -- calling one implementation at a time ---------------------------------

    def _impls(self, hook: str) -> Iterator[tuple[str, Callable[..., Any], list[str]]]:
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            yield impl.plugin_name, impl.function, list(impl.argnames)

    @staticmethod
    def _call(function: Callable[..., Any], argnames: list[str], kwargs: dict[str, Any]) -> Any:
        return function(*(kwargs[a] for a in argnames))

    def _observe(self, hook: str, **kwargs: Any) -> None:
        for plugin, function, argnames in self._impls(hook):
            try:
                self._call(function, argnames, kwargs)
            except Exception:
                log.exception("plugin %s failed in hook %s", plugin, hook)

    def _each_strict(self, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        for plugin, function, argnames in self._impls(hook):
            try:
                yield plugin, self._call(function, argnames, kwargs)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(plugin, f"hook {hook} failed: {type(exc).__name__}: {exc}") from exc

    # -- configuration ---------------------------------------------------------

    def vendor_checks(self, settings: Any) -> list[tuple[str, list[tuple[bool, str]] | Exception]]:
        """Each plugin's ``check_vendor`` lines, or the exception it raised (a check reports, never stops)."""
        found: list[tuple[str, list[tuple[bool, str]] | Exception]] = []
        for plugin, function, argnames in self._impls("check_vendor"):
            try:
                lines = self._call(function, argnames, {"settings": settings})
            except Exception as exc:
                found.append((plugin, exc))
                continue
            if lines:
                found.append((plugin, list(lines)))
        return found

    def report_sections(self, conn: Any, period: Any, scope: Any, hub: Hub) -> list[tuple[str, dict[str, Any]]]:
        """Each plugin's ``report_section``; one that raises becomes an error section naming it."""
        found: list[tuple[str, dict[str, Any]]] = []
        for plugin, function, argnames in self._impls("report_section"):
            try:
                # A savepoint: a failed query must not leave the connection's transaction unusable for the next.
                with conn.begin_nested():
                    section = self._call(function, argnames, {"conn": conn, "period": period, "scope": scope, "hub": hub})
            except Exception as exc:
                log.exception("plugin %s: report_section failed", plugin)
                found.append((plugin, {"error": f"plugin {plugin}: {type(exc).__name__}: {exc}"}))
                continue
            if section is not None:
                found.append(section)
        return found

    def settings_models(self) -> dict[str, type[BaseModel]]:
        """Section name (the plugin's name) -> its settings model."""
        return {plugin: model for plugin, model in self._each_strict("settings_model") if model is not None}

    # -- start and stop --------------------------------------------------------

    def startup(self, hub: Hub) -> None:
        for _ in self._each_strict("startup", hub=hub):
            pass

    def shutdown(self, hub: Hub) -> None:
        self._observe("shutdown", hub=hub)

    # -- HTTP --------------------------------------------------------------------

    def routers(self, hub: Hub) -> list[APIRouter]:
        return [router for _, router in self._each_strict("routes", hub=hub) if router is not None]

    # -- registries ----------------------------------------------------------

    def actions(self, build: Callable[..., Any]) -> Registry:
        return self._fill(Registry("action"), "register_actions", build)

    def pollers(self, build: Callable[..., Any], settings: Any = None) -> Registry:
        return self._fill(Registry("poller"), "register_pollers", build, settings=settings)

    def _fill(self, registry: Registry, hook: str, build: Callable[..., Any], **more: Any) -> Registry:
        for plugin, function, argnames in self._impls(hook):
            try:
                self._call(function, argnames, {"register": registry.register_for(plugin, build), **more})
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(plugin, f"hook {hook} failed: {type(exc).__name__}: {exc}") from exc
        return registry

    # -- intake and events ---------------------------------------------------

    def intake(self, draft: CaseDraft, hub: Hub) -> CaseDraft:
        for plugin, function, argnames in self._impls("intake"):
            try:
                changed = self._call(function, argnames, {"draft": draft, "hub": hub})
                if changed is not None:  # re-validated: a plugin must not smuggle in what the API refuses
                    draft = type(draft).model_validate(changed.model_dump(warnings=False))
            except IntakeRejected:
                raise
            except Exception:
                log.exception("plugin %s failed in hook intake; the case is taken in without its changes", plugin)
        return draft

    def plan_deliveries(self, event: Event, case: Case, hub: Hub) -> tuple[list[Delivery], list[tuple[str, str]]]:
        """Deliveries planned by every plugin, and ``(plugin, error)`` for each that raised."""
        planned: list[Delivery] = []
        failures: list[tuple[str, str]] = []
        for plugin, function, argnames in self._impls("plan_deliveries"):
            try:
                planned.extend(self._call(function, argnames, {"event": event, "case": case, "hub": hub}) or ())
            except Exception as exc:
                log.exception("plugin %s failed in hook plan_deliveries", plugin)
                failures.append((plugin, f"{type(exc).__name__}: {exc}"))
        return planned, failures

    def event_committed(self, event: Event, case: Case, hub: Hub) -> None:
        self._observe("event_committed", event=event, case=case, hub=hub)

    def has_impls(self, hook: str) -> bool:
        return bool(getattr(self.pm.hook, hook).get_hookimpls())

    # -- delivery and CLI ------------------------------------------------------

    def deliver(self, item: OutboxItem, hub: Hub) -> DeliveryResult | None:
        result: DeliveryResult | None = self.pm.hook.deliver(item=item, hub=hub)
        return result

    def delivery_defaults(self, destination: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.pm.hook.delivery_defaults(destination=destination)
        return found

    def deliver_batch(self, items: list[OutboxItem], hub: Hub) -> list[DeliveryResult] | None:
        results: list[DeliveryResult] | None = self.pm.hook.deliver_batch(items=items, hub=hub)
        return results

    def delivery_batch_size(self, destination: str) -> int | None:
        size: int | None = self.pm.hook.delivery_batch_size(destination=destination)
        return size

    def cli_commands(self, app: typer.Typer) -> None:
        self._observe("cli_commands", app=app)
