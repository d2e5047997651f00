"""The notification outbox's series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge
from watchkeep.notify import repository as repo


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        counts = await repo.outbox_counts(conn)
    return [
        gauge(
            "watchkeep_outbox_pending",
            "Messages waiting to be sent (or retried).",
            (),
            [((), counts.get("pending", 0))],
        ),
        gauge(
            "watchkeep_outbox_failed",
            "Messages given up on after their last attempt.",
            (),
            [((), counts.get("failed", 0))],
        ),
        gauge(
            "watchkeep_outbox_messages",
            "Messages kept in the outbox, by status.",
            ("status",),
            (((status,), float(count)) for status, count in sorted(counts.items())),
        ),
    ]
