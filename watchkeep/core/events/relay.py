"""Events across hub replicas on PostgreSQL: each replica sends what it publishes with
NOTIFY on one channel and LISTENs for the others', which it hands to its own bus listeners:
live-only events go to its streams, logged ones wake its streams' tailer and its consumers
(which then read them from the log).

A notification carries the origin replica, so a replica skips its own. Publishing never
waits on the relay: events queue in memory and a sender task notifies them in batches, one
statement per batch (a full queue loses its oldest, as a slow stream does). NOTIFY payloads
are limited to 8,000 bytes; events are small, and one that is not is logged and kept local.
When the listening connection drops, the relay reconnects with backoff; live-only events sent
while it was down are lost to its streams, and logged ones are read from the log at the next
poll."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections import deque
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from watchkeep.core.events import Event, UnknownEvent
from watchkeep.core.events.bus import EventBus

log = logging.getLogger("watchkeep.events")

CHANNEL = "watchkeep_events"
MAX_PAYLOAD_BYTES = 7_900
BATCH_SIZE = 500
# Each payload carries a sequence number: PostgreSQL folds identical payloads sent in one
# transaction into one notification.
NOTIFY_BATCH = "SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS t(payload, n) ORDER BY n"


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresEventRelay:
    def __init__(
        self,
        database_url: str,
        bus: EventBus,
        *,
        reconnect_max_seconds: float = 30.0,
        queue_size: int = 10_000,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._bus = bus
        self.origin = secrets.token_hex(8)
        self._reconnect_max = reconnect_max_seconds
        self._listener: asyncpg.Connection | None = None
        self._sender: asyncpg.Connection | None = None
        self._outgoing: deque[str] = deque(maxlen=queue_size)
        self._has_outgoing = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._sequence = itertools.count()
        self._lost = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self._connect()
        self._bus.attach_relay(self.send)
        self._tasks = [
            asyncio.create_task(self._reconnect_when_lost(), name="event-relay-listen"),
            asyncio.create_task(self._send_loop(), name="event-relay-send"),
        ]

    async def close(self) -> None:
        self._bus.attach_relay(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(), timeout=5)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._disconnect()

    def send(self, event: Event) -> None:
        payload = json.dumps(
            {
                "origin": self.origin,
                "seq": next(self._sequence),
                "type": event.type,
                "id": event.id,
                "atMs": event.at_ms,
                "data": event.data(),
            },
            separators=(",", ":"),
            default=str,
        )
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            log.warning("event %s is too large to relay to other replicas; kept local", event.type)
            return
        self._outgoing.append(payload)
        self._has_outgoing.set()

    async def _send_loop(self) -> None:
        while True:
            await self._has_outgoing.wait()
            try:
                await self._flush()
            except Exception:
                # Whatever broke the sending connection (a dropped socket, a protocol error),
                # the events stay queued and a fresh connection sends them.
                log.warning("relaying events to the other replicas failed; retrying", exc_info=True)
                await self._close_sender()
                await asyncio.sleep(1)

    async def _flush(self) -> None:
        async with self._flushing:
            await self._send_queued()

    async def _send_queued(self) -> None:
        while self._outgoing:
            batch = [self._outgoing.popleft() for _ in range(min(BATCH_SIZE, len(self._outgoing)))]
            try:
                if self._sender is None or self._sender.is_closed():
                    self._sender = await asyncpg.connect(self._dsn, timeout=5)
                await self._sender.execute(NOTIFY_BATCH, CHANNEL, batch)
            except BaseException:
                self._outgoing.extendleft(reversed(batch))
                raise
        self._has_outgoing.clear()

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            if message.get("origin") == self.origin:
                return
            event_id = message.get("id")
            event = Event.rebuild(
                str(message["type"]),
                int(message["atMs"]),
                dict(message["data"]),
                None if event_id is None else int(event_id),
            )
        except UnknownEvent as exc:
            # A newer replica during a rolling upgrade may publish types this one lacks.
            log.debug("skipping relayed event of unknown type %s", exc)
            return
        except (ValueError, KeyError, TypeError):
            log.warning("skipping a malformed relayed event")
            return
        self._bus.deliver_remote(event)

    def _on_termination(self, conn: Any) -> None:
        if conn is self._listener:
            self._lost.set()

    async def _connect(self) -> None:
        listener = await asyncpg.connect(self._dsn, timeout=5)
        listener.add_termination_listener(self._on_termination)
        await listener.add_listener(CHANNEL, self._on_notification)
        self._listener = listener
        self._lost.clear()

    async def _disconnect(self) -> None:
        await self._close_listener()
        await self._close_sender()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        await _close(listener)

    async def _close_sender(self) -> None:
        # Only the send loop (or close, after it) uses the sender, so closing it never cuts
        # a statement in flight.
        sender, self._sender = self._sender, None
        await _close(sender)

    async def _reconnect_when_lost(self) -> None:
        while True:
            await self._lost.wait()
            log.warning("lost the event relay connection; reconnecting")
            delay = 0.5
            while True:
                await self._close_listener()
                try:
                    await self._connect()
                    log.info("event relay reconnected")
                    break
                except (OSError, asyncpg.PostgresError, TimeoutError):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._reconnect_max)


async def _close(conn: asyncpg.Connection | None) -> None:
    if conn is not None and not conn.is_closed():
        with contextlib.suppress(Exception):
            await conn.close(timeout=5)
