"""What this hub remembers of each agent's stored rows, so that a payload rewrites only what
changed: the metric series ids, the latest values, and the container inventory and check
results as last written.

The memory is a hint, checked against the database in every write unit. Every stored payload
writes a fresh random stamp on its agent's row; a hub trusts its memory of an agent only
while the row still carries the stamp this hub wrote with it. A payload stored by another
replica, a rolled-back unit, or an agent deleted and created again (a new row, with no
stamp) all make it a miss, and a miss writes everything, as if nothing were remembered."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents import repository as repo
from watchkeep.agents.batch import CheckResult
from watchkeep.containers.model import ContainerInfo
from watchkeep.core.hub import Hub
from watchkeep.resources.model import ThresholdRule

MAX_AGENTS = 100_000


@dataclass
class AgentMemory:
    stamp: str = ""
    # (kind, name) → metric series id
    series: dict[tuple[str, str], int] = field(default_factory=dict)
    # the decoded document of the latest values, as stored
    latest: dict[str, Any] | None = None
    # the inventory last written in full (None: unknown, write it)
    containers: list[ContainerInfo] | None = None
    # the check results last written
    checks: list[CheckResult] | None = None
    # the thresholds of the agent's host and containers with their states (None: read them)
    thresholds: list[ThresholdRule] | None = None


class IngestMemory:
    def __init__(self) -> None:
        self._agents: dict[str, AgentMemory] = {}

    def take(self, agent_id: str, stored_stamp: str | None) -> AgentMemory:
        """The memory of the agent, removed while a unit works on it (so a unit that fails
        leaves none behind); an empty one unless it matches the stamp stored on the row."""
        memory = self._agents.pop(agent_id, None)
        if memory is None or stored_stamp is None or memory.stamp != stored_stamp:
            return AgentMemory()
        return memory

    def keep(self, agent_id: str, memory: AgentMemory) -> None:
        if len(self._agents) >= MAX_AGENTS:
            self._agents.clear()
        self._agents[agent_id] = memory

    def forget(self, agent_id: str) -> None:
        self._agents.pop(agent_id, None)


def new_stamp() -> str:
    return secrets.token_hex(16)


def ingest_memory(hub: Hub) -> IngestMemory:
    return hub.local(IngestMemory)


async def invalidate(conn: AsyncConnection, agent_id: str) -> bool:
    """Make every hub's memory of the agent a miss, from inside a write unit that changes
    what the memory holds by other ways than a payload (thresholds set). Clearing the stamp
    also locks the agent's row, so a payload on another replica waits for the change to
    commit and then reads it. False when there is no such agent."""
    return await repo.clear_ingest_stamp(conn, agent_id)
