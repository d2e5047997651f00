"""The endpoint scheduler: one loop for all endpoints of this hub.

Due times live in the database (`endpoints.next_check_at`). Each step claims the endpoints
that are due, as many as there are free check slots (`WATCHKEEP_ENDPOINT_MAX_CONCURRENCY`),
with one conditional update that also leases each row for its timeout (repository.claim_due):
replicas sharing a database split the due endpoints between them, and no endpoint is checked
twice at once. A claimed endpoint's next due time moves on by its interval from the previous
one, so the random offsets given to new endpoints keep the checks spread over the interval.
Each check runs as its own task; its result is recorded in one write unit."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.hub import Hub
from watchkeep.endpoints import repository as repo
from watchkeep.endpoints.records import EndpointRecord
from watchkeep.endpoints.service import EndpointService
from watchkeep.probes import CheckContext, run_check

log = logging.getLogger("watchkeep.endpoints")

LEASE_MARGIN_MS = 10_000  # beyond a check's timeout, for recording its result
DRAIN_SECONDS = 5.0
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
PRUNE_BATCH = 10_000
LAGS_KEPT = 100_000


class EndpointScheduler:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.service = EndpointService(hub)
        self.context = CheckContext(dns_nameserver=hub.settings.endpoint_dns_nameserver)
        self._running: dict[str, asyncio.Task[None]] = {}
        # Scheduling lag of the latest checks started (ms behind their due time), for benchmarks.
        self.lags_ms: list[int] = []
        self.checks_done = 0

    @property
    def running(self) -> int:
        return len(self._running)

    async def step(self) -> bool:
        """Start the checks that are due; True when every free slot was filled (more may be due)."""
        free = self.hub.settings.endpoint_max_concurrency - len(self._running)
        if free <= 0:
            return False
        now = self.hub.clock.now_ms()
        busy = list(self._running)

        async def unit(conn: AsyncConnection) -> list[tuple[EndpointRecord, int]]:
            return await repo.claim_due(conn, now, free, lease_margin_ms=LEASE_MARGIN_MS, excluded=busy)

        claimed = await self.hub.store.write(unit)
        for row, due in claimed:
            self._start(row, max(0, now - due))
        return len(claimed) >= free

    def _start(self, row: EndpointRecord, lag_ms: int) -> None:
        self.lags_ms.append(lag_ms)
        if len(self.lags_ms) > LAGS_KEPT:
            del self.lags_ms[: LAGS_KEPT // 2]
        task = asyncio.create_task(self._check(row), name=f"endpoint-check-{row.id}")
        self._running[row.id] = task
        task.add_done_callback(lambda _: self._running.pop(row.id, None))

    async def _check(self, row: EndpointRecord) -> None:
        try:
            outcome = await run_check(self.service.spec(row), self.context)
            await self.service.record(row.id, outcome, self.hub.clock.now_ms())
            self.checks_done += 1
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self.service.release(row.id)
            raise
        except Exception:
            log.exception("endpoint %s (%s): recording the check failed; it is retried when due", row.name, row.id)

    async def drain(self) -> None:
        """Wait for every check in flight (tests and shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def aclose(self) -> None:
        """Let the checks in flight finish (briefly), give up the rest, close the clients."""
        if self._running:
            _, pending = await asyncio.wait(list(self._running.values()), timeout=DRAIN_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        await self.context.aclose()


async def retention_step(hub: Hub) -> bool:
    """Drop raw results past their retention (in batches) and rollups past theirs."""
    settings = hub.settings
    now = hub.clock.now_ms()
    results_before = now - settings.endpoint_result_retention_hours * HOUR_MS
    rollups_before = now - settings.endpoint_rollup_retention_days * DAY_MS

    async def unit(conn: AsyncConnection) -> tuple[int, int]:
        return (
            await repo.prune_results(conn, results_before, PRUNE_BATCH),
            await repo.prune_rollups(conn, rollups_before),
        )

    results, rollups = await hub.store.write(unit)
    if results or rollups:
        log.info("endpoint retention removed %d results and %d hourly rollups", results, rollups)
    return results >= PRUNE_BATCH
