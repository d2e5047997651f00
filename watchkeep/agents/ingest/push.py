"""`POST /api/v1/agents/{agentId}/push` (agents-register-push.txt) → `SampleBatch`.
`containers` is the agent's whole inventory; network figures are cumulative byte counters.
The contract requires neither `timestamp` (the receipt time is used) nor `containers` (a push
without them changes no container). `nodes` and `pods` are accepted as lists of objects;
this hub stores containers only."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct, field

from watchkeep.agents.batch import SampleBatch
from watchkeep.containers.model import ContainerInfo
from watchkeep.protocol.ingest import DateTime, Name, Url
from watchkeep.resources.model import ContainerSample

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


class Push(Struct, forbid_unknown_fields=False):
    timestamp: DateTime | None = None
    containers: list[PushContainer] | None = None
    nodes: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)


decoder = msgspec.json.Decoder(Push)


def to_batch(push: Push, at_ms: int, clamped: bool) -> SampleBatch:
    batch = SampleBatch(at_ms=at_ms, clamped=clamped, full_inventory=push.containers is not None)
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
    return batch
