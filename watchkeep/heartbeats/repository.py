"""All SQL on heartbeat monitors, pings, executions and state changes."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.heartbeats.tables import heartbeat_executions, heartbeat_flips, heartbeat_pings, heartbeats

# The ping path runs these for every ping: built once, with bound parameters, so each is
# compiled once and found in the statement cache afterwards.
_BY_UUID = select(heartbeats).where(heartbeats.c.uuid == bindparam("uuid"))
_BY_UUID_LOCKED = _BY_UUID.with_for_update()
_UPDATE_HEARTBEAT = update(heartbeats).where(heartbeats.c.id == bindparam("target_id"))
_INSERT_PING = insert(heartbeat_pings)
_INSERT_EXECUTION = insert(heartbeat_executions)
_UPDATE_EXECUTION = update(heartbeat_executions).where(heartbeat_executions.c.id == bindparam("target_id"))
_OPEN = and_(
    heartbeat_executions.c.heartbeat_id == bindparam("heartbeat_id"),
    heartbeat_executions.c.outcome == "in_progress",
)
_LATEST_OPEN = select(heartbeat_executions).where(_OPEN).order_by(heartbeat_executions.c.id.desc()).limit(1)
_OPEN_WITH_RID = _LATEST_OPEN.where(heartbeat_executions.c.rid == bindparam("rid"))


async def insert_heartbeat(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(heartbeats).values(**row))


async def heartbeat_by_id(conn: AsyncConnection, heartbeat_id: str, *, lock: bool = False) -> RowMapping | None:
    query = select(heartbeats).where(heartbeats.c.id == heartbeat_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def heartbeat_by_uuid(conn: AsyncConnection, uuid: str) -> RowMapping | None:
    """The monitor a ping is for, locked against concurrent pings and the deadlines worker."""
    query = _BY_UUID_LOCKED if conn.dialect.name == "postgresql" else _BY_UUID
    return (await conn.execute(query, {"uuid": uuid})).mappings().first()


async def list_heartbeats(conn: AsyncConnection) -> list[RowMapping]:
    query = select(heartbeats).order_by(heartbeats.c.name, heartbeats.c.id)
    return list((await conn.execute(query)).mappings())


def shown_status(now_ms: int) -> ColumnElement[str]:
    """`schedule.display_status` as an SQL expression, to filter and sort by it."""
    c = heartbeats.c
    return case(
        (and_(c.status.in_(("up", "started")), c.down_at.is_not(None), c.down_at <= now_ms), "down"),
        (and_(c.status == "up", c.next_deadline_at.is_not(None), c.next_deadline_at <= now_ms), "grace"),
        else_=c.status,
    )


async def page_keys(
    conn: AsyncConnection,
    now_ms: int,
    *,
    search: str,
    statuses: list[str] | None,
    rank: dict[str, int],
    limit: int,
) -> list[tuple[str, str, str]]:
    """(shown status, name, id) of the first `limit` monitors whose name holds `search` and
    whose shown status is one of `statuses`, by `rank` of that status, then name, then id."""
    status = shown_status(now_ms)
    name = func.lower(heartbeats.c.name)
    query = select(status, heartbeats.c.name, heartbeats.c.id)
    if search:
        query = query.where(name.contains(search.lower(), autoescape=True))
    if statuses is not None:
        query = query.where(status.in_(statuses))
    order = case(*((status == shown, position) for shown, position in rank.items()), else_=len(rank))
    query = query.order_by(order, name, heartbeats.c.id).limit(limit)
    return [(row[0], row[1], row[2]) for row in await conn.execute(query)]


async def heartbeats_by_ids(conn: AsyncConnection, ids: list[str]) -> list[RowMapping]:
    if not ids:
        return []
    return list((await conn.execute(select(heartbeats).where(heartbeats.c.id.in_(ids)))).mappings())


async def count_by_status(conn: AsyncConnection, now_ms: int, *, search: str = "") -> dict[str, int]:
    status = shown_status(now_ms)
    query = select(status.label("status"), func.count()).group_by(status)
    if search:
        query = query.where(func.lower(heartbeats.c.name).contains(search.lower(), autoescape=True))
    return {row[0]: int(row[1]) for row in await conn.execute(query)}


async def update_heartbeat(conn: AsyncConnection, heartbeat_id: str, values: dict[str, Any]) -> int:
    result = await conn.execute(_UPDATE_HEARTBEAT, {**values, "target_id": heartbeat_id})
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
    await conn.execute(_INSERT_PING, row)


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
    await conn.execute(_INSERT_EXECUTION, row)


async def open_execution(conn: AsyncConnection, heartbeat_id: str, rid: str | None) -> RowMapping | None:
    """The run a finish ping closes: the open one with this `rid`, or without a rid the
    latest open one."""
    if rid is None:
        result = await conn.execute(_LATEST_OPEN, {"heartbeat_id": heartbeat_id})
    else:
        result = await conn.execute(_OPEN_WITH_RID, {"heartbeat_id": heartbeat_id, "rid": rid})
    return result.mappings().first()


async def update_execution(conn: AsyncConnection, execution_id: int, values: dict[str, Any]) -> None:
    await conn.execute(_UPDATE_EXECUTION, {**values, "target_id": execution_id})


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


class PingRows:
    """The rows a ping reads and writes, through SQLAlchemy Core (any database)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def monitor(self, uuid: str) -> Mapping[str, Any] | None:
        row = await heartbeat_by_uuid(self.conn, uuid)
        return None if row is None else dict(row)

    async def update_monitor(self, heartbeat_id: str, values: dict[str, Any]) -> None:
        await update_heartbeat(self.conn, heartbeat_id, values)

    async def insert_ping(self, row: dict[str, Any]) -> None:
        await insert_ping(self.conn, row)

    async def insert_execution(self, row: dict[str, Any]) -> None:
        await insert_execution(self.conn, row)

    async def open_execution(self, heartbeat_id: str, rid: str | None) -> Mapping[str, Any] | None:
        row = await open_execution(self.conn, heartbeat_id, rid)
        return None if row is None else dict(row)

    async def update_execution(self, execution_id: int, values: dict[str, Any]) -> None:
        await update_execution(self.conn, execution_id, values)

    async def insert_flip(self, row: dict[str, Any]) -> None:
        await insert_flip(self.conn, row)


