"""Container logs from agents: the lines they sent, and the hub's requests for more.

Revision ID: 0009
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "container_log_lines",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("at_text", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_container_log_lines")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_container_log_lines_public_id_at", "container_log_lines", ["public_id", "at"])
    op.create_table(
        "container_log_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("container_id", sa.String(length=128), nullable=False),
        sa.Column("container_name", sa.String(length=255), nullable=False),
        sa.Column("tail", sa.Integer(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=True),
        sa.Column("stream", sa.String(length=8), nullable=True),
        sa.Column("follow_until", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_container_log_requests")),
    )
    op.create_index("ix_container_log_requests_agent_id", "container_log_requests", ["agent_id"])
    op.create_index("ix_container_log_requests_public_id", "container_log_requests", ["public_id"])


def downgrade() -> None:
    op.drop_index("ix_container_log_requests_public_id", table_name="container_log_requests")
    op.drop_index("ix_container_log_requests_agent_id", table_name="container_log_requests")
    op.drop_table("container_log_requests")
    op.drop_index("ix_container_log_lines_public_id_at", table_name="container_log_lines")
    op.drop_table("container_log_lines")
