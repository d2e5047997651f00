"""Many rows in one statement, on either database: plain inserts, inserts that skip rows
already present, and upserts. A payload of an agent writes dozens of rows; one executemany
per table keeps its write unit short."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Table, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
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
) -> Insert:
    statement = _dialect_insert(dialect, table)
    excluded = statement.excluded
    values: dict[str, ColumnElement[Any]] = {}
    for name in update:
        if name in keep_when_null:
            values[name] = func.coalesce(excluded[name], table.c[name])
        else:
            values[name] = excluded[name]
    where = table.c[newer_than] <= excluded[newer_than] if newer_than else None
    upsert: Insert = statement.on_conflict_do_update(index_elements=list(keys), set_=values, where=where)
    return upsert


async def insert_many(conn: AsyncConnection, table: Table, rows: Sequence[Row]) -> None:
    if rows:
        await conn.execute(insert(table), list(rows))


async def insert_missing(conn: AsyncConnection, table: Table, rows: Sequence[Row], keys: Sequence[str]) -> None:
    """Insert the rows whose key is not there yet; leave existing rows alone."""
    if rows:
        await conn.execute(_insert_ignore(conn.dialect.name, table, tuple(keys)), list(rows))


async def upsert_many(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Row],
    keys: Sequence[str],
    *,
    keep_when_null: Sequence[str] = (),
    newer_than: str | None = None,
    insert_only: Sequence[str] = (),
) -> None:
    """Insert the rows, or update the existing row with the same key. Columns in
    `keep_when_null` keep their stored value where the new row has NULL; with `newer_than`
    a row is updated only when that column of the new row is not older than the stored one.
    Columns in `insert_only` are written when the row is created and never updated."""
    if not rows:
        return
    update = tuple(name for name in rows[0] if name not in keys and name not in insert_only)
    statement = _upsert(conn.dialect.name, table, tuple(keys), update, tuple(keep_when_null), newer_than)
    await conn.execute(statement, list(rows))
