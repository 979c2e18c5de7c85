"""``[webforms]``: the forms casehub serves under ``/forms/<name>``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FormSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field("Contact us", max_length=200, description="Heading of the generated form.")
    fields: dict[str, str] = Field(
        default_factory=dict, description="Form field name -> case field (subject, description, contact.email, custom.x)."
    )
    required: list[str] = Field(default_factory=list, description="Form fields that must be filled in.")
    defaults: dict[str, str] = Field(default_factory=dict, description="Case fields set on every case from this form.")
    success_url: str | None = Field(None, description="Where browsers go after a successful post.")
    allowed_origins: list[str] = Field(default_factory=list, description="Origins allowed to post (CORS).")


class WebformsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    forms: dict[str, FormSettings] = Field(default_factory=dict, description="One table per form: [webforms.forms.NAME].")
