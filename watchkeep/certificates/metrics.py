"""The certificates' series of `/metrics`."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric

from watchkeep.certificates.service import CertificateService
from watchkeep.certificates.status import Facts, days_left, status
from watchkeep.core.hub import Hub
from watchkeep.core.metrics import gauge

LABELS = ("certificate_id", "name", "source")


async def metric_families(hub: Hub) -> list[Metric]:
    now = hub.clock.now_ms()
    monitors = await CertificateService(hub).list_all()
    read = [m for m in monitors if m.not_after is not None]
    return [
        gauge(
            "watchkeep_certificate_days_left",
            "Whole days until the certificate expires (negative once expired).",
            LABELS,
            (((m.id, m.name, m.source), float(days_left(m.not_after, now) or 0)) for m in read),
        ),
        gauge(
            "watchkeep_certificate_valid",
            "1 while the certificate is valid or expiring, 0 when expired or in error.",
            LABELS,
            (
                (
                    (m.id, m.name, m.source),
                    1.0 if status(Facts.of(m), now, m.thresholds) in ("valid", "expiring") else 0.0,
                )
                for m in monitors
                if m.last_checked_at is not None
            ),
        ),
    ]
