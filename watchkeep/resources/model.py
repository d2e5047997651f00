"""The normalized samples every agent protocol is turned into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class DiskSample:
    mount: str
    used_gb: float
    total_gb: float
    percent: float | None = None
    device: str | None = None
    fstype: str | None = None


@dataclass(slots=True)
class HostSample:
    """One reading of a host. Network figures come either as rates or as cumulative byte
    counters; counters are turned into rates against the previous reading."""

    cpu_percent: float | None = None
    cpu_iowait_percent: float | None = None
    memory_used_mb: float | None = None
    memory_total_mb: float | None = None
    memory_percent: float | None = None
    swap_used_mb: float | None = None
    swap_total_mb: float | None = None
    swap_percent: float | None = None
    disk_used_gb: float | None = None
    disk_total_gb: float | None = None
    disks: list[DiskSample] = field(default_factory=list)
    load1: float | None = None
    load5: float | None = None
    load15: float | None = None
    network_rx_bytes_per_sec: float | None = None
    network_tx_bytes_per_sec: float | None = None
    network_rx_bytes: float | None = None
    network_tx_bytes: float | None = None
    uptime_seconds: float | None = None
    open_fds: float | None = None
    max_fds: float | None = None
    tcp_established: float | None = None
    tcp_listen: float | None = None
    tcp_time_wait: float | None = None
    tcp_close_wait: float | None = None
    tcp_total: float | None = None
    processes_total: float | None = None
    processes_running: float | None = None
    processes_sleeping: float | None = None
    processes_stopped: float | None = None
    processes_zombie: float | None = None


@dataclass(slots=True)
class NodeSample:
    """A further host an agent reports beside its own (a cluster's node), by name."""

    sample: HostSample
    ready: bool | None = None
    pods: int | None = None


@dataclass(slots=True)
class ContainerSample:
    """One reading of a container, named by the container's name (stable across re-creation)."""

    name: str
    cpu_percent: float | None = None
    memory_used_mb: float | None = None
    memory_limit_mb: float | None = None
    network_rx_bytes_per_sec: float | None = None
    network_tx_bytes_per_sec: float | None = None
    network_rx_bytes: float | None = None
    network_tx_bytes: float | None = None
    block_read_mb: float | None = None
    block_write_mb: float | None = None


@dataclass(slots=True)
class ProcessSnapshot:
    """The top processes; each part holds anything msgspec encodes to JSON."""

    by_cpu: Sequence[Any]
    by_memory: Sequence[Any]
    stats: Any


@dataclass(slots=True)
class ThresholdRule:
    """One metric's threshold of a host or a container and where its evaluation stands (as
    stored; see resources/thresholds.py). `metric` is the column name (`cpu_percent`)."""

    kind: str  # host | container
    subject_id: str  # the agent id, or the container's public id
    metric: str
    agent_id: str
    name: str  # the container's name (what its samples carry); the host's name
    threshold: float
    breach_samples: int
    recover_samples: int
    firing: bool = False
    streak: int = 0
    changed_at: int | None = None
    value: float | None = None
