"""The events: frozen dataclasses, one per thing that happened, each with a dotted type name
that API clients, webhooks and streams see (`agent.online`).

A *logged* event is written to the event log (`core/events/log.py`) by the write unit that
made the change, in the same transaction, so it exists exactly when the change committed;
consumers react to it from the log and streams replay it. A *live-only* event (a ping, a
metrics snapshot) is frequent and changes nothing worth reacting to: it is streamed from
memory and never written. docs/events.md lists every type."""

from __future__ import annotations

import builtins
import dataclasses
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Self

from pydantic.alias_generators import to_camel

from watchkeep.core.clock import rfc3339


class UnknownEvent(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    """Base of every event. `type` is the dotted name clients see (`agent.online`); the
    subject is the thing the event is about, named by a kind and the field holding its id."""

    type: ClassVar[str] = "event"
    logged: ClassVar[bool] = True
    subject_kind: ClassVar[str] = ""
    subject_key: ClassVar[str] = ""
    _types: ClassVar[dict[str, builtins.type[Event]]] = {}
    at_ms: int = field(kw_only=True)
    # The event log's id: set on logged events once appended, None on live-only ones.
    id: int | None = field(default=None, kw_only=True, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:  # a shared base such as AlertEvent names no type of its own
            Event._types[cls.type] = cls

    def data(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("at_ms", "id")}

    def subject_id(self) -> str:
        return str(getattr(self, self.subject_key))

    def with_id(self, event_id: int) -> Self:
        return dataclasses.replace(self, id=event_id)

    @staticmethod
    def rebuild(type_: str, at_ms: int, data: dict[str, Any], event_id: int | None = None) -> Event:
        """The event of that type from the fields `data()` gave (unknown fields dropped)."""
        cls = Event._types.get(type_)
        if cls is None:
            raise UnknownEvent(type_)
        known = {f.name for f in fields(cls)} - {"at_ms", "id"}
        return cls(at_ms=at_ms, id=event_id, **{k: v for k, v in data.items() if k in known})

    @staticmethod
    def types() -> dict[str, builtins.type[Event]]:
        """Every event type by its name."""
        return dict(Event._types)


# Agents (watchkeep/agents)


@dataclass(frozen=True)
class AgentEvent(Event):
    subject_kind: ClassVar[str] = "agent"
    subject_key: ClassVar[str] = "agent_id"
    agent_id: str


@dataclass(frozen=True)
class AgentRegistered(AgentEvent):
    type: ClassVar[str] = "agent.registered"
    name: str
    hostname: str | None = None


@dataclass(frozen=True)
class AgentOnline(AgentEvent):
    type: ClassVar[str] = "agent.online"
    name: str
    last_seen_ms: int | None = None


@dataclass(frozen=True)
class AgentDelayed(AgentEvent):
    type: ClassVar[str] = "agent.delayed"
    name: str
    last_seen_ms: int | None = None


@dataclass(frozen=True)
class AgentOffline(AgentEvent):
    type: ClassVar[str] = "agent.offline"
    name: str
    last_seen_ms: int | None = None


@dataclass(frozen=True)
class ResourceSnapshot(AgentEvent):
    type: ClassVar[str] = "resource.snapshot"
    logged: ClassVar[bool] = False
    cpu_percent: float | None = None
    memory_used_mb: float | None = None
    memory_total_mb: float | None = None
    disk_used_gb: float | None = None
    disk_total_gb: float | None = None


@dataclass(frozen=True)
class ResourceThresholdEvent(Event):
    """A host's or a container's metric crossing its alert threshold (resources/thresholds.py).
    `kind` is "host" (`subject` is the agent id) or "container" (its public id)."""

    subject_kind: ClassVar[str] = "resource"
    subject_key: ClassVar[str] = "subject"
    kind: str
    subject: str
    agent_id: str
    name: str
    metric: str  # cpuPercent | memoryPercent | diskPercent
    value: float | None
    threshold: float
    container_id: str | None = None


@dataclass(frozen=True)
class ResourceAlert(ResourceThresholdEvent):
    type: ClassVar[str] = "resource.alert"
    breach_samples: int = 1


@dataclass(frozen=True)
class ResourceRecovery(ResourceThresholdEvent):
    type: ClassVar[str] = "resource.recovery"
    recover_samples: int = 1
    # "recovered" (the samples said so), "threshold_removed" or "deleted" (its subject was)
    reason: str = "recovered"


# Containers (watchkeep/containers)


@dataclass(frozen=True)
class ContainerEvent(Event):
    subject_kind: ClassVar[str] = "container"
    subject_key: ClassVar[str] = "container_id"
    container_id: str  # the public id
    agent_id: str
    name: str


@dataclass(frozen=True)
class ContainerStateChanged(ContainerEvent):
    type: ClassVar[str] = "container.state_changed"
    previous: str | None
    state: str | None
    # On an exit: its code, whether the kernel's OOM killer ended it, completed | failed
    exit_code: int | None = None
    oom_killed: bool | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class ContainerHealthChanged(ContainerEvent):
    type: ClassVar[str] = "container.health_changed"
    previous: str | None
    health: str | None


@dataclass(frozen=True)
class ContainerRestartAlert(ContainerEvent):
    """A restart loop began (`firing`: `threshold` restarts within the window) or ended (the
    window no longer holds that many, or the container was removed)."""

    type: ClassVar[str] = "container.restart_alert"
    firing: bool
    restarts: int
    threshold: int
    window_seconds: int


@dataclass(frozen=True)
class ContainerLogsReceived(ContainerEvent):
    """An agent sent log lines of a container (stored; read them from its logs)."""

    type: ClassVar[str] = "container.logs_received"
    logged: ClassVar[bool] = False
    lines: int
    reason: str  # request | die
    request_id: str | None = None


# Heartbeats (watchkeep/heartbeats)


@dataclass(frozen=True)
class HeartbeatEvent(Event):
    subject_kind: ClassVar[str] = "heartbeat"
    subject_key: ClassVar[str] = "heartbeat_id"
    heartbeat_id: str
    name: str


@dataclass(frozen=True)
class HeartbeatPinged(HeartbeatEvent):
    type: ClassVar[str] = "heartbeat.pinged"
    logged: ClassVar[bool] = False
    kind: str  # success | start | fail | log | exit code
    exit_code: int | None = None


@dataclass(frozen=True)
class HeartbeatDeadlineMissed(HeartbeatEvent):
    type: ClassVar[str] = "heartbeat.deadline_missed"
    deadline_ms: int
    reason: str  # "no ping" | "started, never finished"
    # True for a deadline that passed while the hub was not running, reported at start.
    during_outage: bool = False


@dataclass(frozen=True)
class HeartbeatFailed(HeartbeatEvent):
    type: ClassVar[str] = "heartbeat.failed"
    exit_code: int | None = None


@dataclass(frozen=True)
class HeartbeatRecovered(HeartbeatEvent):
    type: ClassVar[str] = "heartbeat.recovered"


# Certificates (watchkeep/certificates)


@dataclass(frozen=True)
class CertificateEvent(Event):
    subject_kind: ClassVar[str] = "certificate"
    subject_key: ClassVar[str] = "certificate_id"
    certificate_id: str
    name: str  # host:port, with the SNI when it differs from the host


@dataclass(frozen=True)
class CertificateAlert(CertificateEvent):
    """A certificate problem began, or changed stage (a lower expiry threshold was crossed)."""

    type: ClassVar[str] = "certificate.alert"
    condition: str  # expiring | expired | chain_invalid | hostname_mismatch
    message: str
    days_left: int | None = None
    threshold_days: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CertificateRecovery(CertificateEvent):
    """A certificate problem cleared (a renewed certificate, a fixed chain, a deleted monitor)."""

    type: ClassVar[str] = "certificate.recovery"
    condition: str
    message: str


# Endpoints (watchkeep/endpoints)


@dataclass(frozen=True)
class EndpointEvent(Event):
    subject_kind: ClassVar[str] = "endpoint"
    subject_key: ClassVar[str] = "endpoint_id"
    endpoint_id: str
    name: str


@dataclass(frozen=True)
class EndpointCheckResult(EndpointEvent):
    type: ClassVar[str] = "endpoint.check_result"
    logged: ClassVar[bool] = False
    result: str  # up | down: this check's own outcome
    status: str  # up | down | unknown: the endpoint's status after the thresholds
    response_ms: float | None = None
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class EndpointAlert(EndpointEvent):
    type: ClassVar[str] = "endpoint.alert"
    target: str
    consecutive_failures: int
    error: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class EndpointRecovery(EndpointEvent):
    type: ClassVar[str] = "endpoint.recovery"
    target: str
    down_since_ms: int | None = None


@dataclass(frozen=True)
class EndpointDeleted(EndpointEvent):
    type: ClassVar[str] = "endpoint.deleted"
    target: str


# Image updates (watchkeep/updates)


@dataclass(frozen=True)
class UpdateScanEvent(Event):
    subject_kind: ClassVar[str] = "update_scan"
    subject_key: ClassVar[str] = "scan_id"
    scan_id: str
    trigger: str  # manual | schedule


@dataclass(frozen=True)
class UpdateScanStarted(UpdateScanEvent):
    type: ClassVar[str] = "update.scan_started"
    total: int


@dataclass(frozen=True)
class UpdateScanCompleted(UpdateScanEvent):
    type: ClassVar[str] = "update.scan_completed"
    status: str  # completed | failed
    checked: int
    found: int
    errors: int
    error: str | None = None


@dataclass(frozen=True)
class UpdateEvent(Event):
    subject_kind: ClassVar[str] = "container"
    subject_key: ClassVar[str] = "container_id"
    container_id: str
    agent_id: str
    name: str
    image: str


@dataclass(frozen=True)
class UpdateDetected(UpdateEvent):
    """A newer image for a container: a newer tag, or a new digest of its floating tag."""

    type: ClassVar[str] = "update.detected"
    update_type: str  # major | minor | patch | digest
    current_tag: str | None
    latest_tag: str | None
    current_digest: str | None = None
    latest_digest: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class UpdatePinned(UpdateEvent):
    type: ClassVar[str] = "update.pinned"
    tag: str | None
    digest: str | None = None


@dataclass(frozen=True)
class UpdateUnpinned(UpdateEvent):
    type: ClassVar[str] = "update.unpinned"


@dataclass(frozen=True)
class UpdateResolved(UpdateEvent):
    """An update no longer waits: applied, excluded, disabled by label, or its container went."""

    type: ClassVar[str] = "update.resolved"
    reason: str  # applied | excluded | disabled | removed


# The public status page (watchkeep/statuspage): what /status/events streams. Each carries
# public names only (a component's, an incident's, a maintenance window's), never a monitor's.


@dataclass(frozen=True)
class StatusComponentChanged(Event):
    type: ClassVar[str] = "status.component_changed"
    subject_kind: ClassVar[str] = "status_component"
    subject_key: ClassVar[str] = "component_id"
    component_id: str
    slug: str
    name: str
    status: str
    previous: str | None = None


@dataclass(frozen=True)
class StatusIncidentEvent(Event):
    subject_kind: ClassVar[str] = "status_incident"
    subject_key: ClassVar[str] = "incident_id"
    incident_id: str
    title: str
    impact: str
    status: str
    message: str
    component_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatusIncidentCreated(StatusIncidentEvent):
    type: ClassVar[str] = "status.incident_created"


@dataclass(frozen=True)
class StatusIncidentUpdated(StatusIncidentEvent):
    type: ClassVar[str] = "status.incident_updated"


@dataclass(frozen=True)
class StatusIncidentResolved(StatusIncidentEvent):
    type: ClassVar[str] = "status.incident_resolved"


@dataclass(frozen=True)
class StatusMaintenanceEvent(Event):
    subject_kind: ClassVar[str] = "status_maintenance"
    subject_key: ClassVar[str] = "maintenance_id"
    maintenance_id: str
    name: str
    component_ids: list[str] = field(default_factory=list)
    ends_at_ms: int | None = None


@dataclass(frozen=True)
class StatusMaintenanceStarted(StatusMaintenanceEvent):
    type: ClassVar[str] = "status.maintenance_started"


@dataclass(frozen=True)
class StatusMaintenanceEnded(StatusMaintenanceEvent):
    type: ClassVar[str] = "status.maintenance_ended"


# Alerts, silences, notifications and webhooks (watchkeep/alerts, notify, webhooks)


@dataclass(frozen=True)
class AlertEvent(Event):
    """What `alert.fired` and `alert.resolved` both say about the alert."""

    subject_kind: ClassVar[str] = "alert"
    subject_key: ClassVar[str] = "alert_id"

    alert_id: str
    source: str
    alert_type: str
    severity: str
    message: str
    entity_type: str
    entity_id: str
    entity_name: str | None = None


@dataclass(frozen=True)
class AlertFired(AlertEvent):
    """A new alert, or a higher severity of one still firing (`upgraded`)."""

    type: ClassVar[str] = "alert.fired"
    silenced: bool = False
    upgraded: bool = False


@dataclass(frozen=True)
class AlertResolved(AlertEvent):
    type: ClassVar[str] = "alert.resolved"


@dataclass(frozen=True)
class AlertAcknowledged(Event):
    type: ClassVar[str] = "alert.acknowledged"
    subject_kind: ClassVar[str] = "alert"
    subject_key: ClassVar[str] = "alert_id"
    alert_id: str
    acknowledged_by: str


@dataclass(frozen=True)
class SilenceEvent(Event):
    subject_kind: ClassVar[str] = "silence"
    subject_key: ClassVar[str] = "silence_id"
    silence_id: str


@dataclass(frozen=True)
class SilenceCreated(SilenceEvent):
    type: ClassVar[str] = "silence.created"
    starts_at_ms: int
    ends_at_ms: int
    created_by: str
    comment: str


@dataclass(frozen=True)
class SilenceExpired(SilenceEvent):
    type: ClassVar[str] = "silence.expired"
    ended_early: bool = False


@dataclass(frozen=True)
class ChannelDeliveryFailed(Event):
    type: ClassVar[str] = "channel.delivery_failed"
    subject_kind: ClassVar[str] = "channel"
    subject_key: ClassVar[str] = "channel_id"
    channel_id: str
    delivery_id: str
    attempts: int
    error: str
    permanent: bool = False


@dataclass(frozen=True)
class WebhookDisabled(Event):
    type: ClassVar[str] = "webhook.disabled"
    subject_kind: ClassVar[str] = "webhook"
    subject_key: ClassVar[str] = "webhook_id"
    webhook_id: str
    consecutive_failures: int
    last_error: str


def camel(value: Any) -> Any:
    """`value` with every dict key in camelCase, as the API speaks."""
    if isinstance(value, dict):
        return {to_camel(str(k)): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def envelope(envelope_id: str | int | None, event_type: str, at_ms: int, data: dict[str, Any]) -> dict[str, Any]:
    """The body webhooks and event streams send for an event."""
    return {"id": envelope_id, "type": event_type, "timestamp": rfc3339(at_ms), "data": camel(data)}
