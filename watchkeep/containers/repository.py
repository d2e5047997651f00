"""All SQL on the container inventory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers.tables import agent_containers, container_restart_loops, container_transitions
from watchkeep.core.db.bulk import execute_many, upsert_many

KEEP_WHEN_NULL = (
    "image",
    "image_id",
    "state",
    "status",
    "health",
    "restart_count",
    "labels",
    "ports",
    "mounts",
    "network_mode",
    "created",
    "repo_digests",
    "image_labels",
    "platform",
)


async def names_of(conn: AsyncConnection, agent_id: str) -> dict[str, str]:
    """Container name → container id, for one agent."""
    query = select(agent_containers.c.name, agent_containers.c.container_id).where(
        agent_containers.c.agent_id == agent_id
    )
    return {name: cid for name, cid in (await conn.execute(query)).all()}


async def upsert(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update by agent and container id; an older report never overwrites a newer
    one, and a field a report leaves out keeps its stored value."""
    await upsert_many(
        conn,
        agent_containers,
        rows,
        ("agent_id", "container_id"),
        keep_when_null=KEEP_WHEN_NULL,
        newer_than="last_seen_at",
        insert_only=("first_seen_at",),
    )


async def states_of(conn: AsyncConnection, agent_id: str) -> dict[str, RowMapping]:
    """Container id → its public id, state, health and archive time, for one agent."""
    c = agent_containers.c
    query = select(c.container_id, c.public_id, c.name, c.state, c.health, c.restart_count, c.archived_at).where(
        c.agent_id == agent_id
    )
    return {row["container_id"]: row for row in (await conn.execute(query)).mappings()}


async def archive_unseen(conn: AsyncConnection, agent_id: str, at_ms: int) -> list[RowMapping]:
    """Archive the agent's containers last seen before an inventory taken at `at_ms` (those
    the inventory lists were just marked seen at `at_ms`); returns what was archived."""
    c = agent_containers.c
    unseen = and_(c.agent_id == agent_id, c.last_seen_at < at_ms, c.archived_at.is_(None))
    rows = list(
        (
            await conn.execute(
                select(c.public_id, c.name, c.state, c.health, c.restart_count, c.archived_at).where(unseen)
            )
        ).mappings()
    )
    if rows:
        await conn.execute(update(agent_containers).where(unseen).values(archived_at=at_ms))
    return rows


async def insert_transitions(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(container_transitions), list(rows))


async def transitions_of(
    conn: AsyncConnection, public_id: str, *, since_ms: int | None = None, limit: int | None = None
) -> list[RowMapping]:
    """A container's transitions, newest first."""
    t = container_transitions.c
    query = select(container_transitions).where(t.public_id == public_id).order_by(t.at.desc(), t.id.desc())
    if since_ms is not None:
        query = query.where(t.at >= since_ms)
    if limit is not None:
        query = query.limit(limit)
    return list((await conn.execute(query)).mappings())


async def state_before(conn: AsyncConnection, public_id: str, at_ms: int) -> RowMapping | None:
    """The last transition at or before `at_ms`."""
    t = container_transitions.c
    query = (
        select(container_transitions)
        .where(t.public_id == public_id, t.at <= at_ms)
        .order_by(t.at.desc(), t.id.desc())
        .limit(1)
    )
    return (await conn.execute(query)).mappings().first()


async def by_public_id(conn: AsyncConnection, public_id: str) -> RowMapping | None:
    query = select(agent_containers).where(agent_containers.c.public_id == public_id)
    return (await conn.execute(query)).mappings().first()


async def delete_container(conn: AsyncConnection, public_id: str) -> None:
    await conn.execute(delete(container_restart_loops).where(container_restart_loops.c.public_id == public_id))
    await conn.execute(delete(container_transitions).where(container_transitions.c.public_id == public_id))
    await conn.execute(delete(agent_containers).where(agent_containers.c.public_id == public_id))


_mark_seen = (
    update(agent_containers)
    .where(
        agent_containers.c.agent_id == bindparam("seen_agent_id"),
        agent_containers.c.last_seen_at <= bindparam("seen_at"),
        agent_containers.c.archived_at.is_(None),
    )
    .values(last_seen_at=bindparam("seen_at"))
)


