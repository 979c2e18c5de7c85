"""The jira client as casehub needs it: REST v2, no retries of its own, a timeout."""

from __future__ import annotations

from jira import JIRA

from casehub.plugins.jira.settings import JiraSettings

__all__ = ["connect"]


def connect(settings: JiraSettings) -> JIRA:
    """A client for the site; raises ``JIRAError`` (401) at once for bad credentials.

    ``max_retries=0``: the library would otherwise sleep up to a minute in a
    worker thread on 429/503 (and crash on a Retry-After that is not an
    integer); the outbox retries with the vendor's Retry-After instead. REST
    v2, because v3 wants Atlassian Document Format the library does not write.
    """
    auth: dict[str, object]
    if settings.personal_access_token is not None:
        auth = {"token_auth": settings.personal_access_token.get_secret_value()}
    else:
        assert settings.email is not None and settings.api_token is not None
        auth = {"basic_auth": (settings.email, settings.api_token.get_secret_value())}
    return JIRA(
        server=str(settings.url).rstrip("/"),
        max_retries=0,
        timeout=int(settings.timeout_seconds),
        options={"rest_api_version": "2"},
        **auth,  # type: ignore[arg-type]
    )
