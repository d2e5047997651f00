"""`POST /api/v1/agents/{agentId}/push` (agents-register-push.txt) → `SampleBatch`.
`containers` is the agent's whole inventory; network figures are cumulative byte counters.
The contract requires neither `timestamp` (the receipt time is used) nor `containers` (a push
without them changes no container).

KubeWatch agents also push `pods` and `nodes`. A pod becomes a container of the pushing
agent, named `namespace/name` and grouped by its namespace; `containers` and `pods` together
are the agent's whole inventory (an empty `pods` alone changes nothing). A node becomes one
of the agent's hosts, sampled under its name. Fields this hub does not know are ignored."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta, Struct, field

from watchkeep.agents.batch import SampleBatch
from watchkeep.containers.model import NAMESPACE_LABEL, ContainerInfo
from watchkeep.protocol.ingest import DateTime, Labels, Name, Url
from watchkeep.resources.model import ContainerSample, HostSample, NodeSample

Amount = Annotated[float, Meta(ge=0, le=1e15)]


class PushContainer(Struct, rename="camel", forbid_unknown_fields=False):
    id: Annotated[str, Meta(min_length=1, max_length=128)]
    name: Annotated[str, Meta(min_length=1, max_length=255)]
    image: Url | None = None
    status: Name | None = None
    cpu_percent: Annotated[float, Meta(ge=0, le=100_000)] | None = None
    memory_mb: Amount | None = field(default=None, name="memoryMB")
    memory_limit_mb: Amount | None = field(default=None, name="memoryLimitMB")
    network_rx_bytes: Amount | None = None
    network_tx_bytes: Amount | None = None
    restart_count: Annotated[int, Meta(ge=0, le=2**31)] | None = None


Percent = Annotated[float, Meta(ge=0, le=100_000)]
Restarts = Annotated[int, Meta(ge=0, le=2**31)]


class PushPod(Struct, rename="camel", forbid_unknown_fields=False):
    name: Annotated[str, Meta(min_length=1, max_length=253)]
    namespace: Annotated[str, Meta(min_length=1, max_length=63)] = "default"
    uid: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    # The pod's phase: Pending, Running, Succeeded, Failed or Unknown
    phase: Name | None = None
    status: Name | None = None
    ready: bool | None = None
    node: Name | None = None
    image: Url | None = None
    labels: Labels | None = None
    restart_count: Restarts | None = None
    # The exit code of a pod that ended (its main container's)
    exit_code: Annotated[int, Meta(ge=-(2**31), le=2**31)] | None = None
    cpu_percent: Percent | None = None
    memory_mb: Amount | None = field(default=None, name="memoryMB")
    memory_limit_mb: Amount | None = field(default=None, name="memoryLimitMB")
    network_rx_bytes: Amount | None = None
    network_tx_bytes: Amount | None = None


class PushNode(Struct, rename="camel", forbid_unknown_fields=False):
    name: Annotated[str, Meta(min_length=1, max_length=253)]
    status: Name | None = None
    ready: bool | None = None
    cpu_percent: Percent | None = None
    memory_mb: Amount | None = field(default=None, name="memoryMB")
    memory_total_mb: Amount | None = field(default=None, name="memoryTotalMB")
    disk_used_gb: Amount | None = field(default=None, name="diskUsedGB")
    disk_total_gb: Amount | None = field(default=None, name="diskTotalGB")
    network_rx_bytes: Amount | None = None
    network_tx_bytes: Amount | None = None
    pods: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None


class Push(Struct, forbid_unknown_fields=False):
    timestamp: DateTime | None = None
    containers: list[PushContainer] | None = None
    nodes: list[PushNode] | None = None
    pods: list[PushPod] | None = None


decoder = msgspec.json.Decoder(Push)


# A pod's phase as a container state, and the exit code an ended phase implies
POD_STATES = {"running": "running", "pending": "created", "succeeded": "exited", "failed": "dead"}
POD_EXIT_CODES = {"succeeded": 0, "failed": 1}


def _pod(pod: PushPod) -> tuple[ContainerInfo, ContainerSample]:
    name = f"{pod.namespace}/{pod.name}"
    phase = (pod.phase or pod.status or "").lower()
    health = None if pod.ready is None or phase != "running" else ("healthy" if pod.ready else "unhealthy")
    info = ContainerInfo(
        id=pod.uid or f"pod:{name}",
        name=name,
        image=pod.image,
        state=POD_STATES.get(phase, phase or None),
        status=pod.phase or pod.status,
        health=health,
        restart_count=pod.restart_count,
        labels={**(pod.labels or {}), NAMESPACE_LABEL: pod.namespace},
        exit_code=pod.exit_code if pod.exit_code is not None else POD_EXIT_CODES.get(phase),
    )
    sample = ContainerSample(
        name=name,
        cpu_percent=pod.cpu_percent,
        memory_used_mb=pod.memory_mb,
        memory_limit_mb=pod.memory_limit_mb,
        network_rx_bytes=pod.network_rx_bytes,
        network_tx_bytes=pod.network_tx_bytes,
    )
    return info, sample


def _node(node: PushNode) -> HostSample:
    return HostSample(
        cpu_percent=node.cpu_percent,
        memory_used_mb=node.memory_mb,
        memory_total_mb=node.memory_total_mb,
        disk_used_gb=node.disk_used_gb,
        disk_total_gb=node.disk_total_gb,
        network_rx_bytes=node.network_rx_bytes,
        network_tx_bytes=node.network_tx_bytes,
    )


def to_batch(push: Push, at_ms: int, clamped: bool) -> SampleBatch:
    # The contract's own example sends `"pods": []` beside a Docker host's containers: an
    # empty list of pods says nothing, so it cannot empty the inventory on its own.
    full = push.containers is not None or bool(push.pods)
    batch = SampleBatch(at_ms=at_ms, clamped=clamped, full_inventory=full)
    for c in push.containers or ():
        batch.containers.append(
            ContainerInfo(
                id=c.id, name=c.name, image=c.image, state=c.status, status=c.status, restart_count=c.restart_count
            )
        )
        batch.container_samples.append(
            ContainerSample(
                name=c.name,
                cpu_percent=c.cpu_percent,
                memory_used_mb=c.memory_mb,
                memory_limit_mb=c.memory_limit_mb,
                network_rx_bytes=c.network_rx_bytes,
                network_tx_bytes=c.network_tx_bytes,
            )
        )
    for pod in push.pods or ():
        info, sample = _pod(pod)
        batch.containers.append(info)
        batch.container_samples.append(sample)
    for node in push.nodes or ():
        batch.nodes[node.name] = NodeSample(_node(node), ready=_ready(node), pods=node.pods)
    return batch


def _ready(node: PushNode) -> bool | None:
    if node.ready is not None:
        return node.ready
    if node.status is None:
        return None
    return node.status.strip().lower() == "ready"
