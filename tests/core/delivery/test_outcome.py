"""How attempts are judged: what the vendor libraries raise, over real HTTP, decides retry or dead letter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import requests

from casehub.delivery.outcome import DeliveryFailed, backoff, from_exception, from_result, parse_retry_after
from casehub.delivery.settings import OutboxSection
from casehub.fakes.sink import Reply, Sink
from casehub.outbox import DeliveryResult


@pytest.fixture
def sink() -> Sink:
    with Sink() as running:
        yield running


def raised_by_httpx(sink: Sink, reply: Reply) -> BaseException:
    sink.script("/x", reply)
    with pytest.raises(httpx.HTTPStatusError) as info:
        httpx.post(f"{sink.url}/x").raise_for_status()
    return info.value


def raised_by_requests(sink: Sink, reply: Reply) -> BaseException:
    sink.script("/x", reply)
    with pytest.raises(requests.HTTPError) as info:
        requests.post(f"{sink.url}/x", timeout=5).raise_for_status()
    return info.value


@pytest.mark.parametrize("client", [raised_by_httpx, raised_by_requests])
@pytest.mark.parametrize(("status", "permanent"), [(400, True), (401, True), (404, True), (422, True),
                                                   (408, False), (429, False), (500, False), (503, False)])
def test_http_errors_from_either_client_are_classified(sink: Sink, client, status: int, permanent: bool) -> None:
    outcome = from_exception(client(sink, Reply(status)))
    assert not outcome.ok and outcome.permanent is permanent
    assert outcome.error.startswith(f"HTTP {status}")


@pytest.mark.parametrize("client", [raised_by_httpx, raised_by_requests])
def test_retry_after_in_seconds_is_read_from_the_response(sink: Sink, client) -> None:
    outcome = from_exception(client(sink, Reply(429, headers={"Retry-After": "7"})))
    assert outcome.retry_after == 7 and not outcome.permanent


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now) == 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0  # in the past: retry now
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_connection_errors_and_timeouts_are_retried() -> None:
    with pytest.raises(httpx.ConnectError) as refused:
        httpx.get("http://127.0.0.1:9/")
    outcome = from_exception(refused.value)
    assert not outcome.permanent and "ConnectError" in outcome.error
    assert not from_exception(TimeoutError("read timed out")).permanent


def test_an_executor_can_decide_itself() -> None:
    assert from_exception(DeliveryFailed("duplicate value on Casehub_Id__c", permanent=True)).permanent
    assert from_exception(DeliveryFailed("busy", retry_after=3)).retry_after == 3
    assert from_result(DeliveryResult(ok=False, error="no", permanent=True), "crm").permanent
    missing = from_result(None, "crm")
    assert not missing.ok and not missing.permanent and "no installed and enabled plugin" in missing.error


def test_very_long_vendor_messages_are_cut() -> None:
    outcome = from_exception(DeliveryFailed("x" * 100_000))
    assert len(outcome.error) == 2000 and outcome.error.endswith("…")


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (12, 600), (500, 600)]:
        waits = [backoff(attempt, 1.0, 600.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert max(waits) - min(waits) > ceiling / 10, "jittered, not all the same"


def test_the_most_specific_destination_entry_wins() -> None:
    section = OutboxSection.model_validate(
        {
            "max_attempts": 5,
            "destinations": {
                "slack": {"rate": 1, "per_key": True, "max_attempts": 8},
                "slack:#vip": {"rate": 5, "burst": 3},
                "salesforce": {"max_concurrency": 2, "batch_size": 100},
            },
        }
    )
    vip = section.policy("slack", "#vip")
    assert (vip.rate, vip.burst, vip.max_attempts, vip.bucket, vip.slot) == (5, 3, 8, "slack:#vip", "slack:#vip")
    general = section.policy("slack", "#general")
    assert (general.rate, general.bucket, general.slot) == (1, "slack:#general", "slack")
    sf = section.policy("salesforce", "")
    assert (sf.rate, sf.bucket, sf.max_concurrency, sf.batch_size, sf.max_attempts) == (None, None, 2, 100, 5)


def test_bad_destination_limits_name_the_key() -> None:
    with pytest.raises(ValueError, match=r"destinations\.slack\.rate"):
        OutboxSection.model_validate({"destinations": {"slack": {"rate": 0}}})
    with pytest.raises(ValueError, match="expected 'plugin' or 'plugin:key'"):
        OutboxSection.model_validate({"destinations": {":x": {}}})
