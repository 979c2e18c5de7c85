"""delivery engine: completion columns, open-delivery index, shared rate buckets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Workers claim only open deliveries; a partial index on them keeps claiming as
fast with a million delivered rows as with none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casehub.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OPEN = sa.text("status IN ('pending', 'failed', 'in_flight')")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("remote_id", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_outbox_open_id", ["id"], unique=False, postgresql_where=_OPEN, sqlite_where=_OPEN)
    op.create_table(
        "outbox_buckets",
        sa.Column("bucket", sa.String(length=320), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_outbox_buckets")),
    )


def downgrade() -> None:
    op.drop_table("outbox_buckets")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_open_id")
        batch_op.drop_column("remote_id")
        batch_op.drop_column("completed_at")
