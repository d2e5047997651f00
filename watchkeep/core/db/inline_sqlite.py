"""An async SQLAlchemy dialect that runs sqlite3 calls inline on the event loop thread.

The SQLite writer executes thousands of short statements a second on one connection.
Through a thread-backed driver each statement pays a thread hop that costs a hundred times
the statement itself; run inline, a statement costs microseconds. Only the single writer
connection uses this dialect: its statements are short and already serialized, so running
them on the loop thread is cheaper than handing them off. Reads keep the thread-backed
driver, so a long read never stalls the loop."""

from __future__ import annotations

import sqlite3
import types
from collections.abc import Iterable
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_


async def _done() -> None:
    return None


def _yield_point() -> None:
    # The async engine insists that each statement passes through an await; this one
    # completes at once, without giving up the loop.
    await_(_done())


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        # Rows are read from sqlite3 directly; there is no async stream to close.
        return None

    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        _yield_point()
        super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> InlineCursor:
        _yield_point()
        super().executemany(sql, seq_of_parameters)
        return self


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or InlineCursor)


def _connect(*args: Any, **kwargs: Any) -> InlineConnection:
    kwargs["factory"] = InlineConnection
    connection: InlineConnection = sqlite3.connect(*args, **kwargs)
    return connection


_dbapi = types.ModuleType("watchkeep_inline_sqlite3")
_dbapi.__dict__.update({k: v for k, v in vars(sqlite3).items() if not k.startswith("__")})
_dbapi.connect = _connect  # type: ignore[attr-defined]


def _raw(connection: Any, sql: str) -> None:
    cursor = sqlite3.Cursor(connection.connection.dbapi_connection)
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    driver = "watchkeep_inline"
    is_async = True
    supports_statement_cache = True

    # Savepoints straight on sqlite3: the writer opens one per write unit, and the engine
    # would compile each SAVEPOINT statement anew.
    def do_savepoint(self, connection: Any, name: str) -> None:
        _raw(connection, f'SAVEPOINT "{name}"')

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        _raw(connection, f'RELEASE SAVEPOINT "{name}"')

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        _raw(connection, f'ROLLBACK TO SAVEPOINT "{name}"')

    @classmethod
    def import_dbapi(cls) -> Any:
        return _dbapi

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool


registry.register("sqlite.watchkeep_inline", __name__, "InlineSQLiteDialect")
