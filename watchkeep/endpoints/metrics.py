"""The endpoints' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge
from watchkeep.endpoints.service import EndpointService

LABELS = ("endpoint_id", "name", "type")


async def metric_families(hub: Hub) -> list[Metric]:
    endpoints = await EndpointService(hub).list_all()
    known = [e for e in endpoints if e.shown_status in ("up", "down")]
    timed = [e for e in known if e.last_response_ms is not None]
    return [
        gauge(
            "watchkeep_endpoint_up",
            "1 while the endpoint is up, 0 while down (after its thresholds); none while unknown or paused.",
            LABELS,
            (((e.id, e.name, e.type), 1.0 if e.status == "up" else 0.0) for e in known),
        ),
        gauge(
            "watchkeep_endpoint_response_seconds",
            "The last check's response time.",
            LABELS,
            (((e.id, e.name, e.type), (e.last_response_ms or 0) / 1000) for e in timed),
        ),
    ]
