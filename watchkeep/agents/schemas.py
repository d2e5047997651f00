"""API models of the agent registry."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from watchkeep.core.schemas import ApiModel, WriteModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Labels = dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Annotated[str, Field(max_length=500)]]
Interval = Annotated[int, Field(ge=1, le=86_400)]
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
    readonly_fields: ClassVar[frozenset[str]] = frozenset(READONLY - {"hostname", "platform", "type"})

    name: Name
    hostname: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    platform: Short | None = None
    region: Short | None = None
    labels: Labels = Field(default_factory=dict)
    type: AgentType = "metric"


class AgentUpdate(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = READONLY

    name: Name | None = None
    region: Short | None = None
    labels: Labels | None = None
    push_interval_seconds: Interval | None = None


class AgentRegister(ApiModel):
    name: Name
    hostname: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    version: Short | None = None
    platform: Short | None = None


class CheckTargetIn(ApiModel):
    host: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    port: Annotated[int, Field(ge=1, le=65535)]
    name: Annotated[str, StringConstraints(max_length=255)] | None = None


class ServiceConfigIn(ApiModel):
    container_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    health_check_url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    tcp_checks: list[CheckTargetIn] = Field(default_factory=list)
    cert_checks: list[CheckTargetIn] = Field(default_factory=list)


class MetricsConfigIn(ApiModel):
    collect_cpu: bool = True
    collect_memory: bool = True
    collect_swap: bool = True
    collect_disk: bool = True
    collect_load: bool = True
    collect_fds: bool = True
    collect_tcp: bool = True
    collect_processes: bool = True
    collect_tcp_checks: bool = True
    collect_cert_checks: bool = True


class AgentConfigIn(ApiModel):
    push_interval_seconds: Interval | None = None
    services: list[ServiceConfigIn] = Field(default_factory=list)
    metrics_config: MetricsConfigIn = Field(default_factory=MetricsConfigIn)
