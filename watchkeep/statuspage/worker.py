"""The status page's background work: the loop that keeps every component's status in line
with its monitors, and the automatic incidents, a consumer of the event log (one replica
reacts to each component change, once)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event, StatusComponentChanged, StatusIncidentCreated, StatusIncidentResolved
from watchkeep.core.hub import Hub
from watchkeep.statuspage import repository as repo
from watchkeep.statuspage.service import StatusPageService, add_update, incident_event, open_incident
from watchkeep.statuspage.status import LABELS, OUTAGES

# The monitor events after which a component's status may have changed. The loop also runs
# on its interval, for what changes with time alone (a late heartbeat, a window opening).
MONITOR_EVENTS = frozenset(
    {
        "agent.online",
        "agent.delayed",
        "agent.offline",
        "agent.registered",
        "heartbeat.pinged",
        "heartbeat.deadline_missed",
        "heartbeat.failed",
        "heartbeat.recovered",
        "endpoint.check_result",
        "endpoint.alert",
        "endpoint.recovery",
        "endpoint.deleted",
        "certificate.alert",
        "certificate.recovery",
        "container.state_changed",
        "container.health_changed",
    }
)


class StatusRefresher:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.wake = asyncio.Event()

    def notice(self, event: Event) -> None:
        """A bus listener: a monitor of some kind changed, here or on another replica."""
        if event.type in MONITOR_EVENTS:
            self.wake.set()

    async def step(self) -> bool:
        self.wake.clear()
        return await StatusPageService(self.hub).refresh()


class AutoIncidents:
    """Opens an incident when a component that asks for it goes into an outage, and resolves
    it once the component is operational again."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def react(self, conn: AsyncConnection, event: Event) -> list[Event]:
        if not isinstance(event, StatusComponentChanged):
            return []
        component = await repo.component_by_id(conn, event.component_id)
        if component is None or not component.auto_incident:
            return []
        now = self.hub.clock.now_ms()
        current = await repo.open_auto_incident(conn, component.id)
        if current is None and component.status in OUTAGES:
            label = LABELS[component.status].lower()
            incident = await open_incident(
                conn,
                f"{component.name}: {label}",
                "major" if component.status == "major_outage" else "minor",
                "investigating",
                f"{component.name} has a {label}. We are investigating.",
                [component.id],
                now,
                component.id,
            )
            return [incident_event(StatusIncidentCreated, incident, incident.updates[0].message, now)]
        if current is not None and component.status in ("operational", "under_maintenance"):
            message = f"{component.name} is operational again."
            incident = await add_update(conn, current.id, "resolved", message, now)
            return [incident_event(StatusIncidentResolved, incident, message, now)]
        return []
