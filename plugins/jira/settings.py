"""``[jira]``: the Jira site, how to log in, where feedback goes, and what its statuses mean to customers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, model_validator

__all__ = ["JiraSettings"]

_SUMMARY = "{{ case.subject }}"
_DESCRIPTION = """{{ case.description }}"""


class JiraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="Jira Cloud site, Server/Data Center base URL, or a local fake.")
    email: str | None = Field(None, description="Jira Cloud: the account's email (with api_token).")
    api_token: SecretStr | None = Field(None, description="Jira Cloud API token (CASEHUB_JIRA__API_TOKEN).")
    personal_access_token: SecretStr | None = Field(None, description="Server/Data Center personal access token.")
    project: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$", description="Default project key for feedback issues.")
    issue_type: str = Field("Task", description="Default issue type.")
    summary_template: str = Field(_SUMMARY, description="The issue's summary (Jinja2; `case` is the first case).")
    description_template: str = Field(
        _DESCRIPTION, description="What the customer asked, above the customers list casehub adds (Jinja2)."
    )
    labels: list[str] = Field(default_factory=list, description="Labels on every feedback issue (casehub adds its own).")
    components: list[str] = Field(default_factory=list, description="Components on every feedback issue.")
    priority_map: dict[str, str] = Field(
        default_factory=lambda: {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Highest"},
        description="casehub priority → Jira priority name.",
    )
    custom_fields: dict[str, str] = Field(
        default_factory=dict, description='Jira field id → value template: {"customfield_10042" = "{{ case.account.tier }}"}.'
    )
    case_url: str | None = Field(
        None, description="Link from the issue to a case, with {number} and {id} (your casehub UI or API)."
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Secret of the Jira webhook to /hooks/jira (X-Hub-Signature); without it: no endpoint."
    )
    done_statuses: list[str] = Field(default_factory=lambda: ["Done"], description="Statuses that mean done.")
    wont_do_statuses: list[str] = Field(default_factory=lambda: ["Won't Do"], description="Statuses that mean won't do.")
    wont_do_resolutions: list[str] = Field(
        default_factory=lambda: ["Won't Do", "Won't Fix", "Duplicate", "Declined"],
        description="Resolutions that mean won't do, whatever the status.",
    )
    in_progress_statuses: list[str] = Field(
        default_factory=lambda: ["In Progress"], description="Statuses that mean someone works on it."
    )
    similarity_threshold: float = Field(
        0.5, ge=0.05, le=1.0, description="Cosine similarity from which feedback counts as the same request."
    )
    lookback_days: int = Field(180, ge=1, le=3650, description="Open feedback issues created this recently are compared.")
    relay_public_comments: bool = Field(True, description="Comments visible to all on the issue become notes on the cases.")
    poll_interval_seconds: int = Field(
        300, ge=10, le=86_400, description="JQL polling on `updated`, for when webhooks cannot reach casehub."
    )
    timeout_seconds: float = Field(20.0, gt=0, le=300, description="Per-request timeout.")

    @model_validator(mode="after")
    def _auth(self) -> JiraSettings:
        if not (self.personal_access_token or (self.email and self.api_token)):
            raise ValueError(
                "no way to log in: set email + api_token (Cloud) or personal_access_token (Server/Data Center); "
                "put secrets in CASEHUB_JIRA__<KEY> environment variables"
            )
        return self

    def outcome(self, status: str | None, resolution: str | None) -> str:
        """What a Jira status and resolution mean for the customer: done, wont_do, in_progress or open."""
        if resolution and resolution in self.wont_do_resolutions or status in self.wont_do_statuses:
            return "wont_do"
        if status in self.done_statuses:
            return "done"
        if status in self.in_progress_statuses:
            return "in_progress"
        return "open"
