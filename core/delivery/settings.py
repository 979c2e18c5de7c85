"""``[outbox]``: how deliveries are made, with per-destination limits.

Limits are looked up from the most specific entry to the least:
``[outbox.destinations."slack:#support-urgent"]`` (one destination and key),
then ``[outbox.destinations.slack]``, then the ``[outbox]`` defaults. Rate
limits are shared by every worker process (the buckets live in the database);
``max_concurrency`` is per worker process.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DestinationSettings", "OutboxSection", "Policy"]

_strict = ConfigDict(extra="forbid")


class DestinationSettings(BaseModel):
    """Limits for one destination (``slack``) or one destination and key (``slack:#support-urgent``)."""

    model_config = _strict

    max_concurrency: int | None = Field(None, ge=1, le=256, description="Deliveries in flight at once, per worker process.")
    rate: float | None = Field(
        None, gt=0, description="Deliveries per second, shared by all workers (token bucket). Unset: no limit."
    )
    burst: int | None = Field(None, ge=1, description="Bucket size: deliveries allowed at once after a quiet spell.")
    per_key: bool | None = Field(
        None, description="One bucket per key (each Slack channel its own 1/s) rather than one for the destination."
    )
    max_attempts: int | None = Field(None, ge=1, le=1000, description="Attempts before a delivery becomes a dead letter.")
    backoff_base: float | None = Field(None, gt=0, description="Seconds before the first retry; doubles each attempt.")
    backoff_cap: float | None = Field(None, gt=0, description="Longest wait between two attempts, in seconds.")
    batch_size: int | None = Field(
        None, ge=1, le=1000, description="Largest batch for executors that take batches (default: the plugin's own)."
    )


class OutboxSection(BaseModel):
    """``[outbox]``: delivery workers, and the defaults every destination starts from."""

    model_config = _strict

    workers_in_serve: bool = Field(
        True, description="`casehub serve` also delivers. Set false when separate `casehub worker` processes run."
    )
    concurrency: int = Field(8, ge=1, le=256, description="Threads per worker process making vendor calls.")
    claim_batch: int = Field(50, ge=1, le=1000, description="Deliveries claimed per database round trip.")
    lease_seconds: float = Field(
        60, ge=1, le=3600, description="A claimed delivery returns to the queue this long after its worker vanished."
    )
    poll_interval: float = Field(
        1.0, gt=0, le=60, description="Seconds between looks for due retries; new deliveries wake workers at once."
    )
    shutdown_timeout: float = Field(
        10, ge=0, le=600, description="On SIGTERM, how long in-flight deliveries may finish before they are released."
    )
    max_attempts: int = Field(20, ge=1, le=1000, description="Attempts before a delivery becomes a dead letter.")
    backoff_base: float = Field(1.0, gt=0, description="Seconds before the first retry; doubles each attempt.")
    backoff_cap: float = Field(600.0, gt=0, description="Longest wait between two attempts, in seconds.")
    destinations: dict[str, DestinationSettings] = Field(
        default_factory=dict,
        description='Per-destination limits: keys are a plugin name ("slack") or plugin and key ("slack:#support-urgent").',
    )

    @model_validator(mode="after")
    def _keys(self) -> OutboxSection:
        for name in self.destinations:
            if not name or name.startswith(":"):
                raise ValueError(f"outbox.destinations key {name!r}: expected 'plugin' or 'plugin:key'")
        return self

    def policy(self, destination: str, key: str, plugin_defaults: DestinationSettings | None = None) -> Policy:
        """The limits that apply to one delivery, most specific entry first; the plugin's own defaults last."""
        layers = [self.destinations.get(f"{destination}:{key}"), self.destinations.get(destination), plugin_defaults]
        exact = layers[0] is not None

        def pick(name: str, default: object) -> object:
            for layer in layers:
                if layer is not None and (value := getattr(layer, name)) is not None:
                    return value
            return default

        rate = pick("rate", None)
        per_key = pick("per_key", False)
        bucket = None
        if rate is not None:
            bucket = f"{destination}:{key}" if exact or per_key else destination
        return Policy(
            slot=f"{destination}:{key}" if exact else destination,
            max_concurrency=pick("max_concurrency", self.concurrency),  # type: ignore[arg-type]
            rate=rate,  # type: ignore[arg-type]
            burst=pick("burst", 1),  # type: ignore[arg-type]
            bucket=bucket,
            max_attempts=pick("max_attempts", self.max_attempts),  # type: ignore[arg-type]
            backoff_base=pick("backoff_base", self.backoff_base),  # type: ignore[arg-type]
            backoff_cap=pick("backoff_cap", self.backoff_cap),  # type: ignore[arg-type]
            batch_size=pick("batch_size", None),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Policy:
    """The resolved limits for one destination and key; ``slot`` is what ``max_concurrency`` counts by."""

    slot: str
    max_concurrency: int
    rate: float | None
    burst: int
    bucket: str | None
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    batch_size: int | None