class SqlitePingRows(PingRows):
    """The same statements run straight on the SQLite writer's sqlite3 connection, inside
    the writer's transaction: the ping path is hot, and SQLite answers these in
    microseconds, far less than building and compiling them would cost."""

    def __init__(self, conn: AsyncConnection, driver: sqlite3.Connection) -> None:
        super().__init__(conn)
        self.driver = driver

    def _run(self, sql: str, params: Mapping[str, Any]) -> sqlite3.Cursor:
        # A plain cursor: the writer's own cursors expect to run under SQLAlchemy.
        cursor = sqlite3.Cursor(self.driver)
        cursor.execute(sql, params)
        return cursor

    def _one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        cursor = self._run(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row, strict=True))

    async def monitor(self, uuid: str) -> Mapping[str, Any] | None:
        return self._one("SELECT * FROM heartbeats WHERE uuid = :uuid", {"uuid": uuid})

    async def update_monitor(self, heartbeat_id: str, values: dict[str, Any]) -> None:
        self._run(_sqlite_update("heartbeats", tuple(values)), {**values, "target_id": heartbeat_id})

    async def insert_ping(self, row: dict[str, Any]) -> None:
        self._run(_sqlite_insert("heartbeat_pings", tuple(row)), row)

    async def insert_execution(self, row: dict[str, Any]) -> None:
        self._run(_sqlite_insert("heartbeat_executions", tuple(row)), row)

    async def open_execution(self, heartbeat_id: str, rid: str | None) -> Mapping[str, Any] | None:
        sql = "SELECT * FROM heartbeat_executions WHERE heartbeat_id = :heartbeat_id AND outcome = 'in_progress'"
        if rid is not None:
            sql += " AND rid = :rid"
        return self._one(sql + " ORDER BY id DESC LIMIT 1", {"heartbeat_id": heartbeat_id, "rid": rid})

    async def update_execution(self, execution_id: int, values: dict[str, Any]) -> None:
        self._run(_sqlite_update("heartbeat_executions", tuple(values)), {**values, "target_id": execution_id})

    async def insert_flip(self, row: dict[str, Any]) -> None:
        self._run(_sqlite_insert("heartbeat_flips", tuple(row)), row)


# Table and column names in these statements come from this module's own code, never from input.


@functools.cache
def _sqlite_insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"


@functools.cache
def _sqlite_update(table: str, columns: tuple[str, ...]) -> str:
    return f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :target_id"


async def ping_rows(conn: AsyncConnection) -> PingRows:
    """The fastest way to a ping's rows on this connection."""
    if conn.dialect.name == "sqlite":
        driver = (await conn.get_raw_connection()).driver_connection
        if isinstance(driver, sqlite3.Connection):
            return SqlitePingRows(conn, driver)
    return PingRows(conn)


async def shown_states(conn: AsyncConnection, now_ms: int) -> list[RowMapping]:
    """Every monitor's id, name and status as clients see it now."""
    query = select(heartbeats.c.id, heartbeats.c.name, shown_status(now_ms).label("status"))
    return list((await conn.execute(query)).mappings())
