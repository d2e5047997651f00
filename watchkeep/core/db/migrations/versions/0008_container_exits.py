"""Containers: how a container exited (exit code, OOM kill, completed or failed, its last log
lines), the restarts each transition stands for, and restart loops with their deadlines.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("container_transitions") as batch:
        batch.add_column(sa.Column("oom_killed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("log_tail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("restarts", sa.Integer(), nullable=True))
    op.create_table(
        "container_restart_loops",
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("window_ms", sa.BigInteger(), nullable=False),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("public_id", name=op.f("pk_container_restart_loops")),
    )
    op.create_index("ix_container_restart_loops_due_at", "container_restart_loops", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_container_restart_loops_due_at", table_name="container_restart_loops")
    op.drop_table("container_restart_loops")
    with op.batch_alter_table("container_transitions") as batch:
        batch.drop_column("restarts")
        batch.drop_column("log_tail")
        batch.drop_column("outcome")
        batch.drop_column("oom_killed")
