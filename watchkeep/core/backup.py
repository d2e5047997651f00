"""Backups: `watchkeep backup PATH`, `watchkeep restore PATH`, and the scheduled backups.

SQLite is copied with its online backup API: a consistent snapshot as of the moment the copy
starts, taken while the hub keeps writing (WAL lets writers go on). PostgreSQL is dumped with
`pg_dump` (custom format) and restored with `pg_restore`, when the PostgreSQL client tools are
installed. A restore refuses while anything has the database open (core/db/inuse.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from watchkeep.core.config import Settings
from watchkeep.core.db.inuse import IN_USE_LOCK_KEY, DatabaseInUse, SqliteUse
from watchkeep.core.db.urls import async_url
from watchkeep.core.files import ensure_private_dir
from watchkeep.core.hub import Hub

log = logging.getLogger("watchkeep.backup")


class BackupError(Exception):
    pass


def _sqlite_path(settings: Settings) -> Path | None:
    url = async_url(settings.database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """The URL the PostgreSQL tools take, and the environment carrying its password (kept off
    the command line, where any user could read it)."""
    url: URL = make_url(settings.database_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client, "
            f"the same major version as the server), or back up with your own {name}"
        )
    return found


def backup(settings: Settings, target: Path) -> Path:
    """Write a backup of the database to `target` (mode 0600), whole or not at all."""
    target = target.expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    database = _sqlite_path(settings)
    try:
        if database is not None:
            if not database.exists():
                raise BackupError(f"no database at {database}")
            _backup_sqlite(database, partial)
        else:
            url, env = _libpq(settings)
            command = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={url}"]
            _run(command, env)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _backup_sqlite(database: Path, target: Path) -> None:
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # in one step: one read transaction, one snapshot
            if copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError("the copy failed its integrity check")
        finally:
            copy.close()
    finally:
        source.close()


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def restore(settings: Settings, source: Path) -> None:
    """Replace the database with the backup at `source`; refuses while anything uses it."""
    source = source.expanduser()
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    database = _sqlite_path(settings)
    if database is not None:
        _check_sqlite_backup(source)
        with _exclusive(database):
            partial = database.with_name(f".{database.name}.restoring")
            try:
                _backup_sqlite(source, partial)
                os.chmod(partial, 0o600)
                for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                    leftover.unlink(missing_ok=True)
                os.replace(partial, database)
            finally:
                partial.unlink(missing_ok=True)
        return
    url, env = _libpq(settings)
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={url}"]
    asyncio.run(_restore_postgres(settings, [*command, str(source)], env))


def _check_sqlite_backup(source: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
            is_ours = found.fetchone() is not None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a SQLite database: {exc}") from None
    if not is_ours:
        raise BackupError(f"{source} is not a watchkeep database")


@contextmanager
def _exclusive(database: Path) -> Iterator[None]:
    use = SqliteUse(database)
    try:
        use.acquire(exclusive=True)
    except DatabaseInUse as exc:
        raise BackupError(f"{exc}; stop it first") from None
    try:
        yield
    finally:
        use.release()


async def _restore_postgres(settings: Settings, command: list[str], env: dict[str, str]) -> None:
    import asyncpg  # the postgres extra: only a PostgreSQL hub has it

    url, _ = _libpq(settings)
    conn = await asyncpg.connect(url, password=env.get("PGPASSWORD"))
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", IN_USE_LOCK_KEY):
            raise BackupError("the database is in use by a running hub or command; stop every replica first")
        try:
            await asyncio.to_thread(_run, command, env)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", IN_USE_LOCK_KEY)
    finally:
        await conn.close()


def backup_name(now_ms: int, settings: Settings) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now_ms / 1000))
    return f"watchkeep-{stamp}.{'db' if settings.is_sqlite else 'dump'}"


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest scheduled backups beyond the newest `keep`; the deleted ones."""
    backups = sorted(directory.glob("watchkeep-*Z.db")) + sorted(directory.glob("watchkeep-*Z.dump"))
    backups.sort(key=lambda path: path.name)
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


async def scheduled_backup_step(hub: Hub) -> bool:
    """One scheduled backup into the backup directory, then the rotation."""
    settings = hub.settings
    directory = settings.backup_dir or settings.data_dir / "backups"
    ensure_private_dir(directory)
    target = directory / backup_name(hub.clock.now_ms(), settings)
    try:
        await asyncio.to_thread(backup, settings, target)
    except BackupError as exc:
        log.error("scheduled backup failed: %s", exc)
        return False
    removed = rotate(directory, settings.backup_keep)
    log.info("backed up to %s (%d old backups removed)", target, len(removed))
    return False
