"""The event log's series of `/metrics`: how far each consumer lags behind the log."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.core.events.consumers import positions
from watchkeep.core.events.log import last_id
from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        newest = await last_id(conn)
        cursors = await positions(conn)
    return [
        gauge("watchkeep_event_log_last_id", "The id of the newest event in the log.", (), [((), float(newest))]),
        gauge(
            "watchkeep_event_consumer_lag_events",
            "Events in the log the consumer has not reacted to yet.",
            ("consumer",),
            (((name,), float(max(newest - position, 0))) for name, position in sorted(cursors.items())),
        ),
    ]
