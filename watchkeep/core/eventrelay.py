"""Events across hub replicas on PostgreSQL: each replica sends what it publishes with
NOTIFY on one channel and LISTENs for the others', which it hands to its own streams.

A notification carries the origin replica, so a replica skips its own. NOTIFY payloads are
limited to 8,000 bytes; events are small, and one that is not is logged and kept local.
When the listening connection drops, the relay reconnects with backoff; events sent while
it was down are not replayed (streams are live views; the state they show is in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from watchkeep.core.events import Event, EventBus, UnknownEvent

log = logging.getLogger("watchkeep.events")

CHANNEL = "watchkeep_events"
MAX_PAYLOAD_BYTES = 7_900


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresEventRelay:
    def __init__(self, database_url: str, bus: EventBus, *, reconnect_max_seconds: float = 30.0) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._bus = bus
        self.origin = secrets.token_hex(8)
        self._reconnect_max = reconnect_max_seconds
        self._listener: asyncpg.Connection | None = None
        self._sender: asyncpg.Connection | None = None
        self._send_lock = asyncio.Lock()
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect()
        self._bus.attach_relay(self.send)
        self._supervisor = asyncio.create_task(self._reconnect_when_lost(), name="event-relay")

    async def close(self) -> None:
        self._bus.attach_relay(None)
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._disconnect()

    async def send(self, event: Event) -> None:
        payload = json.dumps(
            {"origin": self.origin, "type": event.type, "atMs": event.at_ms, "data": event.data()},
            separators=(",", ":"),
            default=str,
        )
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            log.warning("event %s is too large to relay to other replicas; kept local", event.type)
            return
        async with self._send_lock:
            if self._sender is None or self._sender.is_closed():
                self._sender = await asyncpg.connect(self._dsn, timeout=5)
            await self._sender.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            if message.get("origin") == self.origin:
                return
            event = Event.rebuild(str(message["type"]), int(message["atMs"]), dict(message["data"]))
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
        connections, self._listener, self._sender = (self._listener, self._sender), None, None
        for conn in connections:
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await conn.close(timeout=5)

    async def _reconnect_when_lost(self) -> None:
        while True:
            await self._lost.wait()
            log.warning("lost the event relay connection; reconnecting")
            delay = 0.5
            while True:
                await self._disconnect()
                try:
                    await self._connect()
                    log.info("event relay reconnected")
                    break
                except (OSError, asyncpg.PostgresError, TimeoutError):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._reconnect_max)
