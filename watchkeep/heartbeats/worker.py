"""Background work of heartbeats: firing missed deadlines, and retention.

Due times live in the database (`heartbeats.down_at`). Every replica runs the deadlines
step; each overdue monitor is claimed with a compare-and-set on its status and deadline, so
exactly one replica records the change and logs its event. The change is dated at the
deadline itself, not at the moment the worker noticed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event, HeartbeatDeadlineMissed
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.heartbeats import repository as repo
from watchkeep.heartbeats.pings import record_flip

log = logging.getLogger("watchkeep.heartbeats")

BATCH = 500
DAY_MS = 86_400_000


class DeadlineWorker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.started_ms = hub.clock.now_ms()
        self._caught_up = False
        # Set once the first step has evaluated and reported the deadlines missed before start.
        self.caught_up = asyncio.Event()

    async def step(self) -> bool:
        """Fire every deadline that has passed. The first step after start evaluates the
        deadlines missed while the hub was down: each once, all reported together."""
        if not self._caught_up:
            self._caught_up = True
            events: list[Event] = []
            while True:
                batch, full = await self._fire_batch(during_outage=True)
                events.extend(batch)
                if not full:
                    break
            if events:
                names = ", ".join(sorted({e.name for e in events if isinstance(e, HeartbeatDeadlineMissed)}))
                log.warning("%d heartbeat deadlines passed while the hub was down: %s", len(events), names)
                await self.hub.bus.publish(*events)
            self.caught_up.set()
            return False
        events, full = await self._fire_batch(during_outage=False)
        if events:
            await self.hub.bus.publish(*events)
        return full

    async def _fire_batch(self, *, during_outage: bool) -> tuple[list[Event], bool]:
        """Claim up to BATCH overdue monitors: the events fired, and whether the batch was full."""
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            candidates = await repo.overdue(conn, now, BATCH)
        if not candidates:
            return [], False

        async def unit(conn: AsyncConnection) -> list[Event]:
            fired: list[Event] = []
            for monitor in candidates:
                event = await _claim(
                    conn, monitor, during_outage=during_outage and monitor["down_at"] < self.started_ms
                )
                if event is not None:
                    fired.append(event)
            return await append(conn, fired)

        events = await self.hub.store.write(unit)
        for event in events:
            assert isinstance(event, HeartbeatDeadlineMissed)
            log.info("heartbeat %s (%s) missed its deadline: %s", event.name, event.heartbeat_id, event.reason)
        return events, len(candidates) >= BATCH


async def _claim(conn: AsyncConnection, monitor: RowMapping, *, during_outage: bool) -> Event | None:
    deadline: int = monitor["down_at"]
    started = monitor["status"] == "started"
    values: dict[str, Any] = {"status": "down", "down_at": None, "last_start_at": None}
    if not await repo.claim_deadline(conn, monitor["id"], status=monitor["status"], down_at=deadline, values=values):
        return None  # another replica, or a ping, got there first
    if started:
        await repo.time_out_open_executions(conn, monitor["id"], deadline)
    await record_flip(repo.PingRows(conn), monitor["id"], deadline, monitor["status"], "down", "deadline")
    return HeartbeatDeadlineMissed(
        heartbeat_id=monitor["id"],
        name=monitor["name"],
        deadline_ms=deadline,
        reason="started, never finished" if started else "no ping",
        during_outage=during_outage,
        at_ms=deadline,
    )


async def retention_step(hub: Hub) -> bool:
    """Keep the newest pings of each monitor and the recent executions."""
    settings = hub.settings
    cutoff = hub.clock.now_ms() - settings.heartbeat_execution_retention_days * DAY_MS

    async def unit(conn: AsyncConnection) -> int:
        removed = await repo.prune_pings(conn, settings.heartbeat_ping_retention)
        return removed + await repo.prune_executions(conn, cutoff)

    removed = await hub.store.write(unit)
    if removed:
        log.info("heartbeat retention removed %d old pings and executions", removed)
    return False
