"""A container's logs: for a container of the hub's own engine, read from the engine; for an
agent's container, the lines its agent sent, and requests for more (listed in the agent's
config, answered in its next payload; see docs/agents.md "Container logs").

A stream is an SSE response: `event: log` frames (`{stream, at, text}`; an agent container's
carry the stored line's `id:`, so a reconnect with Last-Event-ID resumes after it), keep-alive
comments, and a final `event: end` when the engine ends the stream (the container stopped)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers import log_repository as repo
from watchkeep.containers import repository as containers_repo
from watchkeep.containers.enginelogs import LogFilter, engine_error, follow, last_lines
from watchkeep.containers.log_repository import LogRequestRecord, StoredLine
from watchkeep.core.clock import to_ms
from watchkeep.core.errors import not_found, validation_error
from watchkeep.core.events import Event
from watchkeep.core.events.streams import CONNECTED, KEEP_ALIVE, OVERFLOW, EventStreams, Frame, StreamClient, TypeFilter
from watchkeep.core.hub import Hub
from watchkeep.protocol.docker import EngineClient, EngineUnavailable, LogLine

DEFAULT_TAIL = 100
MAX_TAIL = 5000
# A follow request runs this long past its last renewal; an open stream renews it twice as often.
FOLLOW_WINDOW_MS = 60_000
RENEW_SECONDS = 20.0
# A stream reads newly stored lines when a payload brought some (the bus says so), and at
# least this often (a payload stored by another replica whose event did not reach this one).
POLL_SECONDS = 5.0
# A new request is not made while one made this recently still waits for its answer.
REUSE_REQUEST_MS = 60_000

_EPOCH = re.compile(r"^\d{1,12}(\.\d{1,9})?$")
_LOGS_RECEIVED = "container.logs_received"


def parse_filter(tail: str | None, since: str | None, stream: str | None) -> LogFilter:
    """The query's `tail` (0..5000, default 100), `since` (RFC 3339 or epoch seconds) and
    `stream` (stdout | stderr; both when omitted); a bad one is a 400 naming it."""
    count = DEFAULT_TAIL
    if tail is not None and tail.strip() != "":
        try:
            count = int(tail)
        except ValueError:
            raise validation_error("tail is a whole number of lines", "tail") from None
        if not 0 <= count <= MAX_TAIL:
            raise validation_error(f"tail is between 0 and {MAX_TAIL} lines", "tail")
    since_ms = None
    if since is not None and since.strip() != "":
        since_ms = _since_ms(since.strip())
    if stream is not None and stream.strip() != "":
        if stream not in ("stdout", "stderr"):
            raise validation_error("stream is stdout or stderr (omit it for both)", "stream")
    else:
        stream = None
    return LogFilter(count, since_ms, stream)


def _since_ms(raw: str) -> int:
    if _EPOCH.match(raw):
        return int(float(raw) * 1000)
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise validation_error("since is an RFC 3339 time (2026-04-15T12:00:00Z) or epoch seconds", "since") from None
    if when.tzinfo is None:
        raise validation_error("since needs a time zone (Z or an offset)", "since")
    return to_ms(when.astimezone(UTC))


def engine_line_out(line: LogLine) -> dict[str, Any]:
    return {"stream": line.stream, "at": line.at, "text": line.text}


def stored_line_out(line: StoredLine) -> dict[str, Any]:
    return {"stream": line.stream, "at": line.at_text, "text": line.text}


def _frame(line: dict[str, Any], line_id: int | None = None) -> bytes:
    head = f"id: {line_id}\n" if line_id is not None else ""
    return f"{head}event: log\ndata: {json.dumps(line, separators=(',', ':'))}\n\n".encode()


def _end(reason: str) -> bytes:
    return f"event: end\ndata: {json.dumps({'reason': reason})}\n\n".encode()


@dataclass(frozen=True)
class LogAnswer:
    source: str  # engine | agent
    lines: list[dict[str, Any]]
    pending: bool = False
    request_id: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "items": self.lines,
            "total": len(self.lines),
            "source": self.source,
            "pending": self.pending,
            "requestId": self.request_id,
        }


class ContainerLogService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def _container(self, container_id: str) -> Any:
        async with self.hub.store.read() as conn:
            row = await containers_repo.by_public_id(conn, container_id)
        if row is None or row["archived_at"] is not None:
            raise not_found("container", container_id)
        return row

    async def is_local(self, agent_id: str) -> bool:
        """Whether the agent is this hub's own (its containers are on the local engine). Only
        an agent registered as the hub's own is asked for, so none is registered here."""
        from watchkeep.agents.selfmonitor import SELF_AGENT_NAME, own_agent
        from watchkeep.agents.service import AgentService

        agent = await AgentService(self.hub).get_row(agent_id)
        if agent["name"] != SELF_AGENT_NAME or agent["hostname"] != socket.gethostname():
            return False
        return (await own_agent(self.hub)).agent_id == agent_id

    async def read(self, container_id: str, wanted: LogFilter) -> LogAnswer:
        row = await self._container(container_id)
        if await self.is_local(row["agent_id"]):
            host = self.hub.settings.docker_host
            try:
                async with EngineClient(host) as client:
                    lines = await last_lines(client, row["container_id"], wanted)
            except EngineUnavailable as exc:
                raise engine_error(host, exc, container_id) from None
            return LogAnswer("engine", [engine_line_out(line) for line in lines])
        request = await self._request(row, wanted, following=False)
        async with self.hub.store.read() as conn:
            stored = await repo.lines_of(
                conn, container_id, tail=wanted.tail, since_ms=wanted.since_ms, stream=wanted.stream
            )
        return LogAnswer("agent", [stored_line_out(line) for line in stored], True, request.id)

    async def _request(self, row: Any, wanted: LogFilter, *, following: bool) -> LogRequestRecord:
        """The request for the agent: one still waiting (or, following, still running, then
        renewed), else a new one."""
        now = self.hub.clock.now_ms()
        follow_until = now + FOLLOW_WINDOW_MS if following else None

        async def unit(conn: AsyncConnection) -> LogRequestRecord:
            found = await repo.open_request(
                conn,
                row["public_id"],
                following=following,
                created_since_ms=now - REUSE_REQUEST_MS,
                now_ms=now,
                asks=(wanted.tail, wanted.since_ms, wanted.stream),
            )
            if found is not None:
                if follow_until is not None:
                    await repo.extend_follow(conn, found.id, follow_until)
                return found
            await repo.prune_requests(conn, row["agent_id"], now - 3_600_000)
            record = LogRequestRecord(
                id="lrq_" + secrets.token_hex(10),
                public_id=row["public_id"],
                agent_id=row["agent_id"],
                container_id=row["container_id"],
                container_name=row["name"],
                tail=wanted.tail,
                # A follow request is shared by every stream of the container: it asks for
                # both streams, and each stream filters what is stored.
                since_ms=None if following else wanted.since_ms,
                stream=None if following else wanted.stream,
                follow_until_ms=follow_until,
                created_at_ms=now,
                answered_at_ms=None,
            )
            await repo.insert_request(
                conn,
                {
                    "id": record.id,
                    "public_id": record.public_id,
                    "agent_id": record.agent_id,
                    "container_id": record.container_id,
                    "container_name": record.container_name,
                    "tail": record.tail,
                    "since": record.since_ms,
                    "stream": record.stream,
                    "follow_until": record.follow_until_ms,
                    "created_at": record.created_at_ms,
                },
            )
            return record

        result: LogRequestRecord = await self.hub.store.write(unit)
        return result

    async def _renew(self, request_id: str) -> None:
        until = self.hub.clock.now_ms() + FOLLOW_WINDOW_MS

        async def unit(conn: AsyncConnection) -> None:
            await repo.extend_follow(conn, request_id, until)

        await self.hub.store.write(unit)

    async def stream(
        self, streams: EventStreams, container_id: str, wanted: LogFilter, after_id: int | None
    ) -> AsyncIterator[bytes]:
        """Check the container (and, for a local one, that the engine answers) before the
        response starts, so a failure is an error status; then the stream's frames."""
        row = await self._container(container_id)
        client = streams.connect(TypeFilter(_LOGS_RECEIVED, Event.types()))
        try:
            if await self.is_local(row["agent_id"]):
                host = self.hub.settings.docker_host
                engine = EngineClient(host)
                try:
                    await engine.inspect(row["container_id"])
                except EngineUnavailable as exc:
                    await engine.aclose()
                    raise engine_error(host, exc, container_id) from None
                return self._engine_frames(streams, client, engine, row["container_id"], wanted)
            request = await self._request(row, wanted, following=True)
            return self._agent_frames(streams, client, row["public_id"], request.id, wanted, after_id)
        except BaseException:
            streams.disconnect(client)
            raise

    async def _engine_frames(
        self, streams: EventStreams, client: StreamClient, engine: EngineClient, engine_id: str, wanted: LogFilter
    ) -> AsyncIterator[bytes]:
        async def read() -> None:
            reason = "the container stopped"
            try:
                async for line in follow(engine, engine_id, wanted):
                    client.offer(Frame(None, _LOGS_RECEIVED, _frame(engine_line_out(line))))
            except EngineUnavailable as exc:
                reason = f"the Docker engine stopped answering: {exc}"
            client.offer(Frame(None, _LOGS_RECEIVED, _end(reason)))

        reader = asyncio.create_task(read())
        loop = asyncio.get_running_loop()
        keep_alive = self.hub.settings.sse_keepalive_seconds
        try:
            yield CONNECTED
            quiet_since = loop.time()
            while True:
                frames = await client.take(keep_alive)
                if client.ending:
                    return
                if client.overflowed:
                    yield OVERFLOW
                    return
                # Only the reader's frames: the bus's are about agents' containers.
                chunk = [frame.data for frame in frames if not frame.data.startswith(b"event: container.")]
                if chunk:
                    quiet_since = loop.time()
                    yield b"".join(chunk)
                    if chunk[-1].startswith(b"event: end"):
                        return
                elif loop.time() - quiet_since >= keep_alive:
                    quiet_since = loop.time()
                    yield KEEP_ALIVE
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
            await engine.aclose()
            streams.disconnect(client)

    async def _agent_frames(
        self,
        streams: EventStreams,
        client: StreamClient,
        public_id: str,
        request_id: str,
        wanted: LogFilter,
        after_id: int | None,
    ) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        keep_alive = self.hub.settings.sse_keepalive_seconds
        marker = f'"containerId":"{public_id}"'.encode()
        try:
            yield CONNECTED
            async with self.hub.store.read() as conn:
                if after_id is None:
                    first = await repo.lines_of(
                        conn, public_id, tail=wanted.tail, since_ms=wanted.since_ms, stream=wanted.stream
                    )
                    last = await repo.last_line_id(conn, public_id)
                else:
                    first = await repo.lines_of(
                        conn,
                        public_id,
                        tail=MAX_TAIL,
                        since_ms=wanted.since_ms,
                        stream=wanted.stream,
                        after_id=after_id,
                    )
                    last = max([after_id, *(line.id for line in first)])
            if first:
                yield b"".join(_frame(stored_line_out(line), line.id) for line in first)
            renew_at = loop.time() + RENEW_SECONDS
            quiet_since = read_at = loop.time()
            while True:
                frames = await client.take(min(POLL_SECONDS, keep_alive))
                if client.ending:
                    return
                if client.overflowed:
                    yield OVERFLOW
                    return
                now = loop.time()
                if now >= renew_at:
                    await self._renew(request_id)
                    renew_at = now + RENEW_SECONDS
                # A wake-up for this container, or the poll: what is new is read from the store.
                if any(marker in frame.data for frame in frames) or now - read_at >= POLL_SECONDS:
                    read_at = now
                    async with self.hub.store.read() as conn:
                        new = await repo.lines_of(
                            conn,
                            public_id,
                            tail=MAX_TAIL,
                            since_ms=wanted.since_ms,
                            stream=wanted.stream,
                            after_id=last,
                        )
                    if new:
                        last = max(line.id for line in new)
                        quiet_since = now
                        yield b"".join(_frame(stored_line_out(line), line.id) for line in new)
                if now - quiet_since >= keep_alive:
                    quiet_since = now
                    yield KEEP_ALIVE
        finally:
            streams.disconnect(client)
