"""The store: a read pool and one way to write.

A write is a *unit*: an async function of an `AsyncConnection` that runs inside a
transaction and returns a value. `Store.write(unit)` returns once the unit's rows are
committed, so a request that awaits it is answered only after its data is durable.

On SQLite one writer task owns the write connection and group-commits: it takes every unit
waiting in the queue (up to `batch_size`), runs each in its own SAVEPOINT (so a failing unit
rolls back alone and gets its own exception) and commits them with one COMMIT. Checkpoints
of the write-ahead log (copying its pages into the database and syncing the file) would
stall the event loop the writer runs on: a worker thread runs them, on a connection of its
own, every `CHECKPOINT_EVERY` commits. Only a checkpoint taken by the writer lets the log
start over (the thread's never catch up with a busy writer), so the writer still takes one
once the log holds `WRITER_CHECKPOINT_PAGES` pages; by then there is little left to copy.
On PostgreSQL each unit gets its own transaction from the pool; the server does the rest.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from watchkeep.core.db import inline_sqlite  # noqa: F401  (registers the writer's dialect)
from watchkeep.core.db.inuse import PostgresUse, SqliteUse
from watchkeep.core.db.urls import async_url
from watchkeep.core.errors import service_unavailable
from watchkeep.core.files import ensure_private_database, ensure_private_dir

log = logging.getLogger("watchkeep.store")

T = TypeVar("T")
WriteUnit = Callable[[AsyncConnection], Awaitable[T]]


@dataclass
class StoreStats:
    """Commits made by this process and the time they took, for /metrics."""

    commits: int = 0
    commit_seconds: float = 0.0

    def add(self, seconds: float) -> None:
        self.commits += 1
        self.commit_seconds += seconds


@dataclass
class _Pending:
    unit: Callable[[AsyncConnection], Awaitable[Any]]
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


_STOP = object()
CHECKPOINT_EVERY = 16  # group commits between two checkpoints of the write-ahead log, in a thread
# The writer's own checkpoint, in pages of log: rarely needed, and then short (the thread has
# copied nearly everything), it lets the log start over from its beginning.
WRITER_CHECKPOINT_PAGES = 8000


class Store:
    def __init__(self, database_url: str, *, batch_size: int = 256, pool_size: int = 10) -> None:
        url = async_url(database_url)
        self.dialect = "sqlite" if url.drivername.startswith("sqlite") else "postgresql"
        self.batch_size = batch_size
        if self.dialect == "sqlite":
            if url.database and url.database != ":memory:":
                # A directory made here is private; an existing one is the operator's choice
                # (the data dir itself is checked at start).
                ensure_private_dir(Path(url.database).parent, check_existing=False)
            self.engine: AsyncEngine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, connect_args={"timeout": 30}
            )
            _configure_sqlite(self.engine)
            self._write_engine = create_async_engine(
                url.set(drivername="sqlite+watchkeep_inline"),
                pool_size=1,
                max_overflow=0,
                connect_args={"timeout": 5, "check_same_thread": False},
            )
            _configure_sqlite(self._write_engine, busy_timeout_ms=5000, writer=True)
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size * 2)
            self._write_engine = self.engine
        self._queue: asyncio.Queue[_Pending | object] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._database = url.database if self.dialect == "sqlite" and url.database != ":memory:" else None
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._checkpointing: asyncio.Future[None] | None = None
        self._commits = 0
        self.stats = StoreStats()
        self._sqlite_use = SqliteUse(Path(self._database)) if self._database is not None else None
        self._postgres_use = PostgresUse(self.engine) if self.dialect == "postgresql" else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    async def start(self) -> None:
        """Open the store; raises DatabaseInUse while `watchkeep restore` replaces the database."""
        if self._database is not None:
            ensure_private_database(Path(self._database))
        if self._sqlite_use is not None:
            self._sqlite_use.acquire()
        if self._postgres_use is not None:
            await self._postgres_use.acquire()
        if self.is_sqlite and self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="watchkeep-writer")

    async def close(self) -> None:
        """Stop taking writes, commit every write already queued, then release the engine.
        Safe to call twice."""
        self._closing = True
        if self._writer is not None:
            await self._queue.put(_STOP)
            await self._writer
            self._writer = None
        if self._checkpointing is not None:
            await self._checkpointing
            self._checkpointing = None
        if self._checkpoint_conn is not None:
            self._checkpoint_conn.close()
            self._checkpoint_conn = None
        if self._postgres_use is not None:
            await self._postgres_use.release()
        await self.engine.dispose()
        if self._sqlite_use is not None:
            self._sqlite_use.release()
        if self._write_engine is not self.engine:
            await self._write_engine.dispose()

    @property
    def queue_depth(self) -> int:
        """Writes waiting for the writer (SQLite); 0 on PostgreSQL, where nothing queues."""
        return self._queue.qsize()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def write(self, unit: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        if self._closing:
            raise service_unavailable("The hub is shutting down", retry_after=5)
        if not self.is_sqlite:
            started = time.perf_counter()
            async with self.engine.begin() as conn:
                value = await unit(conn)
            self.stats.add(time.perf_counter() - started)
            return value
        if self._writer is None:
            raise RuntimeError("Store.start() was not called")
        pending = _Pending(unit)
        await self._queue.put(pending)
        result: T = await pending.future
        return result

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _write_loop(self) -> None:
        conn = await self._write_engine.connect()
        try:
            stopping = False
            while not stopping:
                first = await self._queue.get()
                batch: list[_Pending] = []
                if first is _STOP:
                    stopping = True
                else:
                    assert isinstance(first, _Pending)
                    batch.append(first)
                while len(batch) < self.batch_size and not self._queue.empty():
                    item = self._queue.get_nowait()
                    if item is _STOP:
                        stopping = True
                        continue
                    assert isinstance(item, _Pending)
                    batch.append(item)
                if batch:
                    started = time.perf_counter()
                    conn = await self._commit_batch(conn, batch)
                    self.stats.add(time.perf_counter() - started)
                    self._after_commit()
        finally:
            await conn.close()

    def _after_commit(self) -> None:
        self._commits += 1
        if self._database is None or self._commits % CHECKPOINT_EVERY:
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._checkpointing = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)

    def _checkpoint(self) -> None:
        """Copy committed pages from the write-ahead log into the database (in a worker
        thread; readers and the writer go on meanwhile)."""
        try:
            if self._checkpoint_conn is None:
                assert self._database is not None
                self._checkpoint_conn = sqlite3.connect(self._database, timeout=5, check_same_thread=False)
            self._checkpoint_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            log.warning("checkpoint of the write-ahead log failed", exc_info=True)

    async def _commit_batch(self, conn: AsyncConnection, batch: list[_Pending]) -> AsyncConnection:
        results: list[tuple[_Pending, Any, BaseException | None]] = []
        try:
            async with conn.begin():
                for pending in batch:
                    try:
                        async with conn.begin_nested():
                            value = await pending.unit(conn)
                        results.append((pending, value, None))
                    except Exception as exc:  # the unit's own failure, rolled back alone
                        results.append((pending, None, exc))
                    # The writer's statements run inline (core/db/inline_sqlite.py): let the
                    # loop serve other requests between units of a large batch.
                    await asyncio.sleep(0)
        except Exception as exc:
            log.exception("group commit of %d writes failed", len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            await conn.close()
            return await self._write_engine.connect()
        for pending, value, error in results:
            if pending.future.done():
                continue
            if error is not None:
                pending.future.set_exception(error)
            else:
                pending.future.set_result(value)
        return conn


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int = 30_000, *, writer: bool = False) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Transactions are begun explicitly below, so SAVEPOINT works as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if writer:
            cursor.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
            # The writer touches the newest pages of every series' index on every payload:
            # keep them in its own cache rather than reading them back from the file.
            cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")
