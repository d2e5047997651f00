"""Event log retention: events older than the retention period or beyond the newest
`event_log_max_events` are deleted, but never before every active consumer has reacted."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import log as event_log
from watchkeep.core.hub import Hub

log = logging.getLogger("watchkeep.events")

DAY_MS = 86_400_000
# A consumer that has not stepped for this long (one no replica runs any more) stops holding
# events back.
CONSUMER_ACTIVE_MS = 7 * DAY_MS


async def retention_step(hub: Hub) -> bool:
    settings = hub.settings
    now = hub.clock.now_ms()

    async def unit(conn: AsyncConnection) -> int:
        return await event_log.prune(
            conn,
            older_than_ms=now - settings.event_log_retention_days * DAY_MS,
            keep=settings.event_log_max_events,
            active_since_ms=now - CONSUMER_ACTIVE_MS,
        )

    removed = await hub.store.write(unit)
    if removed:
        log.info("event log retention removed %d events", removed)
    return False
