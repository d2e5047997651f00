"""The agent status loop: agents that stopped pushing become delayed, then offline. Each
change is claimed with a compare-and-set on the stored status and last contact, so with
several replicas (or a payload arriving at the same moment) it is logged once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents import repository as repo
from watchkeep.agents.service import AgentService
from watchkeep.core.events import AgentDelayed, AgentOffline, AgentOnline, Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub

_EVENTS: dict[str, type[AgentOnline] | type[AgentDelayed] | type[AgentOffline]] = {
    "online": AgentOnline,
    "delayed": AgentDelayed,
    "offline": AgentOffline,
}


class AgentStatusWorker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def step(self) -> bool:
        """Move every agent whose stored status is stale; True when one moved."""
        service = AgentService(self.hub)
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            rows = await repo.status_facts(conn)
        moves = [(row, service.status_of(row, now)) for row in rows]
        moves = [(row, new) for row, new in moves if new != row["status"]]
        if not moves:
            return False

        async def unit(conn: AsyncConnection) -> list[Event]:
            events: list[Event] = []
            for row, new in moves:
                seen = row["last_seen_at"]
                if await repo.change_status(conn, row["id"], row["status"], new, seen, now):
                    events.append(_EVENTS[new](agent_id=row["id"], name=row["name"], last_seen_ms=seen, at_ms=now))
            return await append(conn, events)

        events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return bool(events)
