"""Token buckets taken for many callers at once (the web forms' batches), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from casehub.delivery import buckets
from casehub.hub import Hub
from casehub.store.engine import write_connection
from casehub.store.tables import outbox_buckets

HubFactory = Callable[..., Hub]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def hub(make_hub: HubFactory, any_database_url: str) -> Hub:
    return make_hub(database_url=any_database_url)


def take_each(hub: Hub, wanted: list[list[tuple[str, float, int]]], now: datetime = NOW) -> list[float]:
    """One call in a write transaction of its own, committed."""
    with write_connection(hub.engine) as conn:
        return buckets.take_each(conn, wanted, now)


def row(hub: Hub, bucket: str) -> dict[str, Any] | None:
    """The bucket as another transaction sees it after the commit."""
    with hub.engine.connect() as conn:
        found = conn.execute(select(outbox_buckets).where(outbox_buckets.c.bucket == bucket)).first()
    return dict(found._mapping) if found is not None else None


def test_callers_sharing_a_bucket_see_each_others_takes_in_order(hub: Hub) -> None:
    shared = [("form:ip:10.0.0.1", 2.0, 3)]  # two tokens a second, three at once
    waits = take_each(hub, [shared] * 5)
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == [pytest.approx(0.5), pytest.approx(0.5)], "the bucket is empty: a token comes in 1/rate s"
    assert row(hub, "form:ip:10.0.0.1")["tokens"] == pytest.approx(0.0)  # three taken, the refused took none


@pytest.mark.parametrize("email_first", [True, False], ids=["email-first", "ip-first"])
def test_a_caller_refused_takes_nothing_from_its_other_buckets(hub: Hub, email_first: bool) -> None:
    email, ip = ("form:email:ada@example.com", 1 / 3600, 1), ("form:ip:10.0.0.1", 1 / 3600, 3)
    limits = [email, ip] if email_first else [ip, email]
    assert take_each(hub, [limits]) == [0.0]  # the email's one token is gone, the address has two left
    before = row(hub, "form:ip:10.0.0.1")
    assert before is not None and before["tokens"] == pytest.approx(2.0)

    later = NOW + timedelta(seconds=60)
    [wait] = take_each(hub, [limits], later)
    assert wait == pytest.approx(3600 - 60), "the email's bucket waits for its token"
    assert row(hub, "form:ip:10.0.0.1") == before, "the address's bucket is as it was"


def test_a_refused_caller_leaves_the_token_for_the_next_caller_of_the_same_batch(hub: Hub) -> None:
    email, ip = ("form:email:ada@example.com", 1 / 3600, 1), ("form:ip:10.0.0.1", 1 / 3600, 1)
    take_each(hub, [[email]])  # ada has posted: her bucket is empty
    # ada's post would take the address's only token before finding her own bucket empty; it must not.
    assert take_each(hub, [[ip, email], [ip], [ip]]) == [pytest.approx(3600), 0.0, pytest.approx(3600)]
    assert row(hub, "form:ip:10.0.0.1")["tokens"] == pytest.approx(0.0)


def test_buckets_never_seen_start_full(hub: Hub) -> None:
    assert row(hub, "form:ip:10.0.0.2") is None
    assert take_each(hub, [[("form:ip:10.0.0.2", 1.0, 4)]]) == [0.0]
    made = row(hub, "form:ip:10.0.0.2")
    assert made is not None and made["tokens"] == pytest.approx(3.0) and made["refilled_at"] == NOW
    assert take_each(hub, [[("form:ip:10.0.0.2", 1.0, 4)]] * 4) == [0.0, 0.0, 0.0, pytest.approx(1.0)]


def test_a_blocked_bucket_refuses_until_its_end(hub: Hub) -> None:
    paused, other = ("slack:#general", 1.0, 5), ("form:ip:10.0.0.1", 1.0, 5)
    with write_connection(hub.engine) as conn:
        buckets.block(conn, "slack:#general", until=NOW + timedelta(seconds=30), now=NOW)
    assert take_each(hub, [[other, paused]], NOW + timedelta(seconds=10)) == [pytest.approx(20.0)]
    assert row(hub, "form:ip:10.0.0.1")["tokens"] == pytest.approx(5.0), "refused: the other bucket keeps its tokens"
    assert take_each(hub, [[other, paused]], NOW + timedelta(seconds=31)) == [0.0], "the pause is over"


def test_tokens_come_back_at_the_bucket_rate_one_call_after_another(hub: Hub) -> None:
    limits = [("email", 0.5, 2), ("ip", 0.5, 3)]  # a token every 2 s; the email bucket runs out first
    waits = []
    for seconds in (0, 0, 0, 1, 2, 6):
        waits.extend(take_each(hub, [limits], NOW + timedelta(seconds=seconds)))
    assert waits == [0.0, 0.0, pytest.approx(2.0), pytest.approx(1.0), 0.0, 0.0]
    assert row(hub, "email")["tokens"] == pytest.approx(1.0) and row(hub, "ip")["tokens"] == pytest.approx(2.0)