"""Many rows in one statement, on either database: plain inserts, inserts that skip rows
already present, and upserts. A payload of an agent writes dozens of rows; one executemany
per table keeps its write unit short.

On the SQLite writer (whose statements run inline, see `inline_sqlite.py`) a statement is
compiled once and its rows go straight to sqlite3's executemany: for a few dozen small rows
the engine's per-row parameter processing costs more than SQLite's work."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Table, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert

Row = Mapping[str, Any]


def _dialect_insert(dialect: str, table: Table) -> Any:
    return sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)


@lru_cache(maxsize=256)
def _insert_ignore(dialect: str, table: Table, keys: tuple[str, ...]) -> Insert:
    statement: Insert = _dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=list(keys))
    return statement


@lru_cache(maxsize=256)
def _upsert(
    dialect: str,
    table: Table,
    keys: tuple[str, ...],
    update: tuple[str, ...],
    keep_when_null: tuple[str, ...],
    newer_than: str | None,
    strictly: bool,
) -> Insert:
    statement = _dialect_insert(dialect, table)
    excluded = statement.excluded
    values: dict[str, ColumnElement[Any]] = {}
    for name in update:
        if name in keep_when_null:
            values[name] = func.coalesce(excluded[name], table.c[name])
        else:
            values[name] = excluded[name]
    where = None
    if newer_than:
        stored, given = table.c[newer_than], excluded[newer_than]
        where = stored < given if strictly else stored <= given
    upsert: Insert = statement.on_conflict_do_update(index_elements=list(keys), set_=values, where=where)
    return upsert


_compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, str, tuple[str, ...]]] = {}


def _driver_connection(conn: AsyncConnection) -> sqlite3.Connection:
    """The sqlite3 connection under the writer's (already checked-out) connection."""
    raw: sqlite3.Connection = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr,assignment]
    return raw


def _sqlite_sql(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    cache_key = (id(statement), keys)
    found = _compiled.get(cache_key)
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
        found = (statement, compiled.string, tuple(compiled.positiontup or ()))
        if len(_compiled) > 1024:
            _compiled.clear()
        _compiled[cache_key] = found
    return found[1], found[2]


async def execute_many(conn: AsyncConnection, statement: Executable, rows: Sequence[Row]) -> None:
    """`conn.execute(statement, rows)`, the fast way on the SQLite writer. Every row has the
    keys of the first."""
    if not rows:
        return
    if conn.dialect.driver != "watchkeep_inline":
        await conn.execute(statement, list(rows))
        return
    keys = tuple(rows[0])
    sql, order = _sqlite_sql(statement, conn.dialect, keys)
    # A plain cursor: the writer's own cursor class expects to run under the engine.
    cursor = sqlite3.Cursor(_driver_connection(conn))
    values = itemgetter(*order)
    try:
        if len(order) == 1:
            cursor.executemany(sql, [(values(row),) for row in rows])
        else:
            cursor.executemany(sql, [values(row) for row in rows])
    finally:
        cursor.close()


async def fetch_all(conn: AsyncConnection, statement: Executable, params: Row) -> list[dict[str, Any]]:
    """The rows of a query as dicts, the fast way on the SQLite writer."""
    if conn.dialect.driver != "watchkeep_inline":
        return [dict(row) for row in (await conn.execute(statement, dict(params))).mappings()]
    sql, order = _sqlite_sql(statement, conn.dialect, tuple(params))
    cursor = sqlite3.Cursor(_driver_connection(conn))
    try:
        cursor.execute(sql, tuple(params[name] for name in order))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


async def insert_many(conn: AsyncConnection, table: Table, rows: Sequence[Row]) -> None:
    await execute_many(conn, insert(table), rows)


async def insert_missing(conn: AsyncConnection, table: Table, rows: Sequence[Row], keys: Sequence[str]) -> None:
    """Insert the rows whose key is not there yet; leave existing rows alone."""
    if rows:
        await execute_many(conn, _insert_ignore(conn.dialect.name, table, tuple(keys)), rows)


async def upsert_many(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Row],
    keys: Sequence[str],
    *,
    keep_when_null: Sequence[str] = (),
    newer_than: str | None = None,
    strictly_newer: bool = False,
    insert_only: Sequence[str] = (),
) -> None:
    """Insert the rows, or update the existing row with the same key. Columns in
    `keep_when_null` keep their stored value where the new row has NULL; with `newer_than`
    a row is updated only when that column of the new row is not older than the stored one
    (with `strictly_newer`, only when it is newer).
    Columns in `insert_only` are written when the row is created and never updated."""
    if not rows:
        return
    update = tuple(name for name in rows[0] if name not in keys and name not in insert_only)
    statement = _upsert(
        conn.dialect.name, table, tuple(keys), update, tuple(keep_when_null), newer_than, strictly_newer
    )
    await execute_many(conn, statement, rows)
