"""Containers over the Docker Engine API (protocol/docker.py): the inventory, restart
counts and health from inspect, and stats with the `docker stats` formulas, as deltas against
the agent's own previous sample of the same container run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from watchkeep.agent.containerlogs import ContainerLogReader
from watchkeep.protocol.docker import EngineClient, EngineUnavailable, ImageFacts, ImageFactsCache
from watchkeep.protocol.ingest import Container, ContainerLogs, LogRequest, Mount, PortMapping, ServiceStats

log = logging.getLogger("watchkeep.agent")
MB = 1024 * 1024


@dataclass(frozen=True)
class _Baseline:
    started_at: str
    cpu_total: int
    system: int


def cpu_percent(stats: dict[str, Any], previous: _Baseline | None) -> float | None:
    """cpu % = delta total_usage / delta system_cpu_usage * online_cpus * 100."""
    if previous is None:
        return None
    cpu = stats.get("cpu_stats") or {}
    total = int((cpu.get("cpu_usage") or {}).get("total_usage") or 0)
    system = int(cpu.get("system_cpu_usage") or 0)
    cpu_delta, system_delta = total - previous.cpu_total, system - previous.system
    if cpu_delta < 0 or system_delta <= 0:
        return None
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    return round(cpu_delta / system_delta * online * 100.0, 2)


def memory_used(stats: dict[str, Any]) -> float | None:
    """usage - inactive_file (cgroup v2) or - total_inactive_file (cgroup v1)."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if usage is None:
        return None
    details = memory.get("stats") or {}
    inactive = details.get("total_inactive_file")  # only cgroup v1 has the hierarchical total
    if inactive is None:
        inactive = details.get("inactive_file", 0)
    return max(int(usage) - int(inactive or 0), 0) / MB


