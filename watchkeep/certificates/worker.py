"""The certificate check loop. Due times live in the database (`next_check_at`); every
replica runs the step, and each due monitor is claimed with a compare-and-set on its due
time before it is checked, so one replica checks it. Checks run concurrently, at most
`certificate_check_concurrency` at once; each result is its own write unit with its events."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.certificates import repository as repo
from watchkeep.certificates.checker import observe
from watchkeep.certificates.repository import Monitor
from watchkeep.certificates.service import record_observation
from watchkeep.core.events import Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub

log = logging.getLogger("watchkeep.certificates")

BATCH = 100
# A check whose recording fails is tried again after this long, not at once in a loop.
RETRY_MS = 300_000


class CertificateWorker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._limit = asyncio.Semaphore(hub.settings.certificate_check_concurrency)

    async def step(self) -> bool:
        """Claim and check the monitors that are due; True when a full batch was due."""
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            candidates = await repo.due(conn, now, BATCH)
        if not candidates:
            return False

        async def claim(conn: AsyncConnection) -> list[Monitor]:
            won = []
            for monitor in candidates:
                assert monitor.next_check_at is not None
                if await repo.claim(conn, monitor.id, monitor.next_check_at, now + monitor.interval_seconds * 1000):
                    won.append(monitor)
            return won

        claimed = await self.hub.store.write(claim)
        await asyncio.gather(*(self._check(monitor) for monitor in claimed))
        return len(candidates) >= BATCH

    async def _check(self, monitor: Monitor) -> None:
        settings = self.hub.settings
        try:
            async with self._limit:
                seen = await observe(
                    monitor.host,
                    monitor.port,
                    monitor.sni,
                    ca_file=settings.certificate_ca_bundle,
                    timeout=settings.certificate_check_timeout_seconds,
                )
            now = self.hub.clock.now_ms()

            async def unit(conn: AsyncConnection) -> list[Event]:
                current = await repo.monitor_by_id(conn, monitor.id, lock=True)
                if current is None:
                    return []  # deleted while it was being checked
                return await append(conn, await record_observation(conn, current, seen, now))

            events = await self.hub.store.write(unit)
        except Exception:
            log.exception("certificate check of %s (%s) failed; retrying later", monitor.name, monitor.id)
            retry = self.hub.clock.now_ms() + RETRY_MS

            async def later(conn: AsyncConnection) -> None:
                await repo.update_monitor(conn, monitor.id, {"next_check_at": retry})

            await self.hub.store.write(later)
            return
        if events:
            await self.hub.bus.publish(*events)
