"""rules: round-robin assignment cursors, automation episodes, and the next SLA timer per case

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casehub.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignment_cursors",
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("last_agent", sa.String(length=255), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("queue", name=op.f("pk_assignment_cursors")),
    )
    op.create_table(
        "automation_episodes",
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("automation", sa.String(length=120), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_automation_episodes_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "automation", name=op.f("pk_automation_episodes")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_sla_at", UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_next_sla_at"), ["next_sla_at"], unique=False)
        batch_op.create_index("ix_cases_owner_status", ["owner", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_owner_status")
        batch_op.drop_index(batch_op.f("ix_cases_next_sla_at"))
        batch_op.drop_column("next_sla_at")
    op.drop_table("automation_episodes")
    op.drop_table("assignment_cursors")