def block_io(stats: dict[str, Any]) -> tuple[float, float]:
    """Read and write bytes summed over devices; the op name's case varies by cgroup version."""
    entries = (stats.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    read = write = 0
    for entry in entries:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += int(entry.get("value") or 0)
        elif op == "write":
            write += int(entry.get("value") or 0)
    return read / MB, write / MB


def network_io(stats: dict[str, Any]) -> tuple[float, float] | None:
    """Received and sent bytes over all networks; None with host networking (no networks)."""
    networks = stats.get("networks") or {}
    if not networks:
        return None
    rx = sum(int(n.get("rx_bytes") or 0) for n in networks.values())
    tx = sum(int(n.get("tx_bytes") or 0) for n in networks.values())
    return rx / MB, tx / MB


def _utc_seconds(stamp: str) -> str | None:
    """The engine's RFC 3339 time (nanoseconds) cut to milliseconds, as the payload's times."""
    if not stamp.endswith("Z") or "T" not in stamp:
        return None
    whole, _, fraction = stamp[:-1].partition(".")
    return f"{whole}.{(fraction + '000')[:3]}Z"


def _name(summary: dict[str, Any]) -> str:
    names = summary.get("Names") or []
    return str(names[0]).lstrip("/") if names else str(summary.get("Id", ""))[:12]


def inventory_entry(summary: dict[str, Any], image: ImageFacts | None = None) -> Container:
    return Container(
        id=str(summary["Id"]),
        name=_name(summary),
        image=str(summary.get("Image") or ""),
        image_id=str(summary.get("ImageID") or ""),
        state=str(summary.get("State") or ""),
        status=str(summary.get("Status") or ""),
        created=int(summary.get("Created") or 0),
        ports=[
            PortMapping(
                private_port=int(p["PrivatePort"]),
                type=str(p.get("Type") or "tcp"),
                public_port=int(p["PublicPort"]) if p.get("PublicPort") else None,
                ip=p.get("IP") or None,
            )
            for p in summary.get("Ports") or []
            if "PrivatePort" in p
        ],
        labels={str(k): str(v) for k, v in (summary.get("Labels") or {}).items()},
        mounts=[
            Mount(
                source=str(m.get("Source") or m.get("Name") or ""),
                destination=str(m.get("Destination") or ""),
                mode=str(m.get("Mode") or ("rw" if m.get("RW", True) else "ro")),
                type=str(m.get("Type") or ""),
            )
            for m in summary.get("Mounts") or []
        ],
        network_mode=(summary.get("HostConfig") or {}).get("NetworkMode"),
        repo_digests=None if image is None else image.repo_digests,
        image_labels=None if image is None else image.labels,
        image_platform=None if image is None else image.platform or None,
    )


@dataclass
class DockerSample:
    available: bool
    containers: list[Container]
    services: list[ServiceStats]
    errors: dict[str, str]
    logs: list[ContainerLogs] = field(default_factory=list)


class DockerCollector:
    def __init__(self, docker_host: str, concurrency: int = 4, timeout: float = 10.0) -> None:
        self.docker_host = docker_host
        self._concurrency = concurrency
        self._timeout = timeout
        self._baselines: dict[str, _Baseline] = {}
        self._said_unavailable = False
        self.logs = ContainerLogReader()
        self.images = ImageFactsCache()

    async def _service(
        self, client: EngineClient, summary: dict[str, Any], gate: asyncio.Semaphore, errors: dict[str, str]
    ) -> ServiceStats:
        container_id, name = str(summary["Id"]), _name(summary)
        state = str(summary.get("State") or "")
        async with gate:
            try:
                inspect = await client.get(f"/containers/{container_id}/json")
                stats = None
                if state == "running":
                    stats = await client.get(
                        f"/containers/{container_id}/stats", stream="false", **{"one-shot": "true"}
                    )
            except EngineUnavailable as exc:
                errors[f"docker:{name}"] = str(exc)
                return ServiceStats(container_name=name, state=state)
        info_state = inspect.get("State") or {}
        health = (info_state.get("Health") or {}).get("Status")
        service = ServiceStats(
            container_name=name,
            state=str(info_state.get("Status") or state),
            health=health or None,
            restart_count=int(inspect.get("RestartCount") or 0),
        )
        if service.state in ("exited", "dead"):
            # How it exited; a container that never ran has no finish time and says nothing.
            finished = str(info_state.get("FinishedAt") or "")
            if finished and not finished.startswith("0001-"):
                service.exit_code = int(info_state.get("ExitCode") or 0)
                service.oom_killed = bool(info_state.get("OOMKilled"))
                service.finished_at = _utc_seconds(finished)
        if stats is None:
            self._baselines.pop(container_id, None)
            return service
        started_at = str(info_state.get("StartedAt") or "")
        previous = self._baselines.get(container_id)
        if previous is not None and previous.started_at != started_at:
            previous = None  # a restarted container starts its counters again
        cpu = stats.get("cpu_stats") or {}
        self._baselines[container_id] = _Baseline(
            started_at=started_at,
            cpu_total=int((cpu.get("cpu_usage") or {}).get("total_usage") or 0),
            system=int(cpu.get("system_cpu_usage") or 0),
        )
        service.cpu_percent = cpu_percent(stats, previous)
        used = memory_used(stats)
        service.memory_used_mb = round(used, 3) if used is not None else None
        limit = (stats.get("memory_stats") or {}).get("limit")
        service.memory_limit_mb = round(int(limit) / MB, 3) if limit else None
        read, write = block_io(stats)
        service.block_read_mb, service.block_write_mb = round(read, 3), round(write, 3)
        net = network_io(stats)
        if net is not None:
            service.network_rx_mb, service.network_tx_mb = round(net[0], 3), round(net[1], 3)
        return service

    async def collect(self, log_requests: Sequence[LogRequest] = ()) -> DockerSample:
        """The inventory and stats; with the answers to `log_requests` and the last lines of
        containers that went down since the previous call."""
        try:
            client = EngineClient(self.docker_host, timeout=self._timeout)
        except EngineUnavailable as exc:
            return self._unavailable(str(exc))
        try:
            try:
                summaries = await client.get("/containers/json", all="1")
            except EngineUnavailable as exc:
                return self._unavailable(str(exc))
            self._said_unavailable = False
            errors: dict[str, str] = {}
            gate = asyncio.Semaphore(self._concurrency)
            services = await asyncio.gather(*(self._service(client, s, gate, errors) for s in summaries))
            present = {str(s["Id"]) for s in summaries}
            for gone in set(self._baselines) - present:
                del self._baselines[gone]
            images = await self.images.facts(client, (str(s.get("ImageID") or "") for s in summaries))
            containers = [inventory_entry(s, images.get(str(s.get("ImageID") or ""))) for s in summaries]
            seen = [
                (c.id, c.name, s.state or c.state, s.restart_count) for c, s in zip(containers, services, strict=True)
            ]
            # Answers first: what does not fit in the payload's bound is the unasked lines.
            logs = await self.logs.answer(client, log_requests) + await self.logs.died(client, seen)
            return DockerSample(True, containers, list(services), errors, logs)
        finally:
            await client.aclose()

    async def collect_logs(self, log_requests: Sequence[LogRequest]) -> list[ContainerLogs]:
        """Only the answers to `log_requests` (between two samples, while following)."""
        try:
            async with EngineClient(self.docker_host, timeout=self._timeout) as client:
                return await self.logs.answer(client, log_requests)
        except EngineUnavailable:
            return []

    def _unavailable(self, reason: str) -> DockerSample:
        if not self._said_unavailable:
            log.info("no Docker engine at %s (%s); shipping host metrics only", self.docker_host, reason)
            self._said_unavailable = True
        self._baselines.clear()
        return DockerSample(False, [], [], {})
