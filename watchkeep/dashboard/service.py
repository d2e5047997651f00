"""Sparkline data for the dashboard: the recent series of every monitored thing, one list per
kind: endpoints (their last checks' response times), hosts and containers (CPU and memory
over the last hour). A client reads each kind it knows and skips the others."""

from __future__ import annotations

from typing import Any

from watchkeep.agents.service import AgentService
from watchkeep.containers.service import ContainerService
from watchkeep.core.clock import rfc3339
from watchkeep.core.hub import Hub
from watchkeep.endpoints.service import sparklines as endpoint_sparklines
from watchkeep.resources.service import ResourceService

SPAN_MS = 3_600_000
POINTS = 30


class DashboardService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def sparklines(self) -> dict[str, Any]:
        agents = [row for row, _ in await AgentService(self.hub).overview_facts()]
        containers = await ContainerService(self.hub).list_containers()
        window, series = await ResourceService(self.hub).sparklines(SPAN_MS, POINTS)
        empty: list[list[float | None]] = [[None] * window.points, [None] * window.points]
        names = {row["id"]: row["name"] for row in agents}
        hosts = []
        for row in sorted(agents, key=lambda r: str(r["name"]).lower()):
            cpu, memory = series.get(("host", row["id"], ""), empty)
            hosts.append({"id": row["id"], "name": row["name"], "cpu": cpu, "memory": memory})
        items = []
        for row in sorted(containers, key=lambda r: (names.get(r["agent_id"], ""), str(r["name"]).lower())):
            cpu, memory = series.get(("container", row["agent_id"], row["name"]), empty)
            items.append(
                {
                    "id": row["public_id"],
                    "name": row["name"],
                    "agentId": row["agent_id"],
                    "host": names.get(row["agent_id"], row["agent_id"]),
                    "cpu": cpu,
                    "memory": memory,
                }
            )
        return {
            "from": rfc3339(window.start),
            "bucketSeconds": window.bucket_ms // 1000,
            "points": window.points,
            "endpoints": await endpoint_sparklines(self.hub),
            "hosts": hosts,
            "containers": items,
        }
