"""CAPTCHA verification through httpx, with the providers stood in for by respx (the code under test uses httpx)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from casehub.plugins.webforms.captcha import CaptchaSettings, verify
from casehub.store.cases import CaseFilter

POST = {"email": "ada@example.com", "subject": "Lamp"}


def captcha_form(**captcha: object) -> dict:
    return {"support": {"captcha": {"provider": "hcaptcha", "secret": "s3cret-key", **captcha}}}


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    # Only the provider is stood in for; the test's own calls to casehub go through.
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()
        yield mock


def test_a_solved_captcha_lets_the_post_in_and_the_secret_is_sent_not_shown(forms, provider) -> None:  # type: ignore[no-untyped-def]
    route = provider.post("https://api.hcaptcha.com/siteverify").mock(return_value=httpx.Response(200, json={"success": True}))
    _, client = forms(**captcha_form())
    response = client.post("/forms/support", json={**POST, "h-captcha-response": "tok-123"})
    assert response.status_code == 201
    sent = route.calls.last.request.content.decode()
    assert "secret=s3cret-key" in sent and "response=tok-123" in sent and "remoteip=127.0.0.1" in sent


def test_an_unsolved_or_missing_captcha_is_refused(forms, provider) -> None:  # type: ignore[no-untyped-def]
    provider.post("https://api.hcaptcha.com/siteverify").mock(
        return_value=httpx.Response(200, json={"success": False, "error-codes": ["invalid-input-response"]})
    )
    hub, client = forms(**captcha_form())
    bad = client.post("/forms/support", json={**POST, "h-captcha-response": "forged"})
    assert bad.status_code == 422 and "CAPTCHA was not solved" in bad.json()["errors"]["_form"]
    missing = client.post("/forms/support", json=POST)
    assert missing.status_code == 422
    assert "s3cret" not in bad.text + missing.text
    assert hub.service.list(CaseFilter()).items == []


@pytest.mark.parametrize("outage", [httpx.Response(503), httpx.ConnectError("down")])
def test_provider_down_fails_closed_by_default_and_open_when_configured(forms, provider, outage) -> None:  # type: ignore[no-untyped-def]
    route = provider.post("https://api.hcaptcha.com/siteverify")
    route.mock(side_effect=outage) if isinstance(outage, Exception) else route.mock(return_value=outage)
    _, closed = forms(**captcha_form())
    refused = closed.post("/forms/support", json={**POST, "h-captcha-response": "tok"})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    _, open_ = forms(**captcha_form(fail_open=True))
    assert open_.post("/forms/support", json={**POST, "h-captcha-response": "tok"}).status_code == 201


@pytest.mark.parametrize(
    ("provider_name", "url", "field"),
    [
        ("recaptcha", "https://www.google.com/recaptcha/api/siteverify", "g-recaptcha-response"),
        ("turnstile", "https://challenges.cloudflare.com/turnstile/v0/siteverify", "cf-turnstile-response"),
    ],
)
def test_each_provider_has_its_endpoint_and_token_field(provider, provider_name: str, url: str, field: str) -> None:  # type: ignore[no-untyped-def]
    provider.post(url).mock(return_value=httpx.Response(200, json={"success": True}))
    settings = CaptchaSettings(provider=provider_name, secret="k")
    assert settings.token_field == field
    assert asyncio.run(verify(settings, "tok", "203.0.113.9")) == "passed"
    assert asyncio.run(verify(settings, "", "203.0.113.9")) == "failed"
