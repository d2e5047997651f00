"""The heartbeats' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge
from watchkeep.heartbeats import repository as repo

# 1 for these, 0 for down; a new monitor (never pinged) and a paused one have no series.
UP = ("up", "grace", "started")


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        rows = await repo.shown_states(conn, hub.clock.now_ms())
    return [
        gauge(
            "watchkeep_heartbeat_up",
            "1 while the cron job pings on time (or within its grace), 0 once it is down.",
            ("heartbeat_id", "name"),
            (
                ((row["id"], row["name"]), 1.0 if row["status"] in UP else 0.0)
                for row in rows
                if row["status"] in (*UP, "down")
            ),
        )
    ]
