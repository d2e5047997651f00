"""Whether a database is in use. Every process that opens the store (a hub, a CLI command)
holds a shared lock on the database for as long as it has it open: on SQLite an `flock` on
`<database>.lock` beside the file, on PostgreSQL a session advisory lock taken shared. The
kernel or the server drop it when the process dies, so a crash leaves nothing behind.
`watchkeep restore` asks for the same lock exclusively and refuses while anyone holds it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# An arbitrary constant shared by every watchkeep process (distinct from the migration lock's).
IN_USE_LOCK_KEY = 0x7761_7463_6855


class DatabaseInUse(Exception):
    pass


def lock_path(database: Path) -> Path:
    return Path(f"{database}.lock")


class SqliteUse:
    """The shared (or, for a restore, exclusive) lock on a SQLite database's lock file."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool = False) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if exclusive:
                raise DatabaseInUse(f"{self.path.with_suffix('')} is in use by a running hub or command") from None
            raise DatabaseInUse(f"{self.path.with_suffix('')} is being restored; start again once it is done") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops its lock
            self._fd = None


class PostgresUse:
    """A session advisory lock held on a connection of its own for as long as the store is open."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> None:
        conn = await self.engine.connect()
        taken = (
            await conn.execute(text("SELECT pg_try_advisory_lock_shared(:key)"), {"key": IN_USE_LOCK_KEY})
        ).scalar()
        # The lock belongs to the session and outlives the transaction: end it so the
        # connection does not idle inside one.
        await conn.commit()
        if not taken:
            await conn.close()
            raise DatabaseInUse("the database is being restored; start again once it is done")
        self._conn = conn

    async def release(self) -> None:
        if self._conn is not None:
            # The connection goes back to the pool, its session alive: unlock explicitly.
            await self._conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": IN_USE_LOCK_KEY})
            await self._conn.commit()
            await self._conn.close()
            self._conn = None
