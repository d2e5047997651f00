"""`PUT /api/v1/agents/{uuid}/heartbeat` (agent-heartbeat.txt) → `SampleBatch`."""

from __future__ import annotations

import math
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from watchkeep.agents.batch import AgentFacts, SampleBatch
from watchkeep.protocol.ingest import PayloadError
from watchkeep.resources.model import HostSample

Percent = Annotated[float, Meta(ge=0, le=100)]


class Heartbeat(Struct, rename="camel", forbid_unknown_fields=False):
    version: Annotated[str, Meta(max_length=64)]
    uptime: float | str
    cpu_usage: Percent
    mem_usage: Percent
    endpoint: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    platform_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None


decoder = msgspec.json.Decoder(Heartbeat)


def uptime_seconds(value: float | str) -> float:
    """`uptime` is seconds as a number or a numeric string."""
    try:
        seconds = float(value)
    except ValueError:
        raise PayloadError(f"uptime: {value!r} is not a number of seconds", "uptime") from None
    if not math.isfinite(seconds) or seconds < 0 or seconds > 1e12:
        raise PayloadError("uptime: must be a number of seconds from 0", "uptime")
    return seconds


def to_batch(heartbeat: Heartbeat, at_ms: int) -> SampleBatch:
    uptime = uptime_seconds(heartbeat.uptime)
    host = HostSample(cpu_percent=heartbeat.cpu_usage, memory_percent=heartbeat.mem_usage, uptime_seconds=uptime)
    facts = AgentFacts(
        version=heartbeat.version,
        uptime_seconds=uptime,
        endpoint=heartbeat.endpoint,
        platform_id=heartbeat.platform_id,
    )
    return SampleBatch(at_ms=at_ms, host=host, facts=facts, heartbeat=True)
