"""``[salesforce]``: the org to sync with and how to authenticate."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, model_validator


class SalesforceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_url: HttpUrl = Field(description="The org's URL (a sandbox, My Domain, or a local fake).")
    api_version: str = Field("62.0", pattern=r"^\d{2,3}\.\d$", description="REST API version, e.g. 62.0.")
    access_token: SecretStr | None = Field(None, description="A session id / OAuth access token.")
    username: str | None = Field(None, description="For username + password + security token login.")
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: str | None = Field(None, description="Connected app key, for the JWT bearer or client-credentials flow.")
    consumer_secret: SecretStr | None = None
    private_key_file: str | None = Field(None, description="PEM key file for the JWT bearer flow.")
    external_id_field: str = Field(
        "Casehub_Id__c",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$",
        description="External-id field on Case used for idempotent upserts.",
    )
    poll_interval_seconds: int = Field(60, ge=5, le=86_400, description="How often to poll for changes.")

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> SalesforceSettings:
        ways = [
            self.access_token is not None,
            self.username is not None and self.password is not None,
            self.consumer_key is not None and (self.private_key_file is not None or self.consumer_secret is not None),
        ]
        if not any(ways):
            raise ValueError(
                "no way to log in: set access_token, or username + password (+ security_token), "
                "or consumer_key with private_key_file (JWT) or consumer_secret (client credentials); "
                "put secrets in CASEHUB_SALESFORCE__<KEY> environment variables"
            )
        return self
