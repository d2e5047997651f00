"""The image update loops: every replica looks for queued scans and claims one with a
compare-and-set before running it (a scan queued on this replica wakes it at once); the
schedule (`WATCHKEEP_UPDATES_SCAN_CRON`) queues a scan once per turn across replicas."""

from __future__ import annotations

from datetime import UTC, datetime

from cronsim import CronSim

from watchkeep.core.hub import Hub
from watchkeep.core.jobs import on_calendar
from watchkeep.core.scheduler import Step
from watchkeep.updates.service import ScanWake, UpdateService

SCHEDULE_JOB = "update-scan-schedule"


def next_scan_ms(expression: str, after_ms: int) -> int:
    """The first time strictly after `after_ms` the cron expression (UTC) matches."""
    start = datetime.fromtimestamp(after_ms / 1000, UTC)
    for candidate in CronSim(expression, start):
        at = int(candidate.timestamp() * 1000)
        if at > after_ms:
            return at
    raise ValueError("cron expression never matches")  # pragma: no cover - cronsim iterates forever


class UpdateScanWorker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.wake = hub.local(ScanWake).event

    async def step(self) -> bool:
        """Run one queued scan, if any; True when one ran (look again at once)."""
        self.wake.clear()
        return await UpdateService(self.hub).run_queued()


def schedule_step(hub: Hub) -> Step | None:
    """The step that queues the scheduled scans (None when the schedule is off)."""
    expression = hub.settings.updates_scan_cron
    if not expression:
        return None

    async def queue() -> bool:
        await UpdateService(hub).start_scan("schedule")
        return True

    return on_calendar(hub, SCHEDULE_JOB, lambda after: next_scan_ms(expression, after), queue)
