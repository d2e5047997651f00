"""The one internal shape of everything an agent sends, whatever the protocol. Adapters in
`agents/ingest/` build it at the edge; nothing past them knows the protocol."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from watchkeep.containers.logstore import ReceivedLogs
from watchkeep.containers.model import ContainerInfo
from watchkeep.endpoints.records import AgentResult
from watchkeep.resources.model import ContainerSample, HostSample, NodeSample, ProcessSnapshot


class CheckResult(msgspec.Struct):
    kind: str  # http | tcp | cert
    container_name: str
    target: str
    success: bool
    checked_at_ms: int
    name: str | None = None
    status_code: int | None = None
    duration_ms: float | None = None
    error: str | None = None
    expires_at: str | None = None
    days_until_expiry: float | None = None
    issuer: str | None = None
    subject: str | None = None


@dataclass
class AgentFacts:
    """What a payload says about the agent itself; None leaves the stored value."""

    version: str | None = None
    hostname: str | None = None
    os: str | None = None
    kernel: str | None = None
    uptime_seconds: float | None = None
    server_healthy: bool | None = None
    dropped_payloads: int | None = None
    collector_errors: dict[str, str] | None = None
    endpoint: str | None = None
    platform_id: str | None = None


@dataclass
class SampleBatch:
    at_ms: int
    clamped: bool = False
    facts: AgentFacts = field(default_factory=AgentFacts)
    host: HostSample | None = None
    containers: list[ContainerInfo] = field(default_factory=list)
    # True when `containers` is the agent's whole inventory: containers missing from it are gone.
    full_inventory: bool = False
    container_samples: list[ContainerSample] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    endpoint_results: list[AgentResult] = field(default_factory=list)
    processes: ProcessSnapshot | None = None
    heartbeat: bool = False
    nodes: dict[str, NodeSample] = field(default_factory=dict)
    container_logs: list[ReceivedLogs] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return (
            (1 if self.host else 0)
            + len(self.containers)
            + len(self.container_samples)
            + len(self.checks)
            + (1 if self.processes else 0)
            + len(self.nodes)
            + sum(len(logs.lines) for logs in self.container_logs)
        )
