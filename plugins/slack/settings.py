"""``[slack]``: the bot, the signing secret and the channel aliases."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="Bot token (xoxb-...). Set CASEHUB_SLACK__TOKEN.")
    signing_secret: SecretStr | None = Field(None, description="Verifies interactive requests from Slack.")
    base_url: HttpUrl = Field(HttpUrl("https://slack.com/api/"), description="Web API base URL (a proxy or a local fake).")
    channels: dict[str, str] = Field(
        default_factory=dict, description='Aliases rules can use: urgent = "#support-urgent".'
    )
