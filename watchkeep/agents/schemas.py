"""API models of the agent registry."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, TypeVar

import msgspec
from pydantic import Field, StringConstraints

from watchkeep.core.errors import validation_error
from watchkeep.core.schemas import ApiModel, WriteModel
from watchkeep.protocol.ingest import MetricsConfig, PayloadError, ServiceConfig, decode

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Labels = dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Annotated[str, Field(max_length=500)]]
Interval = Annotated[int, Field(ge=1, le=86_400)]
# Where the agent can be reached (gRPC or HTTP) and its id on its platform (agent-heartbeat.txt).
Endpoint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
PlatformId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AgentType = Literal["metric", "log", "trace"]

READONLY = frozenset(
    {
        "id",
        "uuid",
        "hostname",
        "platform",
        "os",
        "kernel",
        "version",
        "status",
        "lastSeen",
        "lastHeartbeatAt",
        "createDate",
        "lastOpDate",
        "containerCount",
        "droppedPayloads",
        "collectorErrors",
        "token",
        "agentKey",
        "type",
        "endpoint",
        "platformId",
        "uptimeSeconds",
        "serverHealthy",
    }
)


class AgentCreate(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = frozenset(
        READONLY - {"hostname", "platform", "type", "endpoint", "platformId"}
    )

    name: Name
    hostname: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    platform: Short | None = None
    region: Short | None = None
    labels: Labels = Field(default_factory=dict)
    type: AgentType = "metric"
    endpoint: Endpoint | None = None
    platform_id: PlatformId | None = None


class AgentUpdate(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = READONLY - {"endpoint", "platformId"}

    name: Name | None = None
    region: Short | None = None
    labels: Labels | None = None
    push_interval_seconds: Interval | None = None
    endpoint: Endpoint | None = None
    platform_id: PlatformId | None = None


class AgentRegister(ApiModel):
    name: Name
    hostname: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    version: Short | None = None
    platform: Short | None = None
    endpoint: Endpoint | None = None
    platform_id: PlatformId | None = None
    # Proof that the caller is the registered agent of this name (beside a Bearer token).
    agent_key: Annotated[str, StringConstraints(max_length=100)] | None = None


class AgentConfigUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """`PUT /api/v1/agents/{id}/config`: the agent's checks and metric groups, in the very
    types `GET /api/agent/config` answers with."""

    push_interval_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | None = None
    services: list[ServiceConfig] = msgspec.field(default_factory=list)
    metrics_config: MetricsConfig = msgspec.field(default_factory=MetricsConfig)


config_update_decoder = msgspec.json.Decoder(AgentConfigUpdate)
T = TypeVar("T")


def decoded(decoder: msgspec.json.Decoder[T], body: bytes, *, status: int | None = None) -> T:
    """Decode a body with msgspec; a rejected one is VALIDATION_ERROR naming the field."""
    try:
        return decode(decoder, body)
    except PayloadError as exc:
        raise validation_error(exc.message, exc.field, status=status) from None
