"""Which events raise and clear which alerts: the one table every monitor adds its line to.
Each entry turns an event into the conditions it reports. The alerts consumer of the event
log (`AlertSources.react`) applies them in its own transaction, so an event is acted on
exactly once even across a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.alerts.service import Condition, apply_condition
from watchkeep.core.events import (
    AgentOffline,
    AgentOnline,
    CertificateAlert,
    CertificateRecovery,
    ContainerHealthChanged,
    ContainerRestartAlert,
    ContainerStateChanged,
    EndpointAlert,
    EndpointDeleted,
    EndpointRecovery,
    Event,
    HeartbeatDeadlineMissed,
    HeartbeatFailed,
    HeartbeatRecovered,
    ResourceAlert,
    ResourceRecovery,
    ResourceThresholdEvent,
    UpdateDetected,
    UpdateEvent,
    UpdatePinned,
    UpdateResolved,
)
from watchkeep.core.hub import Hub

MISSED = "heartbeat_deadline_missed"
FAILED = "heartbeat_failed"


def _agent(event: AgentOffline | AgentOnline, firing: bool) -> list[Condition]:
    message = f"agent {event.name} is offline" if firing else f"agent {event.name} is back online"
    return [
        Condition(
            source="agent",
            type="agent_offline",
            entity_type="agent",
            entity_id=event.agent_id,
            entity_name=event.name,
            firing=firing,
            severity="critical",
            message=message,
            details={"lastSeenMs": event.last_seen_ms},
        )
    ]


def _heartbeat(
    heartbeat_id: str, name: str, alert_type: str, *, firing: bool, message: str, details: dict[str, Any]
) -> Condition:
    return Condition(
        source="heartbeat",
        type=alert_type,
        entity_type="heartbeat",
        entity_id=heartbeat_id,
        entity_name=name,
        firing=firing,
        severity="critical",
        message=message,
        details=details,
    )


def _heartbeat_missed(event: HeartbeatDeadlineMissed) -> list[Condition]:
    message = f"heartbeat {event.name} missed its deadline ({event.reason})"
    details = {"deadlineMs": event.deadline_ms, "reason": event.reason}
    return [_heartbeat(event.heartbeat_id, event.name, MISSED, firing=True, message=message, details=details)]


def _heartbeat_failed(event: HeartbeatFailed) -> list[Condition]:
    code = f" with exit code {event.exit_code}" if event.exit_code is not None else ""
    message = f"heartbeat {event.name} reported a failure{code}"
    details = {"exitCode": event.exit_code}
    return [_heartbeat(event.heartbeat_id, event.name, FAILED, firing=True, message=message, details=details)]


def _heartbeat_recovered(event: HeartbeatRecovered) -> list[Condition]:
    message = f"heartbeat {event.name} recovered"
    return [
        _heartbeat(event.heartbeat_id, event.name, alert_type, firing=False, message=message, details={})
        for alert_type in (MISSED, FAILED)
    ]


# Containers: a failed exit, unhealthy, a restart loop; removal clears all three.
CONTAINER_EXITED = "container_exited"
CONTAINER_UNHEALTHY = "container_unhealthy"
CONTAINER_RESTART_LOOP = "container_restart_loop"


def _container(
    event: ContainerStateChanged | ContainerHealthChanged | ContainerRestartAlert,
    alert_type: str,
    *,
    firing: bool,
    message: str,
    details: dict[str, Any] | None = None,
    severity: str = "warning",
) -> Condition:
    return Condition(
        source="container",
        type=alert_type,
        entity_type="container",
        entity_id=event.container_id,
        entity_name=event.name,
        firing=firing,
        severity=severity,
        message=message,
        details={"agentId": event.agent_id, **(details or {})},
    )


def _container_state(event: ContainerStateChanged) -> list[Condition]:
    if event.outcome == "failed":
        oom = " (killed: out of memory)" if event.oom_killed else ""
        code = "" if event.exit_code is None else f" with exit code {event.exit_code}"
        details = {"exitCode": event.exit_code, "oomKilled": event.oom_killed}
        message = f"container {event.name} exited{code}{oom}"
        return [_container(event, CONTAINER_EXITED, firing=True, message=message, details=details, severity="critical")]
    if event.state == "running":
        return [_container(event, CONTAINER_EXITED, firing=False, message=f"container {event.name} is running")]
    if event.state == "removed":
        message = f"container {event.name} was removed"
        return [
            _container(event, alert_type, firing=False, message=message)
            for alert_type in (CONTAINER_EXITED, CONTAINER_UNHEALTHY, CONTAINER_RESTART_LOOP)
        ]
    return []


def _container_health(event: ContainerHealthChanged) -> list[Condition]:
    firing = event.health == "unhealthy"
    message = f"container {event.name} is {event.health or 'without a health check'}"
    return [_container(event, CONTAINER_UNHEALTHY, firing=firing, message=message)]


def _container_restarts(event: ContainerRestartAlert) -> list[Condition]:
    window = f"{event.window_seconds // 60} min" if event.window_seconds % 60 == 0 else f"{event.window_seconds} s"
    if event.firing:
        message = f"container {event.name} restarted {event.restarts} times in {window}"
    else:
        message = f"container {event.name} stopped restarting"
    details = {"restarts": event.restarts, "threshold": event.threshold, "windowSeconds": event.window_seconds}
    return [_container(event, CONTAINER_RESTART_LOOP, firing=event.firing, message=message, details=details)]


def _resource(event: ResourceThresholdEvent, firing: bool) -> list[Condition]:
    """One alert per subject and metric (`cpuPercent_high`, ...), cleared by its recovery."""
    what = f"{event.kind} {event.name}: {event.metric}"
    if firing:
        message = f"{what} is {event.value:g}, above its threshold of {event.threshold:g}"
    elif event.value is not None:
        message = f"{what} is back to {event.value:g}, under its threshold of {event.threshold:g}"
    else:
        message = f"{what}: threshold or {event.kind} removed"
    return [
        Condition(
            source="resource",
            type=f"{event.metric}_high",
            entity_type=event.kind,
            entity_id=event.subject,
            entity_name=event.name,
            firing=firing,
            severity="warning",
            message=message,
            details={"agentId": event.agent_id, "value": event.value, "threshold": event.threshold},
        )
    ]


# A certificate's problems: an alert type each; expired, a bad chain and a wrong name are critical.
CERTIFICATE_SEVERITY = {"expiring": "warning", "expired": "critical", "chain_invalid": "critical"}


def _certificate(event: CertificateAlert | CertificateRecovery, *, firing: bool) -> list[Condition]:
    details: dict[str, Any] = {}
    stage = None
    if isinstance(event, CertificateAlert):
        details = {"daysLeft": event.days_left, "thresholdDays": event.threshold_days, "reason": event.reason}
        if event.condition == "expiring" and event.threshold_days is not None:
            stage = str(event.threshold_days)
    return [
        Condition(
            source="certificate",
            type=f"certificate_{event.condition}",
            entity_type="certificate",
            entity_id=event.certificate_id,
            entity_name=event.name,
            firing=firing,
            severity=CERTIFICATE_SEVERITY.get(event.condition, "critical"),
            message=event.message,
            details=details,
            stage=stage,
        )
    ]


ENDPOINT_DOWN = "endpoint_down"


def _endpoint(endpoint_id: str, name: str, *, firing: bool, message: str, details: dict[str, Any]) -> Condition:
    return Condition(
        source="endpoint",
        type=ENDPOINT_DOWN,
        entity_type="endpoint",
        entity_id=endpoint_id,
        entity_name=name,
        firing=firing,
        severity="critical",
        message=message,
        details=details,
    )


def _endpoint_alert(event: EndpointAlert) -> list[Condition]:
    reason = f": {event.error}" if event.error else ""
    message = f"endpoint {event.name} is down ({event.consecutive_failures} failed checks){reason}"
    details = {"target": event.target, "error": event.error, "httpStatus": event.http_status}
    return [_endpoint(event.endpoint_id, event.name, firing=True, message=message, details=details)]


def _endpoint_clear(event: EndpointRecovery | EndpointDeleted) -> list[Condition]:
    verb = "was deleted" if isinstance(event, EndpointDeleted) else "recovered"
    message = f"endpoint {event.name} {verb}"
    return [_endpoint(event.endpoint_id, event.name, firing=False, message=message, details={})]


# Image updates: one info alert per container with a newer image; a newer one still is a new
# stage (told again), pinning, applying or excluding it resolves it.
UPDATE_AVAILABLE = "update_available"


def _update(event: UpdateEvent, *, firing: bool, message: str, details: dict[str, Any], stage: str | None) -> Condition:
    return Condition(
        source="update",
        type=UPDATE_AVAILABLE,
        entity_type="container",
        entity_id=event.container_id,
        entity_name=event.name,
        firing=firing,
        severity="info",
        message=message,
        details={"agentId": event.agent_id, "image": event.image, **details},
        stage=stage,
    )


def _update_detected(event: UpdateDetected) -> list[Condition]:
    if event.update_type == "digest":
        what = f"a newer image of {event.image}"
        stage = event.latest_digest
    else:
        what = f"{event.update_type} update {event.current_tag} → {event.latest_tag}"
        stage = event.latest_tag
    details = {
        "updateType": event.update_type,
        "currentTag": event.current_tag,
        "latestTag": event.latest_tag,
        "latestDigest": event.latest_digest,
        "sourceUrl": event.source_url,
    }
    return [_update(event, firing=True, message=f"container {event.name}: {what}", details=details, stage=stage)]


def _update_cleared(event: UpdatePinned | UpdateResolved) -> list[Condition]:
    why = (
        "pinned"
        if isinstance(event, UpdatePinned)
        else {
            "applied": "updated",
            "excluded": "excluded from update checks",
            "disabled": "no longer checked for updates",
            "removed": "removed",
        }.get(event.reason, event.reason)
    )
    message = f"container {event.name} was {why}"
    return [_update(event, firing=False, message=message, details={}, stage=None)]


SOURCES: dict[str, Callable[[Event], list[Condition]]] = {
    AgentOffline.type: lambda e: _agent(e, True),  # type: ignore[arg-type]
    AgentOnline.type: lambda e: _agent(e, False),  # type: ignore[arg-type]
    HeartbeatDeadlineMissed.type: _heartbeat_missed,  # type: ignore[dict-item]
    HeartbeatFailed.type: _heartbeat_failed,  # type: ignore[dict-item]
    HeartbeatRecovered.type: _heartbeat_recovered,  # type: ignore[dict-item]
    ContainerStateChanged.type: _container_state,  # type: ignore[dict-item]
    ContainerHealthChanged.type: _container_health,  # type: ignore[dict-item]
    ContainerRestartAlert.type: _container_restarts,  # type: ignore[dict-item]
    ResourceAlert.type: lambda e: _resource(e, True),  # type: ignore[arg-type]
    ResourceRecovery.type: lambda e: _resource(e, False),  # type: ignore[arg-type]
    CertificateAlert.type: lambda e: _certificate(e, firing=True),  # type: ignore[arg-type]
    CertificateRecovery.type: lambda e: _certificate(e, firing=False),  # type: ignore[arg-type]
    EndpointAlert.type: _endpoint_alert,  # type: ignore[dict-item]
    EndpointRecovery.type: _endpoint_clear,  # type: ignore[dict-item]
    EndpointDeleted.type: _endpoint_clear,  # type: ignore[dict-item]
    UpdateDetected.type: _update_detected,  # type: ignore[dict-item]
    UpdatePinned.type: _update_cleared,  # type: ignore[dict-item]
    UpdateResolved.type: _update_cleared,  # type: ignore[dict-item]
}


class AlertSources:
    """The reaction of the event log's `alerts` consumer (to the types in SOURCES)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def react(self, conn: AsyncConnection, event: Event) -> list[Event]:
        conditions = SOURCES.get(event.type)
        if conditions is None:
            return []
        now = self.hub.clock.now_ms()
        caused: list[Event] = []
        for condition in conditions(event):
            _, events = await apply_condition(conn, condition, now)
            caused.extend(events)
        return caused
