"""Settings: one TOML file, overridable key by key from the environment.

``CASEHUB_<SECTION>__<KEY>`` overrides ``[section] key`` (secrets belong in the
environment, never in the file). Every section is a strict model: an unknown
key is an error, because a typo must not silently switch a feature off. Plugin
sections are contributed by the plugins themselves through the
``settings_model`` hook, so the root model is built per run by
:func:`build_settings_model`, never at import time.

Errors name the file, the line, the key and what was expected.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError, create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from casehub.errors import ConfigError, ConfigIssue
from casehub.loader import PluginInfo

__all__ = [
    "ApiSection",
    "ApiToken",
    "CasehubSection",
    "ConfigFile",
    "CoreSettings",
    "DEFAULT_CONFIG",
    "ServerSection",
    "build_settings_model",
    "environment_error",
    "line_of",
    "load_settings",
    "read_config_file",
]

DEFAULT_CONFIG = "casehub.toml"
ENV_PREFIX = "CASEHUB_"

_strict = ConfigDict(extra="forbid")


class CasehubSection(BaseModel):
    """``[casehub]``: where data lives and which plugins run."""

    model_config = _strict

    database_url: str = Field(
        "sqlite:///casehub.db",
        description="SQLAlchemy URL. SQLite (default, one machine) or postgresql://user@host/db (many workers).",
    )
    auto_migrate: bool = Field(
        True, description="Bring the schema up to date at start. Set false in production and run `casehub db upgrade`."
    )
    load_plugins: list[str] | None = Field(
        None, description="Load only these plugins (entry-point names). Env: CASEHUB_LOAD_PLUGINS=a,b."
    )
    disable_plugins: list[str] = Field(
        default_factory=list, description="Never load these plugins. Env: CASEHUB_DISABLE_PLUGINS=a,b."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The URL people reach casehub at; used in links sent to other systems."
    )
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", description="Log level.")


class ServerSection(BaseModel):
    """``[server]``: the HTTP server of ``casehub serve``."""

    model_config = _strict

    host: str = Field("127.0.0.1", description="Address to listen on; 0.0.0.0 for all interfaces.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, le=100 * 1_048_576, description="Larger request bodies get 413."
    )


class ApiToken(BaseModel):
    """A named API token; ``read_only`` tokens get 403 on writes."""

    model_config = _strict

    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Shown as the actor of changes made with it.")
    token: SecretStr = Field(description="The bearer token (at least 16 characters).")
    read_only: bool = False


def _token_length(value: SecretStr | ApiToken) -> SecretStr | ApiToken:
    secret = value.token if isinstance(value, ApiToken) else value
    if len(secret.get_secret_value()) < 16:
        raise ValueError("a token must be at least 16 characters long")
    return value


class ApiSection(BaseModel):
    """``[api]``: who may call ``/api/v1``."""

    model_config = _strict

    tokens: list[Annotated[SecretStr | ApiToken, AfterValidator(_token_length)]] = Field(
        default_factory=list,
        description='Bearer tokens: plain strings, or tables {name = "...", token = "...", read_only = true}. '
        "Set them from the environment: CASEHUB_API__TOKENS='[\"...\"]'.",
    )
    page_size: int = Field(50, ge=1, le=200, description="Default page size of list endpoints (at most 200).")


class RulesSection(BaseModel):
    """``[rules]``: the rules file (triggers, automations, assignment, SLA policies)."""

    model_config = _strict

    file: Path | None = Field(None, description="Path of rules.yaml, relative to the config file.")


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'") from None
    return value


class SlaSection(BaseModel):
    """``[sla]``: defaults for SLA clocks."""

    model_config = _strict

    timezone: Annotated[str, AfterValidator(_timezone)] = Field("UTC", description="Default business-hours time zone.")


class CoreSettings(BaseSettings):
    """The sections every casehub has; plugins add theirs in :func:`build_settings_model`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", nested_model_default_partial_update=True
    )

    casehub: CasehubSection = Field(default_factory=CasehubSection)
    server: ServerSection = Field(default_factory=ServerSection)
    api: ApiSection = Field(default_factory=ApiSection)
    rules: RulesSection = Field(default_factory=RulesSection)
    sla: SlaSection = Field(default_factory=SlaSection)

    config_path: Path | None = Field(None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives as init kwargs; the environment wins over it.
        return (env_settings, init_settings)

    def section(self, name: str) -> Any:
        """A plugin's config section, or ``None`` when the file has none."""
        return getattr(self, name, None)

    @property
    def config_dir(self) -> Path:
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        return path if path.is_absolute() else self.config_dir / path


CORE_SECTIONS = frozenset(CoreSettings.model_fields) - {"config_path"}


def build_settings_model(plugin_models: dict[str, type[BaseModel]], tolerated: set[str] = frozenset()) -> type[CoreSettings]:
    """The root settings model for this run: core sections plus each plugin's.

    ``tolerated`` sections (of disabled plugins) are accepted unchecked, so
    switching a plugin off does not force deleting its config.
    """
    fields: dict[str, Any] = {name: (model | None, None) for name, model in plugin_models.items()}
    fields.update({name: (dict[str, Any] | None, None) for name in tolerated - plugin_models.keys()})
    return create_model("Settings", __base__=CoreSettings, **fields)


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
