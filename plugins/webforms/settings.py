"""``[webforms]``: the forms casehub serves under ``/forms/<name>``.

A form maps the names its HTML fields have to case fields. The standard
Salesforce Web-to-Case names are mapped already, so an existing Web-to-Case
form works by changing its ``action`` URL; ``00N…`` custom field ids are mapped
per form in ``salesforce_fields``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from casehub.plugins.webforms.captcha import CaptchaSettings
from casehub.plugins.webforms.uploads import UploadSettings
from casehub.rules.durations import parse_duration

__all__ = ["CASE_FIELDS", "WEB_TO_CASE", "FormSettings", "WebformsSettings"]

CASE_FIELDS = {
    "subject", "description", "priority", "type", "channel", "queue", "owner", "tags",
    "contact.name", "contact.email", "contact.phone", "contact.language", "account.name", "account.tier",
}  # fmt: skip

# Salesforce Web-to-Case field names and what they become.
WEB_TO_CASE = {
    "name": "contact.name",
    "email": "contact.email",
    "phone": "contact.phone",
    "company": "account.name",
    "subject": "subject",
    "description": "description",
    "type": "type",
    "priority": "priority",
    "reason": "custom.reason",
    "origin": "custom.origin",
}
# Picklist values of a standard Web-to-Case form and casehub's values for them.
WEB_TO_CASE_VALUES = {
    "priority": {"low": "low", "medium": "normal", "normal": "normal", "high": "high", "urgent": "urgent", "critical": "urgent"},
    "type": {"question": "question", "problem": "problem", "feature request": "feedback", "feedback": "feedback",
             "incident": "incident", "request": "request"},
}  # fmt: skip


def _case_field(value: str) -> str:
    if value not in CASE_FIELDS and not (value.startswith("custom.") and value[7:].replace("_", "").isalnum()):
        raise ValueError(f"{value!r} is not a case field; expected one of {', '.join(sorted(CASE_FIELDS))} or custom.<name>")
    return value


class FormSettings(BaseModel):
    """One form: ``[webforms.forms.<name>]``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("Contact us", max_length=200, description="Heading of the generated form.")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="Form field name -> case field (subject, description, contact.email, custom.x); "
        "added to the Web-to-Case names, which are always understood.",
    )
    salesforce_fields: dict[str, str] = Field(
        default_factory=dict, description='Web-to-Case custom field ids -> case field: {"00N5g00000AbCdE" = "custom.product"}.'
    )
    required: list[str] = Field(
        default_factory=lambda: ["email", "subject"], description="Form fields that must be filled in."
    )
    choices: dict[str, list[str]] = Field(
        default_factory=dict, description="Form field -> the only values it may have (a product list, say)."
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="Case fields set on every case from this form: channel, type, priority, queue, tags."
    )
    show: list[str] = Field(
        default_factory=lambda: ["name", "email", "subject", "description"],
        description="The fields of the generated form page (GET /forms/NAME), in order.",
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Form field -> its label on the generated page.")
    success_url: str | None = Field(None, description="Where browsers go after a successful post (unless retURL says).")
    success_message: str = Field(
        "Thank you. We have your request {number} and will answer you by email.",
        max_length=2000,
        description="The thank-you page's text; {number} is the case number.",
    )
    return_hosts: list[str] = Field(
        default_factory=list, description="Hosts retURL may send browsers to; any other retURL is ignored (no open redirect)."
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="Origins (https://www.example.com) that may post; empty: any."
    )
    max_fields: int = Field(60, ge=1, le=1000, description="A post with more fields is refused.")
    max_length: int = Field(32_000, ge=100, le=100_000, description="Longest value of any field, in characters.")
    honeypot: str | None = Field(
        "website_url", description="A hidden field people leave empty; a post that fills it is a bot's (answered, not stored)."
    )
    per_ip_per_hour: int = Field(20, ge=1, description="Posts accepted from one address per hour.")
    per_email_per_hour: int = Field(10, ge=1, description="Posts accepted from one email address per hour.")
    duplicate_window: str = Field(
        "15m", description="The same email with the same subject and text within this time is one case, not two."
    )
    min_fill_seconds: float = Field(
        3.0, ge=0, le=600, description="Posts from the generated page sent faster than this are a bot's (0: no check)."
    )
    captcha: CaptchaSettings | None = Field(None, description="Verify hCaptcha, reCAPTCHA or Turnstile tokens.")
    attachments: UploadSettings | None = Field(None, description="Let people add files (multipart posts); unset: no files.")

    @field_validator("fields", "salesforce_fields")
    @classmethod
    def _targets(cls, value: dict[str, str]) -> dict[str, str]:
        for target in value.values():
            _case_field(target)
        return value

    @field_validator("duplicate_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value

    def mapping(self) -> dict[str, str]:
        """Every form field name this form understands, and the case field it fills."""
        return {**WEB_TO_CASE, **self.fields, **self.salesforce_fields}


class WebformsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: SecretStr | None = Field(
        None, description="Signs the fill-time stamp of generated pages; the same in every process (set it from the environment)."
    )
    forms: dict[str, FormSettings] = Field(default_factory=dict, description="One table per form: [webforms.forms.NAME].")
