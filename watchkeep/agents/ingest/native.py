"""`POST /api/metrics/ingest` (agent-metrics-ingest.txt) → `SampleBatch`."""

from __future__ import annotations

from watchkeep.agents.batch import AgentFacts, CheckResult, SampleBatch
from watchkeep.agents.ingest.times import parse_ms, parsed_ms
from watchkeep.containers.logstore import ReceivedLine, ReceivedLogs
from watchkeep.containers.model import ContainerInfo
from watchkeep.endpoints.records import AgentResult
from watchkeep.protocol.ingest import ContainerLogs, IngestPayload, PayloadError
from watchkeep.resources.model import ContainerSample, DiskSample, HostSample, ProcessSnapshot

MB = 1024 * 1024

_HOST_FIELDS = {
    "cpu_percent": "cpu_percent",
    "cpu_iowait_percent": "cpu_iowait_percent",
    "memory_used_mb": "memory_used_mb",
    "memory_total_mb": "memory_total_mb",
    "swap_used_mb": "swap_used_mb",
    "swap_total_mb": "swap_total_mb",
    "disk_used_gb": "disk_used_gb",
    "disk_total_gb": "disk_total_gb",
    "load_avg1": "load1",
    "load_avg5": "load5",
    "load_avg15": "load15",
    "network_rx_bytes_per_sec": "network_rx_bytes_per_sec",
    "network_tx_bytes_per_sec": "network_tx_bytes_per_sec",
    "uptime": "uptime_seconds",
    "open_fds": "open_fds",
    "max_fds": "max_fds",
    "tcp_established": "tcp_established",
    "tcp_listen": "tcp_listen",
    "tcp_time_wait": "tcp_time_wait",
    "tcp_close_wait": "tcp_close_wait",
    "tcp_total": "tcp_total",
}


def _host(payload: IngestPayload) -> HostSample | None:
    values = {target: getattr(payload, source) for source, target in _HOST_FIELDS.items()}
    stats = payload.top_processes.stats if payload.top_processes else None
    if all(v is None for v in values.values()) and not payload.disks and stats is None:
        return None
    host = HostSample(**values)
    host.disks = [
        DiskSample(mount=d.mount, used_gb=d.used_gb, total_gb=d.total_gb, device=d.device, fstype=d.fstype)
        for d in payload.disks
    ]
    if stats is not None:
        host.processes_total = stats.total
        host.processes_running = stats.running
        host.processes_sleeping = stats.sleeping
        host.processes_stopped = stats.stopped
        host.processes_zombie = stats.zombie
    return host


def _logs(entries: list[ContainerLogs]) -> list[ReceivedLogs]:
    received = []
    for index, entry in enumerate(entries):
        where = f"containerLogs[{index}]"
        if entry.reason == "request" and not entry.request_id:
            raise PayloadError(f"{where}.requestId: an answer to a log request names the request", f"{where}.requestId")
        lines = [
            ReceivedLine(line.stream, parse_ms(line.at, f"{where}.lines[{number}].at"), line.at, line.text)
            for number, line in enumerate(entry.lines)
        ]
        received.append(ReceivedLogs(entry.container_id, entry.container_name, entry.reason, entry.request_id, lines))
    return received


