"""CAPTCHA verification with hCaptcha, reCAPTCHA or Cloudflare Turnstile, through httpx.

All three take the same request — the secret, the token the widget put in the
form, the visitor's address — at their ``siteverify`` endpoint and answer
``{"success": true|false, "error-codes": [...]}``. When the provider cannot be
reached, ``fail_open`` decides: let the post in (spam may pass while the
provider is down) or refuse it with 503 (people must try again).
"""

from __future__ import annotations

from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["CaptchaSettings", "Verdict", "verify"]

PROVIDERS = {
    "hcaptcha": ("https://api.hcaptcha.com/siteverify", "h-captcha-response"),
    "recaptcha": ("https://www.google.com/recaptcha/api/siteverify", "g-recaptcha-response"),
    "turnstile": ("https://challenges.cloudflare.com/turnstile/v0/siteverify", "cf-turnstile-response"),
}


class CaptchaSettings(BaseModel):
    """``[webforms.forms.<name>.captcha]``."""

    model_config = ConfigDict(extra="forbid")

    provider: Literal["hcaptcha", "recaptcha", "turnstile"]
    secret: SecretStr = Field(description="The provider's secret key; set it from the environment.")
    site_key: str | None = Field(None, description="The public site key, for the generated form page.")
    fail_open: bool = Field(False, description="Take posts in while the provider cannot be reached.")
    timeout: float = Field(5.0, gt=0, le=30, description="Seconds to wait for the provider.")
    verify_url: str | None = Field(None, description="Another siteverify endpoint (a proxy); default: the provider's.")

    @property
    def token_field(self) -> str:
        return PROVIDERS[self.provider][1]


Verdict = Literal["passed", "failed", "unavailable"]


async def verify(settings: CaptchaSettings, token: str, remote_ip: str) -> Verdict:
    if not token:
        return "failed"
    url = settings.verify_url or PROVIDERS[settings.provider][0]
    data = {"secret": settings.secret.get_secret_value(), "response": token, "remoteip": remote_ip}
    try:
        async with httpx.AsyncClient(timeout=settings.timeout) as client:
            response = await client.post(url, data=data)
        if response.status_code >= 500:
            return "unavailable"
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        return "unavailable"
    return "passed" if answer.get("success") is True else "failed"
