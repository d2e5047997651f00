"""All SQL on heartbeat monitors, pings, executions and state changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.heartbeats.tables import heartbeat_executions, heartbeat_flips, heartbeat_pings, heartbeats


async def insert_heartbeat(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(heartbeats).values(**row))


async def heartbeat_by_id(conn: AsyncConnection, heartbeat_id: str, *, lock: bool = False) -> RowMapping | None:
    query = select(heartbeats).where(heartbeats.c.id == heartbeat_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def heartbeat_by_uuid(conn: AsyncConnection, uuid: str) -> RowMapping | None:
    """The monitor a ping is for, locked against concurrent pings and the deadlines worker."""
    query = select(heartbeats).where(heartbeats.c.uuid == uuid)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def list_heartbeats(conn: AsyncConnection) -> list[RowMapping]:
    query = select(heartbeats).order_by(heartbeats.c.name, heartbeats.c.id)
    return list((await conn.execute(query)).mappings())


async def update_heartbeat(conn: AsyncConnection, heartbeat_id: str, values: dict[str, Any]) -> int:
    result = await conn.execute(update(heartbeats).where(heartbeats.c.id == heartbeat_id).values(**values))
    return result.rowcount


async def claim_deadline(
    conn: AsyncConnection, heartbeat_id: str, *, status: str, down_at: int, values: dict[str, Any]
) -> bool:
    """Compare-and-set: apply `values` only if the monitor still has this status and this
    deadline. Exactly one of several replicas racing for the same deadline gets True."""
    result = await conn.execute(
        update(heartbeats)
        .where(and_(heartbeats.c.id == heartbeat_id, heartbeats.c.status == status, heartbeats.c.down_at == down_at))
        .values(**values)
    )
    return result.rowcount == 1


async def delete_heartbeat(conn: AsyncConnection, heartbeat_id: str) -> int:
    for table in (heartbeat_pings, heartbeat_executions, heartbeat_flips):
        await conn.execute(delete(table).where(table.c.heartbeat_id == heartbeat_id))
    return (await conn.execute(delete(heartbeats).where(heartbeats.c.id == heartbeat_id))).rowcount


async def overdue(conn: AsyncConnection, now_ms: int, limit: int) -> list[RowMapping]:
    query = (
        select(heartbeats)
        .where(and_(heartbeats.c.down_at.is_not(None), heartbeats.c.down_at <= now_ms))
        .order_by(heartbeats.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def insert_ping(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(heartbeat_pings).values(**row))


async def list_pings(conn: AsyncConnection, heartbeat_id: str, limit: int) -> list[RowMapping]:
    query = (
        select(heartbeat_pings)
        .where(heartbeat_pings.c.heartbeat_id == heartbeat_id)
        .order_by(heartbeat_pings.c.n.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def prune_pings(conn: AsyncConnection, keep: int) -> int:
    """Delete all but the newest `keep` pings of every monitor."""
    query = select(heartbeats.c.id, heartbeats.c.ping_count).where(heartbeats.c.ping_count > keep)
    removed = 0
    for heartbeat_id, count in (await conn.execute(query)).all():
        result = await conn.execute(
            delete(heartbeat_pings).where(
                and_(heartbeat_pings.c.heartbeat_id == heartbeat_id, heartbeat_pings.c.n <= count - keep)
            )
        )
        removed += result.rowcount
    return removed


async def insert_execution(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(heartbeat_executions).values(**row))


async def open_execution(conn: AsyncConnection, heartbeat_id: str, rid: str | None) -> RowMapping | None:
    """The run a finish ping closes: the open one with this `rid`, or without a rid the
    latest open one."""
    query = select(heartbeat_executions).where(
        and_(heartbeat_executions.c.heartbeat_id == heartbeat_id, heartbeat_executions.c.outcome == "in_progress")
    )
    if rid is not None:
        query = query.where(heartbeat_executions.c.rid == rid)
    query = query.order_by(heartbeat_executions.c.id.desc()).limit(1)
    return (await conn.execute(query)).mappings().first()


async def update_execution(conn: AsyncConnection, execution_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(heartbeat_executions).where(heartbeat_executions.c.id == execution_id).values(**values))


async def time_out_open_executions(conn: AsyncConnection, heartbeat_id: str, at_ms: int) -> None:
    await conn.execute(
        update(heartbeat_executions)
        .where(
            and_(
                heartbeat_executions.c.heartbeat_id == heartbeat_id,
                heartbeat_executions.c.outcome == "in_progress",
            )
        )
        .values(outcome="timeout", updated_at=at_ms)
    )


async def list_executions(conn: AsyncConnection, heartbeat_id: str, limit: int) -> list[RowMapping]:
    query = (
        select(heartbeat_executions)
        .where(heartbeat_executions.c.heartbeat_id == heartbeat_id)
        .order_by(heartbeat_executions.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def prune_executions(conn: AsyncConnection, before_ms: int) -> int:
    query = delete(heartbeat_executions).where(heartbeat_executions.c.updated_at < before_ms)
    return (await conn.execute(query)).rowcount


async def insert_flip(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(heartbeat_flips).values(**row))


async def list_flips(conn: AsyncConnection, heartbeat_id: str) -> list[RowMapping]:
    query = (
        select(heartbeat_flips)
        .where(heartbeat_flips.c.heartbeat_id == heartbeat_id)
        .order_by(heartbeat_flips.c.at, heartbeat_flips.c.id)
    )
    return list((await conn.execute(query)).mappings())
