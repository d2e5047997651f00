"""Server-sent event streams of every replica's events.

Logged events reach the streams from the event log, never from memory: one tailer per hub
process reads the log forward in id order (woken by the bus, and polling as a fallback) and
hands each event to every connected client, so a stream sees logged events in commit order
on every replica. Live-only events come straight from the bus.

A client that reconnects with `Last-Event-ID` first replays the log after that id, while
live events already queue for it; it then sends the queued ones it has not sent, so the
switch from replay to live loses and repeats nothing. Each client has a bounded queue: a
client that falls behind it gets a last `overflow` frame and is closed (it may reconnect
with its last id), and never holds up the others."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event, envelope
from watchkeep.core.events import log as event_log
from watchkeep.core.hub import Hub

log = logging.getLogger("watchkeep.events")

REPLAY_BATCH = 500
OVERFLOW = b'event: overflow\ndata: {"reason":"the client fell too far behind; reconnect with Last-Event-ID"}\n\n'
KEEP_ALIVE = b": keep-alive\n\n"
CONNECTED = b": connected\nretry: 3000\n\n"


@dataclass(frozen=True, slots=True)
class Frame:
    id: int | None
    type: str
    data: bytes


def frame_of(event: Event) -> Frame:
    body = json.dumps(envelope(event.id, event.type, event.at_ms, event.data()), separators=(",", ":"), default=str)
    head = f"id: {event.id}\n" if event.id is not None else ""
    return Frame(event.id, event.type, f"{head}event: {event.type}\ndata: {body}\n\n".encode())


class TypeFilter:
    """`?types=heartbeat.*,alert.fired`: exact names and `prefix.*`; empty means all."""

    def __init__(self, spec: str | None, known: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        known_names = set(known)
        for raw in (spec or "").split(","):
            name = raw.strip()
            if not name:
                continue
            if name == "*":
                self.exact.clear()
                self.prefixes = [""]
            elif name.endswith(".*") and len(name) > 2:
                self.prefixes.append(name[:-1])
            elif name in known_names:
                self.exact.add(name)
            else:
                raise validation_error(
                    f"unknown event type {name!r}; give event types or prefixes such as heartbeat.*", "types"
                )
        self.everything = (not self.exact and not self.prefixes) or "" in self.prefixes
        self._answers: dict[str, bool] = {}

    def wants(self, event_type: str) -> bool:
        if self.everything:
            return True
        answer = self._answers.get(event_type)
        if answer is None:
            answer = event_type in self.exact or any(event_type.startswith(p) for p in self.prefixes)
            self._answers[event_type] = answer
        return answer


class StreamClient:
    def __init__(self, types: TypeFilter, queue_size: int, start_position: int) -> None:
        self.types = types
        self.start_position = start_position
        self._frames: deque[Frame] = deque()
        self.queue_size = queue_size
        self._ready = asyncio.Event()
        self.overflowed = False
        self.ending = False

    def offer(self, frame: Frame) -> None:
        if self.overflowed or not self.types.wants(frame.type):
            return
        if len(self._frames) >= self.queue_size:
            self.overflowed = True
            self._frames.clear()
        else:
            self._frames.append(frame)
        self._ready.set()

    def end(self) -> None:
        self.ending = True
        self._ready.set()

    async def take(self, timeout: float) -> list[Frame]:
        """Every queued frame, once there is one; none when none came within `timeout` or
        the client overflowed. Sending them together keeps a client up with a busy hub."""
        if not self._frames and not self.overflowed and not self.ending:
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout)
        if self.overflowed:
            return []
        frames = list(self._frames)
        self._frames.clear()
        return frames


class EventStreams:
    """This hub process's streams, and the tailer that feeds them the log."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.clients: set[StreamClient] = set()
        self.position = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ending = False

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with self.hub.store.read() as conn:
            self.position = await event_log.last_id(conn)
        self.hub.bus.listen(self._on_event)
        self._task = asyncio.create_task(self._tail(), name="watchkeep-event-streams")

    async def close(self) -> None:
        self.hub.bus.unlisten(self._on_event)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def end_all_soon(self) -> None:
        """End every stream (the server is shutting down, and waits for open responses):
        callable from a signal handler. Clients reconnect, to another replica if there is one."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._end_all)

    def _end_all(self) -> None:
        self._ending = True
        for client in self.clients:
            client.end()

    def _on_event(self, event: Event) -> None:
        if event.logged:
            self._wake.set()
        elif self.clients:
            self._fan_out(frame_of(event))

    def _fan_out(self, frame: Frame) -> None:
        for client in self.clients:
            client.offer(frame)

    async def _tail(self) -> None:
        poll = self.hub.settings.event_poll_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)
            self._wake.clear()
            try:
                await self._catch_up()
            except Exception:
                log.warning("reading the event log for the streams failed; retrying", exc_info=True)
                await asyncio.sleep(poll)

    async def _catch_up(self) -> None:
        while True:
            async with self.hub.store.read() as conn:
                events, last = await event_log.events_after(conn, self.position, REPLAY_BATCH)
            if self.clients:
                for event in events:
                    self._fan_out(frame_of(event))
            if last == self.position:
                return
            self.position = last

    def connect(self, types: TypeFilter) -> StreamClient:
        """A new client, registered where the tailer stands: every later logged event and
        every live-only one reaches its queue from now on."""
        client = StreamClient(types, self.hub.settings.sse_client_queue_size, self.position)
        if self._ending:
            client.end()
        self.clients.add(client)
        return client

    async def frames(self, client: StreamClient, last_event_id: int | None) -> AsyncIterator[bytes]:
        """A connected client's stream: the replay after `last_event_id`, then live frames,
        with a keep-alive comment when nothing was sent for a while."""
        types = client.types
        sent = client.start_position
        try:
            yield CONNECTED
            if last_event_id is not None:
                sent = last_event_id
                async for replayed in self._replay(types, last_event_id):
                    sent = replayed.id or sent
                    yield replayed.data
            keep_alive = self.hub.settings.sse_keepalive_seconds
            while True:
                frames = await client.take(keep_alive)
                if client.ending:
                    return
                if client.overflowed:
                    log.info("an event stream client fell behind its queue of %d frames; closed", client.queue_size)
                    yield OVERFLOW
                    return
                if not frames:
                    yield KEEP_ALIVE
                    continue
                chunk = []
                for frame in frames:
                    if frame.id is not None:
                        if frame.id <= sent:
                            continue  # sent already by the replay
                        sent = frame.id
                    chunk.append(frame.data)
                if chunk:
                    yield b"".join(chunk)
        finally:
            self.disconnect(client)

    def disconnect(self, client: StreamClient) -> None:
        self.clients.discard(client)

    async def _replay(self, types: TypeFilter, after: int) -> AsyncIterator[Frame]:
        position = after
        while True:
            async with self.hub.store.read() as conn:
                events, last = await event_log.events_after(conn, position, REPLAY_BATCH)
            for event in events:
                if types.wants(event.type):
                    yield frame_of(event)
            if last == position:
                return
            position = last


def parse_last_event_id(header: str | None, query: str | None) -> int | None:
    raw = header if header is not None else query
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        field = "Last-Event-ID" if header is not None else "lastEventId"
        raise validation_error("the last event id is the integer `id:` of a frame this stream sent", field) from None
    if value < 0:
        raise validation_error("the last event id cannot be negative", "lastEventId")
    return value


class EventStreamResponse(Response):
    """`text/event-stream` from an async iterator of frames. The stream ends when the iterator
    does, or when the client goes away; a client that accepts no bytes for `stall_seconds`
    (its socket buffers full) is cut off."""

    media_type = "text/event-stream"

    def __init__(
        self, frames: AsyncIterator[bytes], stall_seconds: float, on_close: Callable[[], None] | None = None
    ) -> None:
        # No body and so no Content-Length: the stream is sent in chunks until it ends.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.frames = frames
        self.stall_seconds = stall_seconds
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})

        async def write() -> None:
            async for chunk in self.frames:
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": chunk, "more_body": True}), self.stall_seconds
                )
            await asyncio.wait_for(send({"type": "http.response.body", "body": b""}), self.stall_seconds)

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        writer = asyncio.create_task(write())
        watcher = asyncio.create_task(until_disconnect())
        try:
            await asyncio.wait({writer, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, watcher):
                task.cancel()
            await asyncio.gather(writer, watcher, return_exceptions=True)
            aclose = getattr(self.frames, "aclose", None)
            if aclose is not None:
                await aclose()
            if self.on_close is not None:
                self.on_close()
        failure = writer.exception() if writer.done() and not writer.cancelled() else None
        if isinstance(failure, TimeoutError):
            log.info("an event stream client accepted nothing for %.0fs; closed", self.stall_seconds)
        elif failure is not None:
            log.error("an event stream failed", exc_info=failure)
