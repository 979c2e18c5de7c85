"""Name registries filled by registration hooks (actions, pollers).

Each entry remembers the plugin that registered it, so a clash names both
plugins and the user knows which one to disable or rename.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from casehub.errors import PluginError

__all__ = ["Registered", "Registry"]


@dataclass(frozen=True)
class Registered:
    name: str
    plugin: str
    value: Any


class Registry:
    """A kind of named thing plugins contribute (``"action"``, ``"poller"``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Registered] = {}

    def register_for(self, plugin: str, build: Callable[..., Any]) -> Callable[..., None]:
        """The ``register`` callable handed to one plugin's hook; ``build`` turns its arguments into the value."""

        def register(name: str, *args: Any, **kwargs: Any) -> None:
            if name in self._entries:
                other = self._entries[name].plugin
                raise PluginError(
                    plugin,
                    f"{self.kind} {name!r} is already registered by plugin {other!r}; "
                    f"disable one of them or rename the {self.kind}",
                )
            self._entries[name] = Registered(name, plugin, build(name, *args, **kwargs))

        return register

    def __getitem__(self, name: str) -> Registered:
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Registered]:
        return iter(sorted(self._entries.values(), key=lambda r: r.name))

    def __len__(self) -> int:
        return len(self._entries)
