"""Settings: the core sections, and the root model that plugin sections join.

``CASEHUB_<SECTION>__<KEY>`` overrides ``[section] key`` (secrets belong in the
environment, never in the file). Every section is a strict model: an unknown
key is an error, because a typo must not silently switch a feature off. Plugin
sections are contributed by the plugins themselves through the
``settings_model`` hook, so the root model is built per run by
:func:`build_settings_model`, never at import time. Reading the file and
reporting its errors is :mod:`casehub.config_file`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from casehub.delivery.settings import OutboxSection

__all__ = [
    "CORE_SECTIONS",
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "ApiSection",
    "ApiToken",
    "CasehubSection",
    "CoreSettings",
    "CsatSection",
    "OutboxSection",
    "RulesSection",
    "ServerSection",
    "SlaSection",
    "build_settings_model",
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
    tick_seconds: float = Field(
        15.0,
        ge=0.1,
        le=3600,
        description="How often `casehub serve` fires SLA warnings and breaches that came due, and runs due pollers.",
    )
    automations_seconds: float = Field(
        300.0, ge=1, le=86400, description="How often `casehub serve` checks every open case against the automations."
    )


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


def _secret_length(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 16:
        raise ValueError("the secret must be at least 16 characters long")
    return value


class CsatSection(BaseModel):
    """``[csat]``: satisfaction surveys, sent by the rule action ``send_csat_survey`` (see docs/csat.md)."""

    model_config = _strict

    secret: Annotated[SecretStr, AfterValidator(_secret_length)] | None = Field(
        None,
        description="Signs survey links (at least 16 characters); without it `send_csat_survey` cannot be used. "
        "Set it in the environment: CASEHUB_CSAT__SECRET. Changing it makes every link sent so far invalid.",
    )
    max_age_days: int = Field(30, ge=1, le=365, description="How many days a survey link works.")
    question: str = Field(
        "How satisfied are you with how we handled your request?",
        min_length=1,
        max_length=300,
        description="The question the survey page asks.",
    )


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
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    csat: CsatSection = Field(default_factory=CsatSection)

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
