"""``[slack]``: the bot, the signing secret, channel aliases, and how messages look."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator

__all__ = ["SlackSettings"]

_DEFAULT_TEMPLATE = "{{ case.subject }}"


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="Bot token (xoxb-...). Set CASEHUB_SLACK__TOKEN.")
    signing_secret: SecretStr | None = Field(
        None, description="Verifies the buttons' and slash command's requests from Slack (CASEHUB_SLACK__SIGNING_SECRET)."
    )
    base_url: HttpUrl = Field(HttpUrl("https://slack.com/api/"), description="Web API base URL (a proxy or a local fake).")
    channels: dict[str, str] = Field(
        default_factory=dict, description='Aliases rules can use: urgent = "#support-urgent" (or a channel id).'
    )
    templates: dict[str, str] = Field(
        default_factory=lambda: {"default": _DEFAULT_TEMPLATE},
        description="Named message lines (Jinja2, sandboxed; `case` is the case): the headline under the case's title.",
    )
    case_url: str | None = Field(
        None,
        description="Link for a case number, with {number} and {id}: your casehub UI, or the API "
        "(https://casehub.example.com/api/v1/cases/{number}).",
    )
    users: dict[str, str] = Field(
        default_factory=dict,
        description="Slack user id → agent name, for people whose Slack email is not their agent email.",
    )
    digest_after: int = Field(
        3, ge=1, le=100, description="More notifications than this waiting for one channel become one digest message."
    )
    timeout_seconds: float = Field(10.0, gt=0, le=120, description="Per-request timeout.")

    @field_validator("templates")
    @classmethod
    def _has_default(cls, value: dict[str, str]) -> dict[str, str]:
        return {"default": _DEFAULT_TEMPLATE, **value}

    def channel(self, name: str) -> str:
        """An alias's channel, or the name as given (``#support``, ``C0123``)."""
        return self.channels.get(name, name)
