"""case metrics: reopens, agent replies and first escalation on the case row, and the indexes reports read by

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

The three columns are the event log's projection, like ``first_response_at``:
the upgrade fills them from the events already recorded, so reports on an
existing database count the past as they will count the future.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casehub.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_events = sa.table(
    "events",
    sa.column("case_id", sa.String),
    sa.column("type", sa.String),
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String),
    sa.column("data", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")),
)
_REOPENED = sa.text("reopens > 0")
_STATUS_CHANGE = sa.text("type = 'case.status_changed'")
_cases = sa.table(
    "cases",
    sa.column("id", sa.String),
    sa.column("contact_email", sa.String),
    sa.column("reopens", sa.Integer),
    sa.column("agent_replies", sa.Integer),
    sa.column("escalated_at", UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopens", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("agent_replies", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("escalated_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_response_business_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("resolution_business_s", sa.Float(), nullable=True))
        batch_op.create_index("ix_cases_first_response_at", ["first_response_at", "created_at", "first_response_business_s"],
                              unique=False)  # fmt: skip
        batch_op.create_index("ix_cases_resolved_at",
                              ["resolved_at", "created_at", "reopens", "agent_replies", "resolution_business_s"], unique=False)  # fmt: skip
        batch_op.create_index(batch_op.f("ix_cases_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_escalated_at"), ["escalated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_type"), ["type"], unique=False)
        batch_op.create_index("ix_cases_reopened", ["resolved_at", "closed_at", "status", "created_at", "id"],
                              unique=False, postgresql_where=_REOPENED, sqlite_where=_REOPENED)  # fmt: skip
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_status_changes", ["case_id", "at"], unique=False,
                              postgresql_where=_STATUS_CHANGE, sqlite_where=_STATUS_CHANGE)  # fmt: skip
    e, c = _events, _cases
    mine = e.c.case_id == c.c.id
    data = e.c.data
    reopens = (
        sa.select(sa.func.count())
        .where(mine, e.c.type == "case.status_changed", data["from"].as_string() == "resolved")
        .scalar_subquery()
    )
    replies = (
        sa.select(sa.func.count())
        .where(
            mine,
            e.c.type == "comment.added",
            e.c.actor != "rules",
            data["public"].as_boolean().is_(True),
            sa.func.lower(data["author"].as_string()) != sa.func.coalesce(sa.func.lower(c.c.contact_email), ""),
        )
        .scalar_subquery()
    )
    escalated = (
        sa.select(sa.func.min(e.c.at))
        .where(mine, e.c.type == "case.updated", data["changes"]["is_escalated"][1].as_boolean().is_(True))
        .scalar_subquery()
    )
    op.execute(sa.update(c).values(reopens=reopens, agent_replies=replies, escalated_at=escalated))
    _fill_business_seconds()


def _fill_business_seconds() -> None:
    """The clocks' business time, from each case's sla JSON; in pages, since JSON functions differ by database."""
    from casehub.store.cases import business_seconds

    conn = op.get_bind()
    table = sa.table("cases", sa.column("seq", sa.BigInteger), sa.column("sla", sa.JSON()),
                     sa.column("first_response_business_s", sa.Float), sa.column("resolution_business_s", sa.Float))  # fmt: skip
    after = 0
    while True:
        rows = conn.execute(sa.select(table.c.seq, table.c.sla).where(table.c.seq > after).order_by(table.c.seq).limit(5000)).all()
        if not rows:
            return
        changes = [{"_seq": seq, **business_seconds(sla)} for seq, sla in rows if sla]
        changes = [c for c in changes if c["first_response_business_s"] is not None or c["resolution_business_s"] is not None]
        if changes:
            conn.execute(sa.update(table).where(table.c.seq == sa.bindparam("_seq")), changes)
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_changes")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_reopened")
        batch_op.drop_index(batch_op.f("ix_cases_type"))
        batch_op.drop_index(batch_op.f("ix_cases_escalated_at"))
        batch_op.drop_index(batch_op.f("ix_cases_closed_at"))
        batch_op.drop_index("ix_cases_resolved_at")
        batch_op.drop_index("ix_cases_first_response_at")
        batch_op.drop_column("resolution_business_s")
        batch_op.drop_column("first_response_business_s")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("agent_replies")
        batch_op.drop_column("reopens")