def to_batch(payload: IngestPayload, at_ms: int, clamped: bool) -> SampleBatch:
    batch = SampleBatch(at_ms=at_ms, clamped=clamped, host=_host(payload))
    batch.container_logs = _logs(payload.container_logs)
    batch.facts = AgentFacts(
        version=payload.agent_version,
        uptime_seconds=payload.uptime,
        server_healthy=payload.server_healthy,
        dropped_payloads=None if payload.dropped_payloads is None else int(payload.dropped_payloads),
        collector_errors=dict(payload.collector_errors),
    )
    if batch.container_logs and batch.host is None and not payload.containers and not payload.services:
        # Log lines sent between samples say nothing of the agent's collectors.
        batch.facts.collector_errors = None
    by_name: dict[str, ContainerInfo] = {}
    for c in payload.containers:
        info = ContainerInfo(
            id=c.id,
            name=c.name,
            image=c.image,
            image_id=c.image_id,
            state=c.state,
            status=c.status,
            labels=c.labels,
            ports=c.ports,
            mounts=c.mounts,
            network_mode=c.network_mode,
            created_ms=int(c.created * 1000),
            repo_digests=c.repo_digests,
            image_labels=c.image_labels,
            platform=c.image_platform,
        )
        by_name[c.name] = info
        batch.containers.append(info)
    batch.full_inventory = bool(payload.containers)
    for s in payload.services:
        restarts = None if s.restart_count is None else int(s.restart_count)
        known = by_name.get(s.container_name)
        if known is None:
            batch.containers.append(
                ContainerInfo(
                    name=s.container_name,
                    state=s.state,
                    health=s.health,
                    restart_count=restarts,
                    exit_code=s.exit_code,
                    oom_killed=s.oom_killed,
                )
            )
        else:
            known.health, known.restart_count = s.health, restarts
            known.exit_code, known.oom_killed = s.exit_code, s.oom_killed
            # The inventory's state wins; the stats' state fills in where it has none.
            known.state = known.state or s.state
        rx, tx = s.network_rx_mb, s.network_tx_mb
        batch.container_samples.append(
            ContainerSample(
                name=s.container_name,
                cpu_percent=s.cpu_percent,
                memory_used_mb=s.memory_used_mb,
                memory_limit_mb=s.memory_limit_mb,
                network_rx_bytes=None if rx is None else rx * MB,
                network_tx_bytes=None if tx is None else tx * MB,
                block_read_mb=s.block_read_mb,
                block_write_mb=s.block_write_mb,
            )
        )
    for index, h in enumerate(payload.service_health_checks):
        checked_at = at_ms
        if h.checked_at:
            parsed = parsed_ms(h.checked_at)
            if parsed is None:  # names the field
                parsed = parse_ms(h.checked_at, f"serviceHealthChecks[{index}].checkedAt")
            checked_at = parsed
        batch.checks.append(
            CheckResult(
                kind="http",
                container_name=h.container_name,
                target=h.health_check_url,
                success=h.success,
                checked_at_ms=checked_at,
                status_code=h.status_code,
                duration_ms=h.duration_ms,
                error=h.error,
            )
        )
    for t in payload.tcp_check_results:
        batch.checks.append(
            CheckResult(
                kind="tcp",
                container_name=t.container_name,
                target=f"{t.host}:{t.port}",
                name=t.name,
                success=t.success,
                checked_at_ms=at_ms,
                duration_ms=t.duration_ms,
                error=t.error,
            )
        )
    for x in payload.cert_check_results:
        batch.checks.append(
            CheckResult(
                kind="cert",
                container_name=x.container_name,
                target=f"{x.host}:{x.port}",
                name=x.name,
                success=x.success,
                checked_at_ms=at_ms,
                duration_ms=x.duration_ms,
                error=x.error,
                expires_at=x.expires_at,
                days_until_expiry=x.days_until_expiry,
                issuer=x.issuer,
                subject=x.subject,
            )
        )
    for index, r in enumerate(payload.endpoint_results):
        checked = at_ms if r.checked_at is None else parse_ms(r.checked_at, f"endpointResults[{index}].checkedAt")
        batch.endpoint_results.append(
            AgentResult(
                endpoint_id=r.endpoint_id,
                up=r.status == "up",
                # A result is never stored in the payload's future.
                at_ms=min(checked, at_ms),
                response_ms=r.response_ms,
                http_status=r.http_status,
                error=r.error,
            )
        )
    if payload.top_processes is not None:
        top = payload.top_processes
        batch.processes = ProcessSnapshot(
            by_cpu=top.by_cpu,
            by_memory=top.by_memory,
            stats=top.stats,
        )
    return batch
