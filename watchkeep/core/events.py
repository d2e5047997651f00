"""The event bus. Events are frozen dataclasses, published after the write that caused
them has committed. Subscribers are registered in one place (`app.py`'s lifespan); SSE
streams take a queue of their own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

log = logging.getLogger("watchkeep.events")


@dataclass(frozen=True)
class Event:
    """Base of every event. `type` is the dotted name clients see (`agent.online`)."""

    type: ClassVar[str] = "event"
    at_ms: int = field(kw_only=True)

    def data(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "at_ms"}


Handler = Callable[[Event], Awaitable[None]]


class EventBus:
    def __init__(self, stream_buffer: int = 1000) -> None:
        self._handlers: list[Handler] = []
        self._streams: set[asyncio.Queue[Event]] = set()
        self._stream_buffer = stream_buffer

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    async def publish(self, *events: Event) -> None:
        for event in events:
            for handler in self._handlers:
                try:
                    await handler(event)
                except Exception:
                    log.exception("event handler %r failed on %s", handler, event.type)
            for queue in self._streams:
                if queue.full():
                    # A slow stream loses its oldest event rather than stalling everyone.
                    queue.get_nowait()
                queue.put_nowait(event)

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._stream_buffer)
        self._streams.add(queue)
        try:
            yield queue
        finally:
            self._streams.discard(queue)
