"""Resource alert thresholds of hosts and containers, and where each one's evaluation stands.

Revision ID: 0010
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resource_thresholds",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("breach_samples", sa.Integer(), nullable=False),
        sa.Column("recover_samples", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject_id", "metric", name=op.f("pk_resource_thresholds")),
    )
    op.create_index("ix_resource_thresholds_agent_id", "resource_thresholds", ["agent_id"])
    op.create_table(
        "resource_threshold_states",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("firing", sa.Boolean(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "subject_id", "metric", name=op.f("pk_resource_threshold_states")),
    )


def downgrade() -> None:
    op.drop_table("resource_threshold_states")
    op.drop_index("ix_resource_thresholds_agent_id", table_name="resource_thresholds")
    op.drop_table("resource_thresholds")
