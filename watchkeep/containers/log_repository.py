"""All SQL on container logs: the lines agents sent, and the hub's requests for more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers.tables import agent_containers, container_log_lines, container_log_requests


@dataclass(frozen=True, slots=True)
class StoredLine:
    id: int
    stream: str
    at_ms: int
    at_text: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class LogRequestRecord:
    id: str
    public_id: str
    agent_id: str
    container_id: str
    container_name: str
    tail: int
    since_ms: int | None
    stream: str | None
    follow_until_ms: int | None
    created_at_ms: int
    answered_at_ms: int | None


def _request(row: Any) -> LogRequestRecord:
    return LogRequestRecord(
        row.id,
        row.public_id,
        row.agent_id,
        row.container_id,
        row.container_name,
        int(row.tail),
        row.since,
        row.stream,
        row.follow_until,
        int(row.created_at),
        row.answered_at,
    )


async def insert_lines(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(container_log_lines), list(rows))


async def seen_lines(conn: AsyncConnection, public_id: str, from_ms: int) -> set[tuple[str, str, str]]:
    """(engine time, stream, text) of the container's stored lines from `from_ms` on."""
    c = container_log_lines.c
    query = select(c.at_text, c.stream, c.text).where(c.public_id == public_id, c.at >= from_ms)
    return {(row.at_text, row.stream, row.text) for row in await conn.execute(query)}


async def prune_lines(conn: AsyncConnection, public_id: str, keep: int) -> None:
    """Keep the container's newest `keep` lines (by arrival)."""
    c = container_log_lines.c
    oldest_kept = (
        select(c.id).where(c.public_id == public_id).order_by(c.id.desc()).offset(keep - 1).limit(1)
    ).scalar_subquery()
    await conn.execute(delete(container_log_lines).where(c.public_id == public_id, c.id < oldest_kept))


async def lines_of(
    conn: AsyncConnection,
    public_id: str,
    *,
    tail: int,
    since_ms: int | None = None,
    stream: str | None = None,
    after_id: int | None = None,
) -> list[StoredLine]:
    """The container's last `tail` stored lines matching the filters, oldest first."""
    c = container_log_lines.c
    query = select(container_log_lines).where(c.public_id == public_id)
    if since_ms is not None:
        query = query.where(c.at >= since_ms)
    if stream is not None:
        query = query.where(c.stream == stream)
    if after_id is not None:
        query = query.where(c.id > after_id)
    query = query.order_by(c.at.desc(), c.id.desc()).limit(tail)
    rows = list(await conn.execute(query))
    return [StoredLine(row.id, row.stream, row.at, row.at_text, row.text, row.reason) for row in reversed(rows)]


async def last_line_id(conn: AsyncConnection, public_id: str) -> int:
    c = container_log_lines.c
    query = select(c.id).where(c.public_id == public_id).order_by(c.id.desc()).limit(1)
    return int((await conn.execute(query)).scalar() or 0)


async def insert_request(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(container_log_requests), [row])


async def open_request(
    conn: AsyncConnection,
    public_id: str,
    *,
    following: bool,
    created_since_ms: int,
    now_ms: int,
    asks: tuple[int, int | None, str | None] | None = None,
) -> LogRequestRecord | None:
    """The newest request for the container still waiting for its answer (created since
    `created_since_ms`, asking for the same `(tail, since, stream)`), or, `following`, the
    follow request still running at `now_ms`."""
    c = container_log_requests.c
    query = select(container_log_requests).where(c.public_id == public_id)
    if following:
        query = query.where(c.follow_until > now_ms)
    else:
        query = query.where(c.follow_until.is_(None), c.answered_at.is_(None), c.created_at >= created_since_ms)
        if asks is not None:
            tail, since, stream = asks
            query = query.where(
                c.tail == tail,
                c.since.is_(None) if since is None else c.since == since,
                c.stream.is_(None) if stream is None else c.stream == stream,
            )
    row = (await conn.execute(query.order_by(c.created_at.desc()).limit(1))).first()
    return None if row is None else _request(row)


async def extend_follow(conn: AsyncConnection, request_id: str, until_ms: int) -> None:
    c = container_log_requests.c
    await conn.execute(
        update(container_log_requests)
        .where(c.id == request_id, or_(c.follow_until.is_(None), c.follow_until < until_ms))
        .values(follow_until=until_ms)
    )


async def requests_for_agent(
    conn: AsyncConnection, agent_id: str, *, created_since_ms: int, now_ms: int
) -> list[LogRequestRecord]:
    """What the agent is asked for now: requests not answered yet (created since
    `created_since_ms`) and follow requests running at `now_ms`, oldest first."""
    c = container_log_requests.c
    waiting = and_(c.follow_until.is_(None), c.answered_at.is_(None), c.created_at >= created_since_ms)
    query = (
        select(container_log_requests)
        .where(c.agent_id == agent_id, or_(waiting, c.follow_until > now_ms))
        .order_by(c.created_at, c.id)
    )
    return [_request(row) for row in await conn.execute(query)]


async def mark_answered(conn: AsyncConnection, agent_id: str, request_ids: Sequence[str], at_ms: int) -> None:
    if request_ids:
        c = container_log_requests.c
        await conn.execute(
            update(container_log_requests)
            .where(c.agent_id == agent_id, c.id.in_(list(request_ids)), c.answered_at.is_(None))
            .values(answered_at=at_ms)
        )


async def prune_requests(conn: AsyncConnection, agent_id: str, before_ms: int) -> None:
    """Forget the agent's requests created before `before_ms` that no longer run."""
    c = container_log_requests.c
    running = and_(c.follow_until.is_not(None), c.follow_until >= before_ms)
    await conn.execute(delete(container_log_requests).where(c.agent_id == agent_id, c.created_at < before_ms, ~running))


async def delete_for_container(conn: AsyncConnection, public_id: str) -> None:
    await conn.execute(delete(container_log_lines).where(container_log_lines.c.public_id == public_id))
    await conn.execute(delete(container_log_requests).where(container_log_requests.c.public_id == public_id))


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    """Before the agent's containers are deleted (their public ids are read from them)."""
    ids = select(agent_containers.c.public_id).where(agent_containers.c.agent_id == agent_id)
    await conn.execute(delete(container_log_lines).where(container_log_lines.c.public_id.in_(ids)))
    await conn.execute(delete(container_log_requests).where(container_log_requests.c.agent_id == agent_id))
