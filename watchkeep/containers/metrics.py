"""The containers' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.containers import repository as repo
from watchkeep.containers.uptime import is_up
from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        rows = await repo.list_containers(conn, None, archived=False)
    states: dict[str, int] = {}
    for row in rows:
        states[row["state"] or "unknown"] = states.get(row["state"] or "unknown", 0) + 1
    return [
        gauge(
            "watchkeep_container_up",
            "1 while the container runs and is not unhealthy, else 0.",
            ("container_id", "name", "agent_id"),
            (
                ((row["public_id"], row["name"], row["agent_id"]), 1.0 if is_up(row["state"], row["health"]) else 0.0)
                for row in rows
            ),
        ),
        gauge(
            "watchkeep_containers",
            "Containers known (not archived), by state.",
            ("state",),
            (((state,), float(count)) for state, count in sorted(states.items())),
        ),
    ]
