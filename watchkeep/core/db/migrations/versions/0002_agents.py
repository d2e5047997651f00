"""Agents, their container inventory, metric samples, process snapshots and check results.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("agents",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_checks",
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("container_name", sa.String(length=255), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.String(length=64), nullable=True),
        sa.Column("days_until_expiry", sa.Float(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("agent_id", "kind", "container_name", "target", name=op.f("pk_agent_checks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "agent_containers",
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("container_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("image_id", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=200), nullable=True),
        sa.Column("health", sa.String(length=32), nullable=True),
        sa.Column("restart_count", sa.Integer(), nullable=True),
        sa.Column("labels", sa.Text(), nullable=True),
        sa.Column("ports", sa.Text(), nullable=True),
        sa.Column("mounts", sa.Text(), nullable=True),
        sa.Column("network_mode", sa.String(length=64), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "container_id", name=op.f("pk_agent_containers")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_agent_containers_agent_id_name", "agent_containers", ["agent_id", "name"], unique=False)
    op.create_table(
        "agent_signing_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_agent_signing_keys")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("identity", sa.String(length=460), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("os", sa.String(length=200), nullable=True),
        sa.Column("kernel", sa.String(length=200), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=True),
        sa.Column("platform_id", sa.String(length=100), nullable=True),
        sa.Column("push_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=True),
        sa.Column("last_heartbeat_at", sa.BigInteger(), nullable=True),
        sa.Column("last_payload_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("agent_key_hash", sa.String(length=64), nullable=True),
        sa.Column("token_generation", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=True),
        sa.Column("dropped_payloads", sa.BigInteger(), nullable=False),
        sa.Column("collector_errors", sa.Text(), nullable=False),
        sa.Column("uptime_seconds", sa.Float(), nullable=True),
        sa.Column("server_healthy", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("agent_key_hash", name=op.f("uq_agents_agent_key_hash")),
        sa.UniqueConstraint("identity", name=op.f("uq_agents_identity")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agents_token_hash")),
    )
    op.create_table(
        "container_samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("memory_used_mb", sa.Float(), nullable=True),
        sa.Column("memory_limit_mb", sa.Float(), nullable=True),
        sa.Column("memory_percent", sa.Float(), nullable=True),
        sa.Column("network_rx_bytes_per_sec", sa.Float(), nullable=True),
        sa.Column("network_tx_bytes_per_sec", sa.Float(), nullable=True),
        sa.Column("block_read_mb", sa.Float(), nullable=True),
        sa.Column("block_write_mb", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("series_id", "ts", name=op.f("pk_container_samples")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "host_samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("cpu_iowait_percent", sa.Float(), nullable=True),
        sa.Column("memory_used_mb", sa.Float(), nullable=True),
        sa.Column("memory_total_mb", sa.Float(), nullable=True),
        sa.Column("memory_percent", sa.Float(), nullable=True),
        sa.Column("swap_used_mb", sa.Float(), nullable=True),
        sa.Column("swap_total_mb", sa.Float(), nullable=True),
        sa.Column("swap_percent", sa.Float(), nullable=True),
        sa.Column("disk_used_gb", sa.Float(), nullable=True),
        sa.Column("disk_total_gb", sa.Float(), nullable=True),
        sa.Column("disk_percent", sa.Float(), nullable=True),
        sa.Column("load1", sa.Float(), nullable=True),
        sa.Column("load5", sa.Float(), nullable=True),
        sa.Column("load15", sa.Float(), nullable=True),
        sa.Column("network_rx_bytes_per_sec", sa.Float(), nullable=True),
        sa.Column("network_tx_bytes_per_sec", sa.Float(), nullable=True),
        sa.Column("uptime_seconds", sa.Float(), nullable=True),
        sa.Column("open_fds", sa.Float(), nullable=True),
        sa.Column("max_fds", sa.Float(), nullable=True),
        sa.Column("tcp_established", sa.Float(), nullable=True),
        sa.Column("tcp_listen", sa.Float(), nullable=True),
        sa.Column("tcp_time_wait", sa.Float(), nullable=True),
        sa.Column("tcp_close_wait", sa.Float(), nullable=True),
        sa.Column("tcp_total", sa.Float(), nullable=True),
        sa.Column("processes_total", sa.Float(), nullable=True),
        sa.Column("processes_running", sa.Float(), nullable=True),
        sa.Column("processes_sleeping", sa.Float(), nullable=True),
        sa.Column("processes_stopped", sa.Float(), nullable=True),
        sa.Column("processes_zombie", sa.Float(), nullable=True),
        sa.Column("disks", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("series_id", "ts", name=op.f("pk_host_samples")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "metric_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_series")),
        sa.UniqueConstraint("agent_id", "kind", "name", name=op.f("uq_metric_series_agent_id_kind_name")),
    )
    op.create_table(
        "metric_latest",
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_metric_latest")),
    )
    op.create_table(
        "process_snapshots",
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("by_cpu", sa.Text(), nullable=False),
        sa.Column("by_memory", sa.Text(), nullable=False),
        sa.Column("stats", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_process_snapshots")),
    )


def downgrade() -> None:
    op.drop_index("ix_agent_containers_agent_id_name", table_name="agent_containers")
    for table in (
        "process_snapshots",
        "metric_series",
        "metric_latest",
        "host_samples",
        "container_samples",
        "agents",
        "agent_signing_keys",
        "agent_containers",
        "agent_checks",
    ):
        op.drop_table(table)
