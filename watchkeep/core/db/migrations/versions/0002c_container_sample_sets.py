"""Container samples as one row per agent and time (see resources/tables.py): the stored
samples move over, one row per agent and time holding all its containers' values.

Revision ID: 0002c
Revises: 0002b
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002c"
down_revision: str | None = "0002b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = (
    "cpu_percent",
    "memory_used_mb",
    "memory_limit_mb",
    "memory_percent",
    "network_rx_bytes_per_sec",
    "network_tx_bytes_per_sec",
    "block_read_mb",
    "block_write_mb",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "container_sample_sets",
        sa.Column("agent_id", sa.String(40), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("samples", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "ts", name=op.f("pk_container_sample_sets")),
    )
    values = ", ".join(f"c.{name}" for name in METRICS)
    packed = (
        f"json_group_object(s.name, json_array({values}))"
        if _sqlite()
        else f"json_object_agg(s.name, json_build_array({values}))::text"
    )
    op.execute(
        "INSERT INTO container_sample_sets (agent_id, ts, samples) "
        f"SELECT s.agent_id, c.ts, {packed} FROM container_samples c "
        "JOIN metric_series s ON s.id = c.series_id GROUP BY s.agent_id, c.ts"
    )
    op.drop_table("container_samples")


def downgrade() -> None:
    op.create_table(
        "container_samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=True) for name in METRICS),
        sa.PrimaryKeyConstraint("series_id", "ts", name=op.f("pk_container_samples")),
    )
    if _sqlite():
        values = ", ".join(f"e.value ->> {index}" for index in range(len(METRICS)))
        source = "json_each(c.samples) e"
    else:
        values = ", ".join(f"CAST(e.value ->> {index} AS DOUBLE PRECISION)" for index in range(len(METRICS)))
        source = "json_each(CAST(c.samples AS JSON)) e"
    op.execute(
        f"INSERT INTO container_samples (series_id, ts, {', '.join(METRICS)}) "
        f"SELECT s.id, c.ts, {values} FROM container_sample_sets c, {source}, metric_series s "
        "WHERE s.agent_id = c.agent_id AND s.kind = 'container' AND s.name = e.key"
    )
    op.drop_table("container_sample_sets")
