"""The reference, generated from the code itself: settings models, rule actions' params, hook specs.

Hand-written pages explain; this one cannot go stale. ``docs/reference.md``
holds markers that the MkDocs hook ``mkdocs_hooks.py``
replaces with :func:`settings_tables`, :func:`actions_tables` and
:func:`hook_signatures` when the site is built.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

__all__ = ["actions_tables", "conditions_table", "hook_signatures", "settings_tables"]

_BUILT_IN_PLUGINS = ("salesforce", "jira", "slack", "webforms", "email")


def _type(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    for prefix in ("pydantic.types.", "pydantic.networks.", "casehub.model.", "pathlib.", "datetime."):
        text = text.replace(prefix, "")
    return text.replace("NoneType", "None").replace("|", "\\|")


def _default(info: FieldInfo) -> str:
    if info.default is not PydanticUndefined:
        value = info.default
        return "" if value is None else f"`{value!r}`" if not hasattr(value, "get_secret_value") else "(secret)"
    if info.default_factory is not None:
        try:
            value = info.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return "(computed)"
        return f"`{value!r}`" if not isinstance(value, BaseModel) else "(section)"
    return "**required**"


def _rows(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        annotation = info.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            yield from _rows(annotation, f"{prefix}{name}.")
            continue
        description = " ".join((info.description or "").split()).replace("|", "\\|")
        yield f"| `{prefix}{name}` | {_type(annotation)} | {_default(info)} | {description} |"


def _plugins() -> dict[str, Any]:
    import importlib

    found = {}
    for name in _BUILT_IN_PLUGINS:
        try:
            found[name] = importlib.import_module(f"casehub.plugins.{name}")
        except Exception:  # an extra not installed: its section is documented on its page
            continue
    return found


def settings_tables() -> str:
    from casehub.settings import CoreSettings

    out = []
    for section, info in CoreSettings.model_fields.items():
        if info.exclude:
            continue
        model = typing.cast(type[BaseModel], info.annotation)
        out += [f"### `[{section}]`", "", (model.__doc__ or "").strip().splitlines()[0], "",
                "| key | type | default | description |", "| --- | --- | --- | --- |", *_rows(model), ""]  # fmt: skip
    for name, module in _plugins().items():
        model = module.settings_model()
        out += [f"### `[{name}]` (plugin)", "", "| key | type | default | description |", "| --- | --- | --- | --- |",
                *_rows(model), ""]  # fmt: skip
    return "\n".join(out)


def conditions_table() -> str:
    """Every field a condition can test, and the operators that apply to it."""
    from casehub.rules import conditions

    rows = ["| field | kind | operators |", "| --- | --- | --- |"]
    for name, kind in conditions.FIELDS.items():
        operators = ", ".join(f"`{op}`" for op in sorted(conditions._APPLIES[kind]))
        rows.append(f"| `{name}` | {kind} | {operators} |")
    every = sorted(set().union(*conditions._APPLIES.values()))
    rows.append(f"| `custom.<name>` | any | {', '.join(f'`{op}`' for op in every)} |")
    aliases = ", ".join(f"`{a}` = `{b}`" for a, b in conditions._ALIASES.items())
    return "\n".join([*rows, "", f"Aliases: {aliases}."])


def actions_tables() -> str:
    from casehub.rules.actions import BUILTIN

    def table(name: str, params: type[BaseModel], origin: str) -> list[str]:
        doc = " ".join((params.__doc__ or "").split())
        rows = list(_rows(params))
        head = [f"### `{name}` ({origin})", "", doc, ""] if doc else [f"### `{name}` ({origin})", ""]
        if not rows:
            return [*head, "No params.", ""]
        return [*head, "| param | type | default | description |", "| --- | --- | --- | --- |", *rows, ""]

    out: list[str] = []
    for name, builtin in sorted(BUILTIN.items()):
        out += table(name, builtin.params, "built-in")
    for plugin, module in _plugins().items():
        registered: list[tuple[str, type[BaseModel]]] = []
        hook = getattr(module, "register_actions", None)
        if hook is not None:
            hook(lambda name, params, plan=None: registered.append((name, params)))
        for name, params in registered:
            out += table(name, params, f"plugin {plugin}")
    return "\n".join(out)


def hook_signatures() -> str:
    from casehub import hookspecs

    out = []
    for name in hookspecs.__all__:
        spec = getattr(hookspecs, name)
        if not callable(spec) or not hasattr(spec, "casehub_spec"):
            continue
        signature = inspect.signature(spec)
        out += [f"### `{name}`", "", "```python", f"{name}{signature}", "```", "", inspect.getdoc(spec) or "", ""]
    return "\n".join(out)
