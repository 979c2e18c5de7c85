"""The schema: cases, the append-only event log, the transactional outbox, and what coordinates processes.

Columns that people filter on (status, priority, queue, owner, channel, contact
email) are real indexed columns; the rest of the case travels as JSON so plugins
can add fields without a migration per vendor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "OPEN_DELIVERY",
    "UTCDateTime",
    "assignment_cursors",
    "attachments",
    "automation_episodes",
    "cases",
    "events",
    "metadata",
    "outbox",
    "outbox_buckets",
    "pollers",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

_REOPENED = text("reopens > 0")
_STATUS_CHANGE = text("type = 'case.status_changed'")

cases = Table(
    "cases",
    metadata,
    # seq gives the human number (C-000123) and is never reused (sqlite_autoincrement).
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("id", String(26), nullable=False, unique=True),
    Column("subject", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("priority", String(16), nullable=False, index=True),
    Column("type", String(16), nullable=False, index=True),
    Column("channel", String(16), nullable=False, index=True),
    Column("contact_email", String(320), index=True),
    Column("contact", Json, nullable=False),
    Column("account_name", String(255), index=True),
    Column("account", Json),
    Column("tags", Json, nullable=False),
    Column("queue", String(255), index=True),
    Column("owner", String(255), index=True),
    Column("is_escalated", Boolean, nullable=False),
    Column("custom_fields", Json, nullable=False),
    Column("external_links", Json, nullable=False),
    Column("sla", Json, nullable=False),
    # The next SLA warning or breach due on this case: the scheduler's indexed to-do list.
    Column("next_sla_at", UTCDateTime, index=True),
    Column("csat", Json),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("first_response_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("closed_at", UTCDateTime, index=True),
    Column("version", Integer, nullable=False),
    # What reports count per case, kept with the events that record it (the log's projection, like
    # first_response_at): resolved -> open transitions, public replies by agents, the first escalation.
    Column("reopens", Integer, nullable=False, server_default="0"),
    Column("agent_replies", Integer, nullable=False, server_default="0"),
    Column("escalated_at", UTCDateTime, index=True),
    # The business seconds the met first-response and resolution SLA clocks counted (from the sla JSON, when
    # it is written): FRT and TTR "in business hours" without reading JSON per case.
    Column("first_response_business_s", Float),
    Column("resolution_business_s", Float),
    # Least-open assignment counts each agent's open cases: answered from this index alone.
    Index("ix_cases_owner_status", "owner", "status"),
    # Reports read the cases answered or resolved in a period from these alone (FRT and TTR in calendar and
    # business time, first-contact resolution, reopen rate, the backlog at a past moment): no table reads.
    Index("ix_cases_first_response_at", "first_response_at", "created_at", "first_response_business_s"),
    Index("ix_cases_resolved_at", "resolved_at", "created_at", "reopens", "agent_replies", "resolution_business_s"),
    # Reports replay the status changes of reopened cases (a few percent) to know whether they were open at a
    # past moment; this finds them without reading the table.
    Index("ix_cases_reopened", "resolved_at", "closed_at", "status", "created_at", "id",
          postgresql_where=_REOPENED, sqlite_where=_REOPENED),  # fmt: skip
    sqlite_autoincrement=True,
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(26), ForeignKey("cases.id"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("data", Json, nullable=False),
    Index("ix_events_case_id_id", "case_id", "id"),
    Index("ix_events_type_at", "type", "at"),
    # A case's status changes since a moment, without reading its other events (reports' backlog at a past moment).
    Index("ix_events_status_changes", "case_id", "at", postgresql_where=_STATUS_CHANGE, sqlite_where=_STATUS_CHANGE),
    sqlite_autoincrement=True,
)

# Statuses a worker may still act on; "done", "dead" and "dropped" are final until someone retries.
OPEN_DELIVERY = ("pending", "failed", "in_flight")
_OPEN = text("status IN ('pending', 'failed', 'in_flight')")

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(26), ForeignKey("cases.id"), nullable=False),
    Column("event_id", BigId, ForeignKey("events.id")),
    Column("destination", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("payload", Json, nullable=False),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("leased_by", String(255)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Column("remote_id", String(255)),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_outbox_case_id_destination_id", "case_id", "destination", "id"),
    # Delivered rows pile up; workers only ever look at the open ones, through this index.
    Index("ix_outbox_open_id", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
    sqlite_autoincrement=True,
)

# A token bucket per rate-limited destination (and key), shared by every worker process.
outbox_buckets = Table(
    "outbox_buckets",
    metadata,
    Column("bucket", String(320), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("refilled_at", UTCDateTime, nullable=False),
    # A vendor's Retry-After pauses the whole bucket, not just the request that got it.
    Column("blocked_until", UTCDateTime),
)

# Where each round-robin queue's rotation stands, shared by every process.
assignment_cursors = Table(
    "assignment_cursors",
    metadata,
    Column("queue", String(255), primary_key=True),
    Column("last_agent", String(255), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# An automation that fired for a case and whose conditions still hold: it fires again only after
# they stopped holding (the episode ended) and hold anew.
automation_episodes = Table(
    "automation_episodes",
    metadata,
    Column("case_id", String(26), ForeignKey("cases.id"), primary_key=True),
    Column("automation", String(120), primary_key=True),
    Column("fired_at", UTCDateTime, nullable=False),
)

# Files that came with a case (a form's uploads), stored in the case's own transaction: a case is
# never taken in without its files, nor a file without its case.
attachments = Table(
    "attachments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(26), ForeignKey("cases.id"), nullable=False, index=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(127), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# One row per poller (see casehub.pollers): its watermark, how its runs went, and the lease that lets only
# one process at a time run it. Written by claim and finish only; the row appears on the first claim.
pollers = Table(
    "pollers",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("watermark", Text),
    Column("runs", Integer, nullable=False),
    Column("last_run_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("lease_until", UTCDateTime),
    Column("owner", String(255)),
)

# What each vendor last said about its API allowance (Salesforce's Sforce-Limit-Info), for /metrics and
# `casehub outbox stats`: the worker process that learns it is not the one that is asked.
vendor_usage = Table(
    "vendor_usage",
    metadata,
    Column("vendor", String(64), primary_key=True),
    Column("used", BigInteger, nullable=False),
    Column("limit", BigInteger, nullable=False),
    Column("reported_at", UTCDateTime, nullable=False),
)
