"""Apply the Alembic migrations shipped inside the package.

On PostgreSQL the migrating hub holds an advisory lock, so replicas that start together
queue up: the first migrates, the others find the schema current. Each migration runs in
its own transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db.store import Store

log = logging.getLogger("watchkeep.migrate")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# An arbitrary constant shared by every watchkeep process: the advisory lock's key.
_ADVISORY_LOCK_KEY = 0x7761_7463_686B


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revisions() -> tuple[str, ...]:
    """Each domain's migrations form a branch off the core revision, so there may be several heads."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def _current(connection: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def _upgrade(connection: Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    before = _current(connection)
    connection.commit()
    command.upgrade(alembic_config(connection), "heads")
    after = _current(connection)
    connection.commit()
    return before, after


async def _take_lock(conn: AsyncConnection, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})).scalar()
        await conn.commit()
        if got:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"another process held the migration lock for over {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def migrate(store: Store, *, lock_timeout: float = 120.0) -> bool:
    """Bring the schema to the newest revision. Returns True when this call applied
    migrations, False when the schema was already current."""
    async with store.engine.connect() as conn:
        if not store.is_sqlite:
            await conn.execute(text("SET lock_timeout = '60s'"))
            await conn.commit()
            await _take_lock(conn, lock_timeout)
        try:
            before, after = await conn.run_sync(_upgrade)
        finally:
            if not store.is_sqlite:
                await conn.rollback()
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_LOCK_KEY})
                await conn.commit()
    if before == after:
        log.info("schema is current at revision %s", ", ".join(after))
        return False
    log.info("migrated schema from revision %s to %s", ", ".join(before) or "(empty)", ", ".join(after))
    return True