async def mark_seen(conn: AsyncConnection, agent_id: str, at_ms: int) -> None:
    """Mark every container of the agent seen at `at_ms` (unless seen later)."""
    await execute_many(conn, _mark_seen, [{"seen_agent_id": agent_id, "seen_at": at_ms}])


async def list_containers(
    conn: AsyncConnection, agent_id: str | None = None, *, archived: bool = False
) -> list[RowMapping]:
    """The agent's (or every agent's) containers: the existing ones, or the archived ones."""
    c = agent_containers.c
    query = select(agent_containers).order_by(c.agent_id, c.name)
    query = query.where(c.archived_at.is_not(None) if archived else c.archived_at.is_(None))
    if agent_id is not None:
        query = query.where(c.agent_id == agent_id)
    return list((await conn.execute(query)).mappings())


async def counts_by_agent(conn: AsyncConnection) -> dict[str, int]:
    query = (
        select(agent_containers.c.agent_id, func.count())
        .where(agent_containers.c.archived_at.is_(None))
        .group_by(agent_containers.c.agent_id)
    )
    return {agent_id: int(n) for agent_id, n in (await conn.execute(query)).all()}


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    ids = select(agent_containers.c.public_id).where(agent_containers.c.agent_id == agent_id)
    await conn.execute(delete(container_restart_loops).where(container_restart_loops.c.agent_id == agent_id))
    await conn.execute(delete(container_transitions).where(container_transitions.c.public_id.in_(ids)))
    await conn.execute(delete(agent_containers).where(agent_containers.c.agent_id == agent_id))


# Restart loops


async def restarts_since(conn: AsyncConnection, public_id: str, after_ms: int, until_ms: int) -> list[int]:
    """The time of each restart in (after_ms, until_ms], oldest first, one entry per restart."""
    t = container_transitions.c
    query = (
        select(t.at, t.restarts)
        .where(t.public_id == public_id, t.at > after_ms, t.at <= until_ms, t.restarts > 0)
        .order_by(t.at, t.id)
    )
    return [at for at, restarts in (await conn.execute(query)).all() for _ in range(int(restarts))]


async def labels_of(conn: AsyncConnection, public_id: str) -> str | None:
    query = select(agent_containers.c.labels).where(agent_containers.c.public_id == public_id)
    value = (await conn.execute(query)).scalar()
    return None if value is None else str(value)


async def loop_of(conn: AsyncConnection, public_id: str) -> RowMapping | None:
    query = select(container_restart_loops).where(container_restart_loops.c.public_id == public_id)
    return (await conn.execute(query)).mappings().first()


async def insert_loop(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(container_restart_loops).values(**row))


async def due_loops(conn: AsyncConnection, now_ms: int, limit: int) -> list[RowMapping]:
    loops = container_restart_loops.c
    query = select(container_restart_loops).where(loops.due_at <= now_ms).order_by(loops.due_at).limit(limit)
    return list((await conn.execute(query)).mappings())


async def move_loop(conn: AsyncConnection, public_id: str, due_at: int | None, new_due: int, restarts: int) -> bool:
    """Set the loop's next deadline, if its deadline is still `due_at` (None: whatever it is);
    False when another writer moved or ended it first."""
    loops = container_restart_loops.c
    query = update(container_restart_loops).where(loops.public_id == public_id)
    if due_at is not None:
        query = query.where(loops.due_at == due_at)
    result = await conn.execute(query.values(due_at=new_due, restarts=restarts))
    return bool(result.rowcount)


async def end_loop(conn: AsyncConnection, public_id: str, due_at: int | None = None) -> bool:
    """Delete the loop, if its deadline is still `due_at` (None: whatever it is)."""
    loops = container_restart_loops.c
    query = delete(container_restart_loops).where(loops.public_id == public_id)
    if due_at is not None:
        query = query.where(loops.due_at == due_at)
    return bool((await conn.execute(query)).rowcount)


async def discovery_facts(conn: AsyncConnection, agent_id: str) -> list[RowMapping]:
    """Each of the agent's containers (archived ones too): what endpoint discovery reads."""
    c = agent_containers.c
    query = select(c.public_id, c.name, c.labels, c.state, c.archived_at).where(c.agent_id == agent_id)
    return list((await conn.execute(query.order_by(c.public_id))).mappings())
