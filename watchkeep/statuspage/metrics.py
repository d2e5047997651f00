"""The status page's series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge
from watchkeep.statuspage import repository as repo
from watchkeep.statuspage.status import STATUSES


async def metric_families(hub: Hub) -> list[Metric]:
    async with hub.store.read() as conn:
        components = await repo.list_components(conn)
        incidents = await repo.list_incidents(conn, since_ms=hub.clock.now_ms())
    return [
        gauge(
            "watchkeep_status_component_status",
            "1 for the status each status-page component shows now, 0 for the others.",
            ("component", "slug", "status"),
            (
                ((component.name, component.slug, status), 1.0 if component.status == status else 0.0)
                for component in components
                for status in STATUSES
            ),
        ),
        gauge(
            "watchkeep_status_incidents_open",
            "Status-page incidents not yet resolved.",
            (),
            [((), float(sum(1 for incident in incidents if incident.resolved_at is None)))],
        ),
    ]
