from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import casehub.plugins.salesforce as salesforce
from casehub.fakes.salesforce import SalesforceFake
from casehub.hub import Hub


class OrgClock:
    """The fake org's clock: real time, which a test can set back to play a transaction that commits late."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def org_clock() -> OrgClock:
    return OrgClock()


@pytest.fixture
def sf_fake(monkeypatch: pytest.MonkeyPatch, org_clock: OrgClock) -> Iterator[SalesforceFake]:
    # requests would let these replace the CA bundle the plugin is configured with
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with SalesforceFake(page_size=50, clock=org_clock) as fake:
        yield fake


@pytest.fixture
def sf_hub(make_hub: Callable[..., Hub], any_database_url: str, sf_fake: SalesforceFake) -> Callable[..., Hub]:
    """A hub syncing with the fake org, its outbox worker running; settings override the defaults."""

    def make(
        deliveries: bool = True, outbox_settings: dict[str, Any] | None = None, rules_file: str | None = None, **settings: Any
    ) -> Hub:
        section = {"instance_url": sf_fake.url, "access_token": sf_fake.token, "ca_bundle": sf_fake.ca_path, **settings}
        config: dict[str, Any] = {
            "salesforce": section,
            "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_cap": 0.2, **(outbox_settings or {})},
        }
        if rules_file:
            config["rules"] = {"file": rules_file}
        return make_hub(config, plugins={"salesforce": salesforce}, database_url=any_database_url, deliveries=deliveries)

    return make
