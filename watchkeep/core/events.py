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


# Agents (watchkeep/agents)


@dataclass(frozen=True)
class AgentRegistered(Event):
    type: ClassVar[str] = "agent.registered"
    agent_id: str
    name: str
    hostname: str | None = None


@dataclass(frozen=True)
class AgentOnline(Event):
    type: ClassVar[str] = "agent.online"
    agent_id: str
    name: str
    last_seen_ms: int | None = None


@dataclass(frozen=True)
class AgentDelayed(Event):
    type: ClassVar[str] = "agent.delayed"
    agent_id: str
    name: str
    last_seen_ms: int | None = None


@dataclass(frozen=True)
class AgentOffline(Event):
    type: ClassVar[str] = "agent.offline"
    agent_id: str
    name: str
    last_seen_ms: int | None = None


@dataclass(frozen=True)
class ResourceSnapshot(Event):
    type: ClassVar[str] = "resource.snapshot"
    agent_id: str
    cpu_percent: float | None = None
    memory_used_mb: float | None = None
    memory_total_mb: float | None = None
    disk_used_gb: float | None = None
    disk_total_gb: float | None = None


# Heartbeats (watchkeep/heartbeats)


@dataclass(frozen=True)
class HeartbeatPinged(Event):
    type: ClassVar[str] = "heartbeat.pinged"
    heartbeat_id: str
    name: str
    kind: str  # success | start | fail | log | exit code
    exit_code: int | None = None


@dataclass(frozen=True)
class HeartbeatDeadlineMissed(Event):
    type: ClassVar[str] = "heartbeat.deadline_missed"
    heartbeat_id: str
    name: str
    deadline_ms: int
    reason: str  # "no ping" | "started, never finished"
    # True for a deadline that passed while the hub was not running, reported at start.
    during_outage: bool = False


@dataclass(frozen=True)
class HeartbeatFailed(Event):
    type: ClassVar[str] = "heartbeat.failed"
    heartbeat_id: str
    name: str
    exit_code: int | None = None


@dataclass(frozen=True)
class HeartbeatRecovered(Event):
    type: ClassVar[str] = "heartbeat.recovered"
    heartbeat_id: str
    name: str
