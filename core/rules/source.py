"""Reading the rules file so that every later error can point at its line.

PyYAML's composer keeps the position of every node; walking that tree once
gives a map from a path inside the document (``("triggers", 2, "actions",
0)``) to its line. Validation errors carry such paths, so a mistake deep in
the tenth rule is reported as ``rules.yaml:57: triggers[9].actions[0]: …``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casehub.errors import ConfigError, ConfigIssue

__all__ = ["RulesSource", "dotted", "read_rules"]

Path_ = tuple[str | int, ...]


# libyaml's parser when PyYAML was built with it (ten times faster on a large rules file).
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """YAML 1.2 booleans: only true/false. Under YAML 1.1 ``on:`` (the key every trigger has) is the
    boolean True, and ``no``, ``off`` or ``y`` as values silently become booleans too."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def dotted(loc: Sequence[str | int]) -> str:
    """``("triggers", 2, "actions", 0)`` → ``triggers[2].actions[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lines(node: yaml.Node, path: Path_, into: dict[Path_, int]) -> None:
    into[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            into[(*path, name)] = key.start_mark.line + 1
            _lines(value, (*path, name), into)
            into[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), into)


@dataclass
class RulesSource:
    """A parsed rules file and where each of its parts is."""

    path: Path | None
    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "rules"

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of the deepest part of ``loc`` that exists in the file."""
        parts = tuple(loc)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None

    def issue(self, loc: Sequence[str | int], message: str) -> ConfigIssue:
        return ConfigIssue(self.name, dotted(loc) or "(top level)", message, self.line_of(loc))


def read_rules(path: Path | None, text: str | None = None) -> RulesSource:
    """Parse a rules file (or ``text``); YAML and encoding errors are a ConfigError with the line."""
    name = str(path) if path else "rules"
    try:
        if text is None:
            assert path is not None
            text = path.read_text(encoding="utf-8")
        loader = _Loader(text)
        try:
            node = loader.get_single_node()  # parsed once: the node tree gives the lines, then the data
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(name, "[rules] file", "not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigIssue(name, "(file)", f"not valid UTF-8 (byte {exc.start})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", None) or exc)
        raise ConfigError([ConfigIssue(name, "(file)", f"not valid YAML: {problem}", mark.line + 1 if mark else None)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(name, "(top level)", "expected a mapping (triggers:, assignment:, …)", 1)])
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return RulesSource(path, data, lines)
