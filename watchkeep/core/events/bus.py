"""The in-memory bus: how a hub process hears of events once they have committed.

It carries no record. A logged event is already in the event log when it is published here:
the bus only wakes the log's readers (the consumers and the SSE streams) sooner than their
poll would. A live-only event exists only here: the streams fan it out as it comes.

`listen` callbacks hear every event, this replica's and, once a relay is attached
(`core/events/relay.py`, PostgreSQL LISTEN/NOTIFY), the other replicas'. `subscribe`
handlers are observers of this replica's own events (tests, in-process caches): a reaction
that must happen belongs in a consumer of the log, which survives a crash."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

from watchkeep.core.events import Event

log = logging.getLogger("watchkeep.events")

Handler = Callable[[Event], Awaitable[None]]
Listener = Callable[[Event], None]
Relay = Callable[[Event], None]

# Fault injection for the crash tests: the process kills itself the moment an event of this
# type has committed, before anything could react to it. Read from the environment only.
KILL_AFTER_ENV = "WATCHKEEP_TEST_KILL_AFTER_EVENT"


class EventBus:
    def __init__(self, stream_buffer: int = 1000) -> None:
        self._handlers: list[tuple[Handler, frozenset[str] | None]] = []
        self._listeners: list[Listener] = []
        self._stream_buffer = stream_buffer
        self._relay: Relay | None = None
        self._kill_after = os.environ.get(KILL_AFTER_ENV) or None

    def subscribe(self, handler: Handler, types: Iterable[str] | None = None) -> None:
        """Call `handler` with every event published by this replica, or with those of
        `types` only."""
        self._handlers.append((handler, None if types is None else frozenset(types)))

    def listen(self, listener: Listener) -> None:
        """Call `listener` (synchronously, so it must not block) with every event of every
        replica."""
        self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def attach_relay(self, relay: Relay | None) -> None:
        """Send every event published here to the other replicas too (or stop, with None)."""
        self._relay = relay

    async def publish(self, *events: Event) -> None:
        """Announce events whose write has committed (logged ones carry their log id)."""
        for event in events:
            if event.type == self._kill_after:
                log.warning("%s=%s: killing this process", KILL_AFTER_ENV, event.type)
                os.kill(os.getpid(), signal.SIGKILL)
            for handler, types in self._handlers:
                if types is not None and event.type not in types:
                    continue
                try:
                    await handler(event)
                except Exception:
                    log.exception("event handler %r failed on %s", handler, event.type)
            self._tell_listeners(event)
            if self._relay is not None:
                self._relay(event)

    def deliver_remote(self, event: Event) -> None:
        """An event another replica published."""
        self._tell_listeners(event)

    def _tell_listeners(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %s", listener, event.type)

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue of every event of every replica from now on; a full queue loses its oldest."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self._stream_buffer)

        def put(event: Event) -> None:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

        self.listen(put)
        try:
            yield queue
        finally:
            self.unlisten(put)
