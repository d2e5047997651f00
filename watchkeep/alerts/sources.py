"""Which events raise and clear which alerts: the one table every monitor adds its line to.
Each entry turns an event into the conditions it reports."""

from __future__ import annotations

from collections.abc import Callable

from watchkeep.alerts.service import AlertService, Condition
from watchkeep.core.events import (
    AgentOffline,
    AgentOnline,
    Event,
    HeartbeatDeadlineMissed,
    HeartbeatFailed,
    HeartbeatRecovered,
)
from watchkeep.core.hub import Hub


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


def _heartbeat_missed(event: HeartbeatDeadlineMissed) -> list[Condition]:
    return [
        Condition(
            source="heartbeat",
            type="heartbeat_deadline_missed",
            entity_type="heartbeat",
            entity_id=event.heartbeat_id,
            entity_name=event.name,
            firing=True,
            severity="critical",
            message=f"heartbeat {event.name} missed its deadline ({event.reason})",
            details={"deadlineMs": event.deadline_ms, "reason": event.reason},
        )
    ]


def _heartbeat_failed(event: HeartbeatFailed) -> list[Condition]:
    code = f" with exit code {event.exit_code}" if event.exit_code is not None else ""
    return [
        Condition(
            source="heartbeat",
            type="heartbeat_failed",
            entity_type="heartbeat",
            entity_id=event.heartbeat_id,
            entity_name=event.name,
            firing=True,
            severity="critical",
            message=f"heartbeat {event.name} reported a failure{code}",
            details={"exitCode": event.exit_code},
        )
    ]


def _heartbeat_recovered(event: HeartbeatRecovered) -> list[Condition]:
    return [
        Condition(
            source="heartbeat",
            type=alert_type,
            entity_type="heartbeat",
            entity_id=event.heartbeat_id,
            entity_name=event.name,
            firing=False,
            message=f"heartbeat {event.name} recovered",
        )
        for alert_type in ("heartbeat_deadline_missed", "heartbeat_failed")
    ]


SOURCES: dict[str, Callable[[Event], list[Condition]]] = {
    AgentOffline.type: lambda e: _agent(e, True),  # type: ignore[arg-type]
    AgentOnline.type: lambda e: _agent(e, False),  # type: ignore[arg-type]
    HeartbeatDeadlineMissed.type: _heartbeat_missed,  # type: ignore[dict-item]
    HeartbeatFailed.type: _heartbeat_failed,  # type: ignore[dict-item]
    HeartbeatRecovered.type: _heartbeat_recovered,  # type: ignore[dict-item]
}


class AlertSources:
    """The event-bus subscriber feeding the alert engine."""

    def __init__(self, hub: Hub) -> None:
        self.service = AlertService(hub)

    async def __call__(self, event: Event) -> None:
        conditions = SOURCES.get(event.type)
        if conditions is None:
            return
        for condition in conditions(event):
            await self.service.report(condition)
