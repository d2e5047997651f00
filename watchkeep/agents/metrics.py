"""The agents' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.agents import repository as repo
from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        rows = await repo.status_facts(conn)
    return [
        gauge(
            "watchkeep_agent_up",
            "1 while the agent is online, 0 while delayed or offline.",
            ("agent_id", "name"),
            (((row["id"], row["name"]), 1.0 if row["status"] == "online" else 0.0) for row in rows),
        )
    ]
