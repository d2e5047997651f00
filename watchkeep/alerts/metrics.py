"""The alerts' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.alerts import repository as repo
from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        rows = await repo.active_counts(conn)
    return [
        gauge(
            "watchkeep_alerts_active",
            "Alerts raised and not resolved, by source and severity.",
            ("source", "severity"),
            (((row["source"], row["severity"]), float(row["count"])) for row in rows),
        )
    ]
