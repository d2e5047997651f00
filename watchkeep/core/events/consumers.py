"""Consumers of the event log: each reacts to the logged events in order, at least once,
through a cursor kept in the database.

A step reads the next events after the cursor and runs the reactions and the cursor's
advance in one write unit, so a reaction is committed exactly when the cursor passes its
event: a hub killed at any point reacts to every event once it is back. Each reaction runs in
a savepoint: one that fails is logged and skipped, so one bad event cannot stop the rest.
Reactions stay idempotent all the same (alerts dedupe by key, webhook deliveries take ids
made from the event id).

With several replicas each consumer is held by one at a time under a lease in its row, taken
over once the holder stops renewing it; the cursor's advance is also a compare-and-set on the
old position, so even a replica that lost its lease mid-step cannot react twice. A consumer
with nothing to do only reads: its lease lapses, and whichever replica next finds work takes
it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event
from watchkeep.core.events import log as event_log
from watchkeep.core.events.tables import event_consumers
from watchkeep.core.hub import Hub

log = logging.getLogger("watchkeep.events")

Reaction = Callable[[AsyncConnection, Event], Awaitable[list[Event]]]
BATCH = 200


class LeaseLost(RuntimeError):
    pass


class Consumer:
    """`react(conn, event)` makes its writes on `conn` (inside the step's transaction) and
    returns the events they caused, which are logged in that transaction too."""

    def __init__(self, hub: Hub, name: str, react: Reaction, types: Iterable[str] | None = None) -> None:
        self.hub = hub
        self.name = name
        self.react = react
        self.types = None if types is None else frozenset(types)
        self.holder = f"{name}:{secrets.token_hex(6)}"
        self.wake = asyncio.Event()
        self._registered = False

    def notice(self, event: Event) -> None:
        """A bus listener: a logged event this consumer wants has committed somewhere."""
        if event.logged and (self.types is None or event.type in self.types):
            self.wake.set()

    async def step(self) -> bool:
        """React to the next batch; True when there may be more."""
        self.wake.clear()
        await self.register()
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            cursor = await _cursor(conn, self.name)
            if cursor is None or await event_log.last_id(conn) <= cursor.position:
                return False  # nothing to do: an idle consumer writes nothing and lets its lease lapse
            if cursor.holder not in (None, self.holder) and (cursor.lease_until or 0) >= now:
                return False  # another replica is at work on it
            position = cursor.position
            events, last = await event_log.events_after(conn, position, BATCH)
        if last == position:
            return False
        wanted = [e for e in events if self.types is None or e.type in self.types]
        lease_ms = int(self.hub.settings.event_consumer_lease_seconds * 1000)

        async def unit(conn: AsyncConnection) -> list[Event]:
            # The lease first: on PostgreSQL its row stays locked until this commits, so
            # another replica's step waits and then finds the cursor moved.
            if await _claim(conn, self.name, self.holder, now, lease_ms) != position:
                raise LeaseLost(self.name)  # another replica took it, or moved the cursor, first
            caused: list[Event] = []
            for event in wanted:
                try:
                    async with conn.begin_nested():
                        produced = await self.react(conn, event)
                except Exception:
                    log.exception("consumer %s failed on event %s (%s); skipped", self.name, event.id, event.type)
                    continue
                caused.extend(produced)
            if not await _advance(conn, self.name, self.holder, position, last, self.hub.clock.now_ms()):
                raise LeaseLost(self.name)
            return await event_log.append(conn, caused)

        try:
            caused = await self.hub.store.write(unit)
        except LeaseLost:
            log.debug("consumer %s is held by another replica", self.name)
            return False
        if caused:
            await self.hub.bus.publish(*caused)
        return True

    async def release(self) -> None:
        """Give the lease up (on shutdown), so another replica takes over at once."""

        async def unit(conn: AsyncConnection) -> None:
            await conn.execute(
                update(event_consumers)
                .where(event_consumers.c.name == self.name, event_consumers.c.holder == self.holder)
                .values(holder=None, lease_until=None)
            )

        await self.hub.store.write(unit)

    async def register(self) -> None:
        """Create the consumer's row if it has none, starting at the end of the log: a new
        consumer reacts to what happens from now on. The hub registers its consumers before
        anything can log an event."""
        if self._registered:
            return
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> None:
            found = await conn.execute(select(event_consumers.c.name).where(event_consumers.c.name == self.name))
            if found.first() is None:
                row = {"name": self.name, "position": await event_log.last_id(conn), "updated_at": now}
                await conn.execute(insert(event_consumers).values(row))

        # Another replica may register it at the same moment.
        with contextlib.suppress(IntegrityError):
            await self.hub.store.write(unit)
        self._registered = True


@dataclass(frozen=True, slots=True)
class Cursor:
    position: int
    holder: str | None
    lease_until: int | None


async def _cursor(conn: AsyncConnection, name: str) -> Cursor | None:
    query = select(event_consumers.c.position, event_consumers.c.holder, event_consumers.c.lease_until).where(
        event_consumers.c.name == name
    )
    row = (await conn.execute(query)).first()
    return None if row is None else Cursor(int(row.position), row.holder, row.lease_until)


async def _claim(conn: AsyncConnection, name: str, holder: str, now: int, lease_ms: int) -> int | None:
    """Take or renew the lease; the cursor's position when this replica holds it."""
    free = (
        (event_consumers.c.holder.is_(None))
        | (event_consumers.c.holder == holder)
        | (event_consumers.c.lease_until < now)
    )
    result = await conn.execute(
        update(event_consumers)
        .where(event_consumers.c.name == name, free)
        .values(holder=holder, lease_until=now + lease_ms, updated_at=now)
        .returning(event_consumers.c.position)
    )
    position = result.scalar_one_or_none()
    return None if position is None else int(position)


async def _advance(conn: AsyncConnection, name: str, holder: str, old: int, new: int, now: int) -> bool:
    result = await conn.execute(
        update(event_consumers)
        .where(
            event_consumers.c.name == name,
            event_consumers.c.holder == holder,
            event_consumers.c.position == old,
        )
        .values(position=new, updated_at=now)
    )
    return bool(result.rowcount)


async def positions(conn: AsyncConnection) -> dict[str, int]:
    """Every consumer's cursor (for tests and the runtime status)."""
    rows = await conn.execute(select(event_consumers.c.name, event_consumers.c.position))
    return {row.name: int(row.position) for row in rows}
