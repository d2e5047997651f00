"""The image updates' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge
from watchkeep.updates.service import UpdateService

KINDS = ("major", "minor", "patch", "digest")


async def metric_families(hub: Hub) -> list[Metric]:
    summary = await UpdateService(hub).summary()
    by_type = summary["by_type"]
    last = summary["last_scan"]
    families = [
        gauge(
            "watchkeep_updates_available",
            "Containers with a newer image available, by kind (major, minor, patch, digest).",
            ("kind",),
            (((kind,), float(by_type.get(kind, 0))) for kind in KINDS),
        )
    ]
    if last is not None and last.finished_at is not None:
        families.append(
            gauge(
                "watchkeep_updates_last_scan_timestamp_seconds",
                "When the latest image update scan finished (Unix time).",
                ("status",),
                [((last.status,), last.finished_at / 1000)],
            )
        )
    return families
