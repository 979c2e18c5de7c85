"""A logged-in simple-salesforce handle that logs in again once when its session expires.

simple-salesforce renews sessions only for its own SOAP login, which goes to
``*.salesforce.com`` whatever the org; casehub logs in through the OAuth token
endpoint (username-password, JWT bearer or client credentials) at the
configured ``login_url`` and hands simple-salesforce the session. When a call
meets ``INVALID_SESSION_ID`` the client logs in again and retries that call
once; a second expiry is an error.

Every response's ``Sforce-Limit-Info`` (``api-usage=used/limit``) is kept, so
sync can slow down before the org's daily limit stops every integration.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import jwt
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from casehub.plugins.salesforce.settings import SalesforceSettings

__all__ = ["LoginFailed", "SalesforceClient", "Usage"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class LoginFailed(Exception):
    """The org refused the credentials; the message is the org's, never a secret."""


class Usage:
    """The org's API request count as the last response reported it."""

    def __init__(self) -> None:
        self.used: int | None = None
        self.limit: int | None = None

    @property
    def percent(self) -> float | None:
        return None if not self.limit or self.used is None else 100.0 * self.used / self.limit


class _Session(requests.Session):
    """Requests with a default timeout, and a configured CA bundle that the environment cannot override.

    requests lets ``REQUESTS_CA_BUNDLE`` replace ``session.verify``; a bundle
    set in casehub's config is the user's explicit choice and wins.
    """

    def __init__(self, timeout: float, ca_bundle: str | None) -> None:
        super().__init__()
        self._timeout = timeout
        self._ca_bundle = ca_bundle
        if ca_bundle:
            self.verify = ca_bundle

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self._ca_bundle:
            settings["verify"] = self._ca_bundle
        return settings


class SalesforceClient:
    """``on_usage(used, limit)`` hears the org's API usage, at most every ``USAGE_EVERY`` seconds."""

    USAGE_EVERY = 10.0

    def __init__(self, settings: SalesforceSettings, on_usage: Callable[[int, int], None] | None = None) -> None:
        self.settings = settings
        self.usage = Usage()
        self._on_usage = on_usage
        self._usage_told = 0.0
        self.session = _Session(settings.timeout_seconds, settings.ca_bundle)
        self.user_id: str | None = None  # the integration user, whose edits are casehub's own
        self.logins = 0
        self._sf: Salesforce | None = None
        self._lock = threading.Lock()

    def call(self, action: Callable[[Salesforce], T]) -> T:
        """Run ``action`` with a logged-in handle; log in again and retry once if the session expired."""
        sf = self._handle()
        try:
            return self._counted(sf, action)
        except SalesforceExpiredSession:
            if self.settings.flow == "token":
                raise LoginFailed("the access_token has expired and cannot be renewed; set a new one") from None
            return self._counted(self._handle(renew=sf), action)

    def integration_user(self) -> str | None:
        """The id of the user casehub works as (its edits are casehub's own), from the OpenID userinfo endpoint."""
        if self.user_id is None:
            sf = self._handle()
            url = f"https://{sf.sf_instance}/services/oauth2/userinfo"
            response = self.session.get(url, headers={"Authorization": f"Bearer {sf.session_id}"})
            if response.status_code == 200:
                self.user_id = response.json().get("user_id")
        return self.user_id

    def _counted(self, sf: Salesforce, action: Callable[[Salesforce], T]) -> T:
        try:
            return action(sf)
        finally:
            usage = sf.api_usage.get("api-usage")
            if usage is not None:
                self.usage.used, self.usage.limit = usage.used, usage.total
                self._tell(usage.used, usage.total)

    def _tell(self, used: int, limit: int) -> None:
        if self._on_usage is None or time.monotonic() - self._usage_told < self.USAGE_EVERY:
            return
        self._usage_told = time.monotonic()
        try:
            self._on_usage(used, limit)
        except Exception:  # a figure for the operator must never fail a delivery
            log.warning("could not store Salesforce API usage", exc_info=True)

    def _handle(self, renew: Salesforce | None = None) -> Salesforce:
        with self._lock:
            if self._sf is None or self._sf is renew:
                token, instance_url = self._log_in()
                self._sf = Salesforce(
                    instance_url=instance_url,
                    session_id=token,
                    version=self.settings.api_version,
                    session=self.session,
                )
            return self._sf

    def _log_in(self) -> tuple[str, str]:
        s = self.settings
        self.logins += 1
        if s.flow == "token":
            assert s.access_token is not None
            return s.access_token.get_secret_value(), str(s.instance_url).rstrip("/")
        form: dict[str, str] = {"client_id": s.consumer_key or ""}
        if s.flow == "jwt":
            form |= {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": self._assertion()}
        elif s.flow == "password":
            assert s.password is not None
            secret = s.password.get_secret_value() + (s.security_token.get_secret_value() if s.security_token else "")
            form |= {"grant_type": "password", "username": s.username or "", "password": secret}
            if s.consumer_secret is not None:
                form["client_secret"] = s.consumer_secret.get_secret_value()
        else:
            assert s.consumer_secret is not None
            form |= {"grant_type": "client_credentials", "client_secret": s.consumer_secret.get_secret_value()}
        try:
            response = self.session.post(s.token_url, data=form)
        except requests.RequestException as exc:
            raise LoginFailed(f"could not reach {s.token_url}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise LoginFailed(f"Salesforce refused the {s.flow} login at {s.token_url}: {reason}")
        self.user_id = str(body.get("id", "")).rstrip("/").rsplit("/", 1)[-1] or None
        return body["access_token"], body.get("instance_url") or str(s.instance_url).rstrip("/")

    def _assertion(self) -> str:
        s = self.settings
        assert s.private_key_file is not None
        try:
            key = Path(s.private_key_file).read_text()
        except OSError as exc:
            raise LoginFailed(f"private_key_file {s.private_key_file}: {exc.strerror}") from None
        audience = str(s.login_url or s.instance_url).rstrip("/")
        claims = {"iss": s.consumer_key, "sub": s.username, "aud": audience, "exp": int(time.time()) + 180}
        return jwt.encode(claims, key, algorithm="RS256")
