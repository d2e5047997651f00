"""Events in tests: logging them the way a monitor's write unit does, and waiting until the
hub's consumers have reacted to the whole log."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.hub import RunningHub
from watchkeep.core.events import Event
from watchkeep.core.events import log as event_log
from watchkeep.core.events.consumers import positions


async def record(running: RunningHub, *events: Event) -> list[Event]:
    """Log `events` in a write of their own, publish them, and wait for the reactions."""

    async def unit(conn: AsyncConnection) -> list[Event]:
        return await event_log.append(conn, list(events))

    logged = await running.hub.store.write(unit)
    await running.hub.bus.publish(*logged)
    await settled(running)
    return logged


async def settled(running: RunningHub, timeout: float = 30) -> None:
    """Wait until the cursor of every consumer the hub runs is at the end of the log."""
    names = {consumer.name for consumer in running.app.state.event_consumers}
    async with asyncio.timeout(timeout):
        while True:
            async with running.hub.store.read() as conn:
                last = await event_log.last_id(conn)
                cursors = await positions(conn)
            if all(cursors.get(name, -1) >= last for name in names):
                return
            await asyncio.sleep(0.01)
