"""Certificate monitors and their check history.

Revision ID: 0012
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_row_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "certificate_monitors",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("origin", sa.String(600)),
        sa.Column("agent_id", sa.String(40)),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("sni", sa.String(253)),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("thresholds", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("next_check_at", sa.BigInteger),
        sa.Column("last_checked_at", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.Column("not_before", sa.BigInteger),
        sa.Column("not_after", sa.BigInteger),
        sa.Column("chain_reason", sa.String(32)),
        sa.Column("hostname_match", sa.Boolean),
        sa.Column("subject", sa.Text),
        sa.Column("issuer", sa.Text),
        sa.Column("raised", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_monitors"),
    )
    op.create_index("ix_certificate_monitors_origin", "certificate_monitors", ["source", "origin"], unique=True)
    op.create_index("ix_certificate_monitors_next_check_at", "certificate_monitors", ["next_check_at"])
    op.create_table(
        "certificate_checks",
        sa.Column("id", _row_id, autoincrement=True, nullable=False),
        sa.Column("monitor_id", sa.String(40), nullable=False),
        sa.Column("checked_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("duration_ms", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("issuer", sa.Text),
        sa.Column("sans", sa.Text, nullable=False),
        sa.Column("serial", sa.String(128)),
        sa.Column("not_before", sa.BigInteger),
        sa.Column("not_after", sa.BigInteger),
        sa.Column("tls_version", sa.String(16)),
        sa.Column("key_type", sa.String(32)),
        sa.Column("key_bits", sa.Integer),
        sa.Column("chain", sa.Text, nullable=False),
        sa.Column("chain_valid", sa.Boolean),
        sa.Column("chain_reason", sa.String(32)),
        sa.Column("chain_detail", sa.Text),
        sa.Column("hostname_match", sa.Boolean),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["certificate_monitors.id"],
            name="fk_certificate_checks_monitor_id_certificate_monitors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_checks"),
    )
    op.create_index("ix_certificate_checks_monitor_id_id", "certificate_checks", ["monitor_id", "id"])


def downgrade() -> None:
    op.drop_table("certificate_checks")
    op.drop_table("certificate_monitors")
