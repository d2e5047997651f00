"""Container logs from agents, inside the hub's write units: the lines a payload carries are
stored (a line sent twice is kept once; the newest `KEEP_LINES` per container stay), the
requests they answer are marked answered, and the requests an agent is asked for now are
what its config lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers import log_repository as repo
from watchkeep.containers.log_repository import LogRequestRecord
from watchkeep.containers.model import public_id
from watchkeep.core.clock import rfc3339
from watchkeep.core.events import ContainerLogsReceived, Event
from watchkeep.protocol.ingest import LogRequest

KEEP_LINES = 1000
# A request an agent has not answered in this time is dropped from its config (the agent
# is offline or does not speak this part of the protocol); the caller sees nothing pending.
REQUEST_WAIT_MS = 10 * 60_000
# Requests that no longer run are forgotten after this time.
REQUEST_KEEP_MS = 60 * 60_000


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    stream: str
    at_ms: int
    at_text: str
    text: str


@dataclass
class ReceivedLogs:
    """One container's lines in a payload, as the ingest edge normalized them."""

    container_id: str
    container_name: str
    reason: str  # request | die
    request_id: str | None = None
    lines: list[ReceivedLine] = field(default_factory=list)


async def store(conn: AsyncConnection, agent_id: str, received: list[ReceivedLogs], now_ms: int) -> list[Event]:
    """Store the lines, mark the requests they answer; returns the live-only events to
    publish once committed."""
    events: list[Event] = []
    answered: list[str] = []
    for batch in received:
        if batch.request_id is not None:
            answered.append(batch.request_id)
        pid = public_id(agent_id, batch.container_id)
        if not batch.lines:
            continue
        seen = await repo.seen_lines(conn, pid, min(line.at_ms for line in batch.lines))
        rows = []
        for line in batch.lines:
            key = (line.at_text, line.stream, line.text)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "public_id": pid,
                    "stream": line.stream,
                    "at": line.at_ms,
                    "at_text": line.at_text,
                    "text": line.text,
                    "reason": batch.reason,
                    "received_at": now_ms,
                }
            )
        await repo.insert_lines(conn, rows)
        await repo.prune_lines(conn, pid, KEEP_LINES)
        if rows:
            events.append(
                ContainerLogsReceived(
                    container_id=pid,
                    agent_id=agent_id,
                    name=batch.container_name,
                    lines=len(rows),
                    reason=batch.reason,
                    request_id=batch.request_id,
                    at_ms=now_ms,
                )
            )
    await repo.mark_answered(conn, agent_id, answered, now_ms)
    return events


def _wire(request: LogRequestRecord) -> LogRequest:
    return LogRequest(
        id=request.id,
        container_id=request.container_id,
        container_name=request.container_name,
        tail=request.tail,
        since=rfc3339(request.since_ms),
        stream=request.stream,  # type: ignore[arg-type]  # stored from a validated query
        follow_until=rfc3339(request.follow_until_ms),
    )


async def requests_for(conn: AsyncConnection, agent_id: str, now_ms: int) -> list[LogRequest]:
    """The log requests the agent's config carries now."""
    found = await repo.requests_for_agent(conn, agent_id, created_since_ms=now_ms - REQUEST_WAIT_MS, now_ms=now_ms)
    return [_wire(request) for request in found]
