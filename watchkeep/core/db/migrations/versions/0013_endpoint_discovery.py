"""Endpoints discovered from container labels, checked by agents and from several locations.

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("container_id", sa.String(40)))
        batch.add_column(sa.Column("discovery_key", sa.String(8)))
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("locations", sa.Text, nullable=False, server_default='["hub"]'))
        batch.add_column(sa.Column("location_rule", sa.String(10), nullable=False, server_default="any"))
    op.create_index("ix_endpoints_container_id", "endpoints", ["container_id"])
    with op.batch_alter_table("endpoint_results") as batch:
        batch.add_column(sa.Column("location", sa.String(40)))
    op.create_table(
        "endpoint_locations",
        sa.Column("endpoint_id", sa.String(40), nullable=False),
        sa.Column("location", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("consecutive_successes", sa.Integer, nullable=False),
        sa.Column("last_check_at", sa.BigInteger),
        sa.Column("last_result", sa.String(10)),
        sa.Column("last_response_ms", sa.Float),
        sa.Column("last_http_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["endpoints.id"], name="fk_endpoint_locations_endpoint_id_endpoints", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "location", name="pk_endpoint_locations"),
    )


def downgrade() -> None:
    op.drop_table("endpoint_locations")
    with op.batch_alter_table("endpoint_results") as batch:
        batch.drop_column("location")
    op.drop_index("ix_endpoints_container_id", table_name="endpoints")
    with op.batch_alter_table("endpoints") as batch:
        for name in ("location_rule", "locations", "suspended", "active", "discovery_key", "container_id", "source"):
            batch.drop_column(name)
