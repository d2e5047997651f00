"""Heartbeat monitors, pings, executions and state changes.

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _owned_by_heartbeat(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("heartbeat_id", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["heartbeat_id"], ["heartbeats.id"], name=f"fk_{table}_heartbeat_id_heartbeats", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("period_seconds", sa.Integer),
        sa.Column("grace_seconds", sa.Integer, nullable=False),
        sa.Column("cron", sa.String(200)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("methods", sa.String(8), nullable=False),
        sa.Column("manual_resume", sa.Boolean, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("last_ping_at", sa.BigInteger),
        sa.Column("last_start_at", sa.BigInteger),
        sa.Column("last_duration_ms", sa.BigInteger),
        sa.Column("last_exit_code", sa.Integer),
        sa.Column("next_deadline_at", sa.BigInteger),
        sa.Column("down_at", sa.BigInteger),
        sa.Column("ping_count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_heartbeats"),
        sa.UniqueConstraint("uuid", name="uq_heartbeats_uuid"),
    )
    op.create_index("ix_heartbeats_down_at", "heartbeats", ["down_at"])
    op.create_table(
        "heartbeat_pings",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("ignored", sa.Boolean, nullable=False),
        sa.Column("exit_code", sa.Integer),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("source_ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("body_size", sa.Integer, nullable=False),
        sa.Column("rid", sa.String(36)),
        *_owned_by_heartbeat("heartbeat_pings"),
    )
    op.create_index("ix_heartbeat_pings_heartbeat_id_n", "heartbeat_pings", ["heartbeat_id", "n"])
    op.create_table(
        "heartbeat_executions",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("rid", sa.String(36)),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("duration_ms", sa.BigInteger),
        sa.Column("exit_code", sa.Integer),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        *_owned_by_heartbeat("heartbeat_executions"),
    )
    op.create_index("ix_heartbeat_executions_heartbeat_id_outcome", "heartbeat_executions", ["heartbeat_id", "outcome"])
    op.create_index("ix_heartbeat_executions_updated_at", "heartbeat_executions", ["updated_at"])
    op.create_table(
        "heartbeat_flips",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("from_status", sa.String(10), nullable=False),
        sa.Column("to_status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        *_owned_by_heartbeat("heartbeat_flips"),
    )
    op.create_index("ix_heartbeat_flips_heartbeat_id_at", "heartbeat_flips", ["heartbeat_id", "at"])


def downgrade() -> None:
    op.drop_table("heartbeat_flips")
    op.drop_table("heartbeat_executions")
    op.drop_table("heartbeat_pings")
    op.drop_table("heartbeats")
