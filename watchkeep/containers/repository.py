"""All SQL on the container inventory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers.tables import agent_containers
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


_remove_unseen = delete(agent_containers).where(
    agent_containers.c.agent_id == bindparam("agent_id"),
    agent_containers.c.last_seen_at < bindparam("at_ms"),
)


async def remove_unseen(conn: AsyncConnection, agent_id: str, at_ms: int) -> None:
    """Forget the agent's containers last seen before an inventory taken at `at_ms`: those
    the inventory lists were just marked seen at `at_ms`."""
    await execute_many(conn, _remove_unseen, [{"agent_id": agent_id, "at_ms": at_ms}])


_mark_seen = (
    update(agent_containers)
    .where(
        agent_containers.c.agent_id == bindparam("seen_agent_id"),
        agent_containers.c.last_seen_at <= bindparam("seen_at"),
    )
    .values(last_seen_at=bindparam("seen_at"))
)


async def mark_seen(conn: AsyncConnection, agent_id: str, at_ms: int) -> None:
    """Mark every container of the agent seen at `at_ms` (unless seen later)."""
    await execute_many(conn, _mark_seen, [{"seen_agent_id": agent_id, "seen_at": at_ms}])


async def list_containers(conn: AsyncConnection, agent_id: str | None = None) -> list[RowMapping]:
    query = select(agent_containers).order_by(agent_containers.c.agent_id, agent_containers.c.name)
    if agent_id is not None:
        query = query.where(agent_containers.c.agent_id == agent_id)
    return list((await conn.execute(query)).mappings())


async def counts_by_agent(conn: AsyncConnection) -> dict[str, int]:
    query = select(agent_containers.c.agent_id, func.count()).group_by(agent_containers.c.agent_id)
    return {agent_id: int(n) for agent_id, n in (await conn.execute(query)).all()}


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    await conn.execute(delete(agent_containers).where(agent_containers.c.agent_id == agent_id))
