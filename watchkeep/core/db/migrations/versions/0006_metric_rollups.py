"""Metric rollup tiers: 1-minute and 1-hour buckets of host and container series (count,
average and maximum of each metric), and each tier's watermark.

Revision ID: 0006
Revises: 0002s
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0002s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOST_METRICS = (
    "cpu_percent",
    "cpu_iowait_percent",
    "memory_used_mb",
    "memory_total_mb",
    "memory_percent",
    "swap_used_mb",
    "swap_total_mb",
    "swap_percent",
    "disk_used_gb",
    "disk_total_gb",
    "disk_percent",
    "load1",
    "load5",
    "load15",
    "network_rx_bytes_per_sec",
    "network_tx_bytes_per_sec",
    "uptime_seconds",
    "open_fds",
    "max_fds",
    "tcp_established",
    "tcp_listen",
    "tcp_time_wait",
    "tcp_close_wait",
    "tcp_total",
    "processes_total",
    "processes_running",
    "processes_sleeping",
    "processes_stopped",
    "processes_zombie",
)

CONTAINER_METRICS = (
    "cpu_percent",
    "memory_used_mb",
    "memory_limit_mb",
    "memory_percent",
    "network_rx_bytes_per_sec",
    "network_tx_bytes_per_sec",
    "block_read_mb",
    "block_write_mb",
)

TABLES = {
    "host_rollups_minute": HOST_METRICS,
    "host_rollups_hour": HOST_METRICS,
    "container_rollups_minute": CONTAINER_METRICS,
    "container_rollups_hour": CONTAINER_METRICS,
}


def upgrade() -> None:
    for name, metrics in TABLES.items():
        columns: list[sa.Column[object]] = []
        for metric in metrics:
            columns += [
                sa.Column(f"{metric}_n", sa.Integer(), nullable=True),
                sa.Column(f"{metric}_avg", sa.Float(), nullable=True),
                sa.Column(f"{metric}_max", sa.Float(), nullable=True),
            ]
        op.create_table(
            name,
            sa.Column("series_id", sa.Integer(), nullable=False),
            sa.Column("ts", sa.BigInteger(), nullable=False),
            *columns,
            sa.PrimaryKeyConstraint("series_id", "ts", name=op.f(f"pk_{name}")),
        )
    op.create_table(
        "metric_rollup_marks",
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("upto", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tier", name=op.f("pk_metric_rollup_marks")),
    )


def downgrade() -> None:
    op.drop_table("metric_rollup_marks")
    for name in reversed(TABLES):
        op.drop_table(name)
