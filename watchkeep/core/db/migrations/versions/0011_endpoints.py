"""Endpoint monitors, their check results and hourly rollups.

Revision ID: 0011
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _owned_by_endpoint(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["endpoint_id"], ["endpoints.id"], name=f"fk_{table}_endpoint_id_endpoints", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("timeout_seconds", sa.Float, nullable=False),
        sa.Column("failure_threshold", sa.Integer, nullable=False),
        sa.Column("recovery_threshold", sa.Integer, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("consecutive_successes", sa.Integer, nullable=False),
        sa.Column("status_since", sa.BigInteger),
        sa.Column("last_check_at", sa.BigInteger),
        sa.Column("last_result", sa.String(10)),
        sa.Column("last_response_ms", sa.Float),
        sa.Column("last_http_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("recent", sa.Text, nullable=False),
        sa.Column("next_check_at", sa.BigInteger),
        sa.Column("lease_until", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_endpoints"),
    )
    op.create_index("ix_endpoints_next_check_at", "endpoints", ["next_check_at"])
    op.create_table(
        "endpoint_results",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("endpoint_id", sa.String(40), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("response_ms", sa.Float),
        sa.Column("http_status", sa.Integer),
        sa.Column("error", sa.Text),
        _owned_by_endpoint("endpoint_results"),
        sa.PrimaryKeyConstraint("id", name="pk_endpoint_results"),
    )
    op.create_index("ix_endpoint_results_endpoint_id_at", "endpoint_results", ["endpoint_id", "at"])
    op.create_index("ix_endpoint_results_at", "endpoint_results", ["at"])
    op.create_table(
        "endpoint_rollups",
        sa.Column("endpoint_id", sa.String(40), nullable=False),
        sa.Column("hour", sa.BigInteger, nullable=False),
        sa.Column("checks", sa.Integer, nullable=False),
        sa.Column("up_checks", sa.Integer, nullable=False),
        sa.Column("timed_checks", sa.Integer, nullable=False),
        sa.Column("response_sum_ms", sa.Float, nullable=False),
        sa.Column("response_max_ms", sa.Float),
        sa.Column("response_min_ms", sa.Float),
        _owned_by_endpoint("endpoint_rollups"),
        sa.PrimaryKeyConstraint("endpoint_id", "hour", name="pk_endpoint_rollups"),
    )


def downgrade() -> None:
    op.drop_table("endpoint_rollups")
    op.drop_table("endpoint_results")
    op.drop_table("endpoints")
