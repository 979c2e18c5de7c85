"""``[jira]``: the Jira site, how to authenticate, and where feedback goes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, model_validator


class JiraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="Jira Cloud site, Server/Data Center base URL, or a local fake.")
    email: str | None = Field(None, description="Jira Cloud: the account's email (with api_token).")
    api_token: SecretStr | None = Field(None, description="Jira Cloud API token.")
    personal_access_token: SecretStr | None = Field(None, description="Server/Data Center personal access token.")
    project: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$", description="Default project key for feedback issues.")
    issue_type: str = Field("Task", description="Default issue type.")
    webhook_secret: SecretStr | None = Field(None, description="Secret that signs Jira webhooks to /hooks/jira.")

    @model_validator(mode="after")
    def _auth(self) -> JiraSettings:
        if not (self.personal_access_token or (self.email and self.api_token)):
            raise ValueError(
                "no way to log in: set email + api_token (Cloud) or personal_access_token (Server/Data Center); "
                "put secrets in CASEHUB_JIRA__<KEY> environment variables"
            )
        return self
