"""What an attempt's result or exception means: done, retry (when), or dead.

The vendor SDKs raise different exceptions (httpx, requests, simple-salesforce,
jira, slack-sdk), but all of them carry the HTTP response, so one duck-typed
look at its status and ``Retry-After`` classifies them all: 408, 429 and 5xx,
timeouts and connection errors are worth retrying; any other 4xx will fail the
same way again and goes to the dead letters at once with the vendor's message.

Retries are scheduled in the database, not slept in a thread, so the backoff is
computed here rather than by an in-process retry library.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from casehub.outbox import DeliveryResult

__all__ = ["DeliveryFailed", "Outcome", "backoff", "from_exception", "from_result", "next_attempt", "parse_retry_after"]

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_ERROR = 2000


class DeliveryFailed(Exception):
    """Raise from an executor to say exactly how a delivery failed.

    :param permanent: ``True`` when retrying cannot help (the vendor refused the data).
    :param retry_after: seconds the vendor asked to wait, if it said.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    deferred: bool = False
    link_system: str | None = None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(attempt: int, base: float, cap: float, *, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (1 = first retry): exponential, capped, half of it jittered.

    Half fixed, half random ("equal jitter") keeps a floor under the wait, so a
    vendor that is down is not hammered, while still spreading the retries of
    many deliveries that failed together.
    """
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def from_result(result: DeliveryResult | None, destination: str) -> Outcome:
    if result is None:
        return Outcome(False, f"no installed and enabled plugin delivers to {destination!r}")
    if result.ok:
        return Outcome(True, remote_id=result.remote_id, remote_url=result.remote_url, link_system=result.link_system)
    error = _short(result.error or "the executor reported a failure")
    return Outcome(False, error, result.permanent, result.retry_after, deferred=result.deferred)


def _response_of(exc: BaseException) -> Any:
    response = getattr(exc, "response", None)
    if response is None and isinstance(getattr(exc, "status_code", None), int):
        return exc  # jira.JIRAError carries status_code itself
    return response


def _status_of(obj: Any) -> int | None:
    for name in ("status_code", "status"):
        value = getattr(obj, name, None)
        if isinstance(value, int):
            return value
    return None


def from_exception(exc: BaseException) -> Outcome:
    if isinstance(exc, DeliveryFailed):
        return Outcome(False, _short(str(exc)), exc.permanent, exc.retry_after)
    message = _short(f"{type(exc).__name__}: {exc}")
    response = _response_of(exc)
    status = _status_of(response) if response is not None else _status_of(exc)
    if status is None:
        # Timeouts, refused connections, resets, and bugs: none proves a retry is useless.
        return Outcome(False, message)
    headers = getattr(response, "headers", None) or {}
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    permanent = 400 <= status < 500 and status not in RETRYABLE_STATUS
    return Outcome(False, f"HTTP {status}: {message}", permanent, retry_after)


def _header(headers: Any, name: str) -> str | None:
    """A header by name whatever its case (requests and httpx fold it; slack-sdk keeps the server's spelling)."""
    if not hasattr(headers, "items"):
        return None
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if str(k).lower() == wanted), None)


def next_attempt(now: datetime, outcome: Outcome, attempt: int, base: float, cap: float) -> datetime:
    """When to try again: the vendor's ``Retry-After`` if it gave one, else the backoff."""
    wait = outcome.retry_after if outcome.retry_after is not None else backoff(attempt, base, cap)
    return now + timedelta(seconds=wait)
