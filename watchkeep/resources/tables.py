"""Metric samples. A series is one agent's host or one of its containers; samples are keyed
by series and integer epoch milliseconds. Each agent's latest values of every series (and the
counters rates are computed from) are kept ready for list views in one document."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from watchkeep.core.db.metadata import metadata

metric_series = Table(
    "metric_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agent_id", String(40), nullable=False),
    Column("kind", String(16), nullable=False),  # host | container
    Column("name", String(255), nullable=False),
    UniqueConstraint("agent_id", "kind", "name"),
)

# {"host": {"at": ms, "v": {...}} | null, "containers": {name: {"at": ms, "v": {...}}}}
metric_latest = Table(
    "metric_latest",
    metadata,
    Column("agent_id", String(40), primary_key=True),
    Column("doc", Text, nullable=False),
)

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

host_samples = Table(
    "host_samples",
    metadata,
    Column("series_id", Integer, nullable=False),
    Column("ts", BigInteger, nullable=False),
    *(Column(name, Float) for name in HOST_METRICS),
    Column("disks", Text),
    PrimaryKeyConstraint("series_id", "ts"),
)

# One row per agent and time: the samples of all the agent's containers at that time, as a JSON
# object {container name: [value of each of CONTAINER_METRICS, in that order]}. A payload's
# container samples are one row appended at the end of its agent's rows (one row per container
# and series would be written into as many places of a series-ordered index).
container_sample_sets = Table(
    "container_sample_sets",
    metadata,
    Column("agent_id", String(40), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("samples", Text, nullable=False),
    PrimaryKeyConstraint("agent_id", "ts"),
)

# The latest top-process snapshot of each agent.
process_snapshots = Table(
    "process_snapshots",
    metadata,
    Column("agent_id", String(40), primary_key=True),
    Column("ts", BigInteger, nullable=False),
    Column("by_cpu", Text, nullable=False),
    Column("by_memory", Text, nullable=False),
    Column("stats", Text, nullable=False),
)


def _rollup_table(name: str, metrics: tuple[str, ...]) -> Table:
    """One row per series and bucket (its start, epoch ms): per metric the number of samples
    that had a value, their average and their maximum. The count lets buckets be merged into
    wider ones with the right weights."""
    columns: list[Column[Any]] = []
    for metric in metrics:
        columns += [Column(f"{metric}_n", Integer), Column(f"{metric}_avg", Float), Column(f"{metric}_max", Float)]
    return Table(
        name,
        metadata,
        Column("series_id", Integer, nullable=False),
        Column("ts", BigInteger, nullable=False),
        *columns,
        PrimaryKeyConstraint("series_id", "ts"),
    )


# The rollup tiers: 1-minute and 1-hour buckets of host and container series.
host_rollups_minute = _rollup_table("host_rollups_minute", HOST_METRICS)
host_rollups_hour = _rollup_table("host_rollups_hour", HOST_METRICS)
container_rollups_minute = _rollup_table("container_rollups_minute", CONTAINER_METRICS)
container_rollups_hour = _rollup_table("container_rollups_hour", CONTAINER_METRICS)

# Per tier ("minute", "hour"): every bucket that starts before `upto` is rolled up (in both the
# host and the container table of the tier).
metric_rollup_marks = Table(
    "metric_rollup_marks",
    metadata,
    Column("tier", String(16), primary_key=True),
    Column("upto", BigInteger, nullable=False),
)


# Alert thresholds of a host (kind "host", subject its agent id) or a container (kind
# "container", subject its public id), one row per metric. `agent_id` and `name` (the
# container's name, "" for a host) are what an agent's samples are matched by on ingest.
resource_thresholds = Table(
    "resource_thresholds",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("subject_id", String(40), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("agent_id", String(40), nullable=False),
    Column("name", String(255), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("breach_samples", Integer, nullable=False),
    Column("recover_samples", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("kind", "subject_id", "metric"),
    Index("ix_resource_thresholds_agent_id", "agent_id"),
)

# Where each threshold's evaluation stands, so that another replica or a restarted hub goes
# on counting: whether it fires, and how many consecutive samples so far said otherwise
# (breaching ones while clear, non-breaching ones while firing).
resource_threshold_states = Table(
    "resource_threshold_states",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("subject_id", String(40), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("firing", Boolean, nullable=False),
    Column("streak", Integer, nullable=False),
    # when it last fired or recovered, and the value that made it
    Column("changed_at", BigInteger),
    Column("value", Float),
    PrimaryKeyConstraint("kind", "subject_id", "metric"),
)
