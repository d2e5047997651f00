"""The event bus. Events are frozen dataclasses, published after the write that caused
them has committed. Subscribers are registered in one place (`app.py`'s lifespan); SSE
streams take a queue of their own.

Handlers see the events of their own replica only: each replica acts on what it did, so two
replicas never act twice on one event. Streams see every replica's events once a relay
(`core/eventrelay.py`, PostgreSQL LISTEN/NOTIFY) is attached, so a browser connected to any
replica sees everything."""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

log = logging.getLogger("watchkeep.events")


class UnknownEvent(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    """Base of every event. `type` is the dotted name clients see (`agent.online`)."""

    type: ClassVar[str] = "event"
    _types: ClassVar[dict[str, builtins.type[Event]]] = {}
    at_ms: int = field(kw_only=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:  # a shared base such as AlertEvent names no type of its own
            Event._types[cls.type] = cls

    def data(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "at_ms"}

    @staticmethod
    def rebuild(type_: str, at_ms: int, data: dict[str, Any]) -> Event:
        """The event of that type from the fields `data()` gave (unknown fields dropped)."""
        cls = Event._types.get(type_)
        if cls is None:
            raise UnknownEvent(type_)
        known = {f.name for f in fields(cls)}
        return cls(at_ms=at_ms, **{k: v for k, v in data.items() if k in known})


Handler = Callable[[Event], Awaitable[None]]
Relay = Callable[[Event], None]


class EventBus:
    def __init__(self, stream_buffer: int = 1000) -> None:
        self._handlers: list[tuple[Handler, frozenset[str] | None]] = []
        self._streams: set[asyncio.Queue[Event]] = set()
        self._stream_buffer = stream_buffer
        self._relay: Relay | None = None

    def subscribe(self, handler: Handler, types: Iterable[str] | None = None) -> None:
        """Call `handler` with every event published here, or with those of `types` only
        (the others skip it without a call: events such as `resource.snapshot` come with
        every stored payload)."""
        self._handlers.append((handler, None if types is None else frozenset(types)))

    def attach_relay(self, relay: Relay | None) -> None:
        """Send every event published here to the other replicas too (or stop, with None)."""
        self._relay = relay

    async def publish(self, *events: Event) -> None:
        for event in events:
            for handler, types in self._handlers:
                if types is not None and event.type not in types:
                    continue
                try:
                    await handler(event)
                except Exception:
                    log.exception("event handler %r failed on %s", handler, event.type)
            self._to_streams(event)
            if self._relay is not None:
                self._relay(event)

    def deliver_remote(self, event: Event) -> None:
        """An event another replica published: for the streams only (see the module doc)."""
        self._to_streams(event)

    def _to_streams(self, event: Event) -> None:
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


# Alerts, silences, notifications and webhooks (watchkeep/alerts, notify, webhooks)


@dataclass(frozen=True)
class AlertEvent(Event):
    """What `alert.fired` and `alert.resolved` both say about the alert."""

    alert_id: str
    source: str
    alert_type: str
    severity: str
    message: str
    entity_type: str
    entity_id: str
    entity_name: str | None = None


@dataclass(frozen=True)
class AlertFired(AlertEvent):
    """A new alert, or a higher severity of one still firing (`upgraded`)."""

    type: ClassVar[str] = "alert.fired"
    silenced: bool = False
    upgraded: bool = False


@dataclass(frozen=True)
class AlertResolved(AlertEvent):
    type: ClassVar[str] = "alert.resolved"


@dataclass(frozen=True)
class AlertAcknowledged(Event):
    type: ClassVar[str] = "alert.acknowledged"
    alert_id: str
    acknowledged_by: str


@dataclass(frozen=True)
class SilenceCreated(Event):
    type: ClassVar[str] = "silence.created"
    silence_id: str
    starts_at_ms: int
    ends_at_ms: int
    created_by: str
    comment: str


@dataclass(frozen=True)
class SilenceExpired(Event):
    type: ClassVar[str] = "silence.expired"
    silence_id: str
    ended_early: bool = False


@dataclass(frozen=True)
class ChannelDeliveryFailed(Event):
    type: ClassVar[str] = "channel.delivery_failed"
    channel_id: str
    delivery_id: str
    attempts: int
    error: str
    permanent: bool = False


@dataclass(frozen=True)
class WebhookDisabled(Event):
    type: ClassVar[str] = "webhook.disabled"
    webhook_id: str
    consecutive_failures: int
    last_error: str
