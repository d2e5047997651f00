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
    EndpointAlert,
    EndpointDeleted,
    EndpointRecovery,
    Event,
    HeartbeatDeadlineMissed,
    HeartbeatFailed,
    HeartbeatRecovered,
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


SOURCES: dict[str, Callable[[Event], list[Condition]]] = {
    AgentOffline.type: lambda e: _agent(e, True),  # type: ignore[arg-type]
    AgentOnline.type: lambda e: _agent(e, False),  # type: ignore[arg-type]
    HeartbeatDeadlineMissed.type: _heartbeat_missed,  # type: ignore[dict-item]
    HeartbeatFailed.type: _heartbeat_failed,  # type: ignore[dict-item]
    HeartbeatRecovered.type: _heartbeat_recovered,  # type: ignore[dict-item]
    EndpointAlert.type: _endpoint_alert,  # type: ignore[dict-item]
    EndpointRecovery.type: _endpoint_clear,  # type: ignore[dict-item]
    EndpointDeleted.type: _endpoint_clear,  # type: ignore[dict-item]
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
