"""Reading a config file and validating it, with errors that point at the file, line and key.

Every problem is collected (not just the first), each with where it came from:
``casehub.toml:14: [server] prot: unknown key`` or ``environment variable
CASEHUB_SERVER__PORT: [server] port: ...``. Values are never echoed, so a
secret cannot leak through an error.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

from casehub.errors import ConfigError, ConfigIssue
from casehub.loader import PluginInfo
from casehub.settings import CORE_SECTIONS, ENV_PREFIX, CoreSettings, build_settings_model

__all__ = ["ConfigFile", "environment_error", "line_of", "load_settings", "read_config_file"]


@dataclass(frozen=True)
class ConfigFile:
    """A config file's parsed data and text (kept to point errors at lines)."""

    path: Path | None
    data: dict[str, Any]
    text: str = ""

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "(no config file)"


def read_config_file(path: Path | None) -> ConfigFile:
    """Parse the TOML file; ``None`` or a missing default file means "all defaults"."""
    if path is None:
        return ConfigFile(None, {})
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(str(path), "(file)", "not found; create one with `casehub init`")]) from None
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(path), "(file)", f"cannot be read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([ConfigIssue(str(path), "(file)", "is not valid UTF-8", line)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError(
            [ConfigIssue(str(path), "(syntax)", f"not valid TOML: {exc}", int(match.group(1)) if match else None)]
        ) from None
    return ConfigFile(path, data, text)


def line_of(text: str, loc: tuple[str, ...]) -> int | None:
    """The line of ``[a.b] key = ...`` in TOML text (best effort: the section header otherwise)."""
    header_re = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
    current: tuple[str, ...] = ()
    header_line: int | None = None
    for n, line in enumerate(text.splitlines(), start=1):
        if m := header_re.match(line):
            current = tuple(p.strip().strip('"') for p in m.group(1).split("."))
            if current == loc[: len(current)] and header_line is None:
                header_line = n
            continue
        if current and loc[: len(current)] == current and len(loc) > len(current):
            key = loc[len(current)]
            if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
                return n
    return header_line


def _describe(err: dict[str, Any], known: set[str]) -> tuple[tuple[str, ...], str]:
    loc = tuple(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        if len(loc) == 1:
            close = difflib.get_close_matches(loc[0], sorted(known), n=1)
            hint = f"; did you mean [{close[0]}]?" if close else f"; known sections: {', '.join(sorted(known))}"
            return loc, f"unknown section{hint}"
        return loc, "unknown key (check the spelling; see the config reference)"
    return loc, err["msg"]


def _issue(file: ConfigFile, loc: tuple[str, ...], message: str) -> ConfigIssue:
    key = f"[{loc[0]}] {'.'.join(loc[1:])}".strip() if loc else "(root)"
    env = ENV_PREFIX + "__".join(p.upper() for p in loc[:2])
    if len(loc) > 1 and env in os.environ:
        return ConfigIssue(f"environment variable {env}", key, message)
    return ConfigIssue(file.name, key, message, line_of(file.text, loc) if loc else None)


def environment_error(exc: SettingsError) -> ConfigError:
    """pydantic-settings' "error parsing value for field 'api'", as the variable(s) to look at.

    It is raised when a list or table value in the environment is not JSON;
    which key it was is not said, so the suspects are the section's variables
    that are not JSON.
    """
    match = re.search(r'field "([^"]+)"', str(exc))
    section = match.group(1) if match else "?"
    prefix = f"{ENV_PREFIX}{section.upper()}__"
    suspects = sorted(n for n in os.environ if n.upper().startswith(prefix) and not _is_json(os.environ[n]))
    message = "not valid JSON; lists and tables must be JSON there, e.g. CASEHUB_API__TOKENS='[\"...\"]'"
    if len(suspects) == 1:
        key = suspects[0][len(prefix):].lower()
        return ConfigError([ConfigIssue(f"environment variable {suspects[0]}", f"[{section}] {key}", message)])
    return ConfigError(
        [ConfigIssue(f"environment variables {prefix}*", f"[{section}]", f"a list or table value is {message}; "
                     f"check {', '.join(suspects) or 'them'}")]
    )


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def load_settings(
    file: ConfigFile,
    plugin_models: dict[str, type[BaseModel]],
    plugin_infos: list[PluginInfo] = (),
) -> CoreSettings:
    """Validate the whole config; raise :class:`ConfigError` listing every problem."""
    tolerated = {i.name for i in plugin_infos if i.status == "disabled"}
    issues = [
        _issue(file, (i.name,), f"plugin {i.name!r} is unavailable: {i.reason}; {i.pip_command or 'install it'}")
        for i in plugin_infos
        if i.status == "unavailable" and i.name in file.data
    ]
    issues += [
        _issue(file, (i.name,), f"plugin {i.name!r} failed to load: {i.reason}")
        for i in plugin_infos
        if i.status == "failed" and i.name in file.data
    ]
    skip = {i.name for i in plugin_infos if i.status in ("unavailable", "failed")}
    model = build_settings_model(plugin_models, tolerated)
    data = {k: v for k, v in file.data.items() if k not in skip}
    try:
        settings = model(**data, config_path=file.path)
    except SettingsError as exc:
        raise environment_error(exc) from None
    except ValidationError as exc:
        known = set(CORE_SECTIONS) | set(plugin_models)
        for err in exc.errors(include_input=False, include_url=False):
            issues.append(_issue(file, *_describe(err, known)))
        raise ConfigError(issues) from None
    if issues:
        raise ConfigError(issues)
    return settings
