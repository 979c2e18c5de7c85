from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from casehub.fakes.sink import Sink
from casehub.hub import Hub

from courier import Courier


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


@pytest.fixture
def courier_hub(any_database_url: str, make_hub: Callable[..., Hub], sink: Sink) -> Callable[..., Hub]:
    """A hub on SQLite and on PostgreSQL with the courier plugin delivering to ``sink``."""

    def make(*, deliveries: bool = True, outbox: dict[str, Any] | None = None, **courier: Any) -> Hub:
        config = {
            "courier": {"url": sink.url, **courier},
            "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_cap": 0.2, **(outbox or {})},
        }
        return make_hub(config, plugins={"courier": Courier()}, database_url=any_database_url, deliveries=deliveries)

    return make
