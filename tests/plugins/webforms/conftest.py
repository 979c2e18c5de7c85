from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

import casehub.plugins.webforms as webforms
from casehub.hub import Hub

SUPPORT = {
    "title": "Contact support",
    "fields": {"product": "custom.product", "topic": "type"},
    "salesforce_fields": {"00N5g00000AbCdE": "custom.order"},
    "required": ["email", "subject"],
    "choices": {"product": ["Lamp", "Chair"]},
    "defaults": {"queue": "support", "tags": ["website"]},
    "return_hosts": ["www.example.com"],
    "success_url": "https://www.example.com/thanks",
}


@pytest.fixture
def forms(make_hub: Callable[..., Hub], serve: Callable[[Hub], AbstractContextManager[httpx.Client]], any_database_url: str) -> Iterator[Callable[..., tuple[Hub, httpx.Client]]]:
    """A served hub with the webforms plugin and the given forms; the client follows no redirects."""
    stack: list[AbstractContextManager[httpx.Client]] = []

    def make(**forms: dict[str, Any]) -> tuple[Hub, httpx.Client]:
        hub = make_hub({"webforms": {"forms": forms or {"support": SUPPORT}}}, plugins={"webforms": webforms},
                       database_url=any_database_url)  # fmt: skip
        serving = serve(hub)
        stack.append(serving)
        client = serving.__enter__()
        client.headers.pop("Authorization", None)  # forms are public
        client.follow_redirects = False
        return hub, client

    yield make
    for serving in reversed(stack):
        serving.__exit__(None, None, None)
