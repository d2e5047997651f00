"""`watchkeep backup` and `watchkeep restore`: a backup taken during a burst of writes holds
every write acknowledged before it began, restores to a hub that starts and serves them, and
a restore refuses while anything has the database open."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from tests.support.hub import RunningHub
from tests.support.process import WATCHKEEP, admin_session, start_serve
from watchkeep.core.backup import BackupError, backup, restore, rotate, scheduled_backup_step
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.inuse import DatabaseInUse, SqliteUse

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WATCHKEEP, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


async def test_a_backup_during_a_burst_restores_every_write_acknowledged_before_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'watchkeep.db'}"
    env = {"WATCHKEEP_DATA_DIR": str(data), "WATCHKEEP_DATABASE_URL": url}
    target = tmp_path / "backups" / "during-burst.db"
    serve = start_serve(tmp_path, url)
    try:
        serve.wait_healthy()
        # (when the request was sent, when its answer came, the monitor's name)
        acknowledged: list[tuple[float, float, str]] = []
        backup_began = backup_ended = 0.0
        async with admin_session(serve) as api:

            async def writer(worker: int) -> None:
                for n in range(10_000):
                    name = f"job-{worker}-{n}"
                    sent = time.monotonic()
                    response = await api.post("/api/v1/heartbeats", json={"name": name})
                    assert response.status_code == 201, response.text
                    acknowledged.append((sent, time.monotonic(), name))
                    if backup_ended and time.monotonic() > backup_ended + 1:
                        return

            writers = [asyncio.create_task(writer(i)) for i in range(4)]
            while len(acknowledged) < 100:
                await asyncio.sleep(0.01)
            backup_began = time.monotonic()
            result = await asyncio.to_thread(_cli, "backup", str(target), env=env)
            backup_ended = time.monotonic()
            assert result.returncode == 0, result.stderr + result.stdout
            await asyncio.gather(*writers)
        before = {name for _, acked, name in acknowledged if acked < backup_began}
        after = {name for sent, _, name in acknowledged if sent > backup_ended}
        assert before and after  # the writes went on while the backup ran

        # Nothing can be restored under a running hub.
        refused = _cli("restore", str(target), "--yes", env=env)
        assert refused.returncode == 1
        assert "in use" in refused.stdout
    finally:
        serve.terminate()
    assert "every acknowledged write is committed" in serve.stderr()
    assert oct(target.stat().st_mode & 0o777) == "0o600"

    restored = _cli("restore", str(target), "--yes", env=env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    serve = start_serve(tmp_path, url, name="restored")
    try:
        serve.wait_healthy()
        async with admin_session(serve) as api:
            names = {monitor["name"] for monitor in (await api.get("/api/v1/heartbeats")).json()}
            assert before <= names
            assert not after & names  # later writes are not in a backup taken before them
            created = await api.post("/api/v1/heartbeats", json={"name": "after-restore"})
            assert created.status_code == 201
    finally:
        serve.terminate()


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'watchkeep.db'}")


async def test_a_database_being_restored_cannot_be_opened(tmp_path: Path) -> None:
    database = tmp_path / "watchkeep.db"
    database.touch()
    restoring = SqliteUse(database)
    restoring.acquire(exclusive=True)
    store = Store(f"sqlite:///{database}")
    try:
        with pytest.raises(DatabaseInUse, match="being restored"):
            await store.start()
    finally:
        restoring.release()
        await store.close()


async def test_a_file_that_is_no_backup_is_refused_and_changes_nothing(
    tmp_path: Path, start_hub: StartHub, sqlite_url: str
) -> None:
    async with start_hub() as hub:
        assert (await hub.admin.post("/api/v1/heartbeats", json={"name": "kept"})).status_code == 201
    settings = _settings(tmp_path)
    database = tmp_path / "watchkeep.db"
    before = database.read_bytes()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a SQLite database"):
        restore(settings, garbage)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="not a watchkeep database"):
        restore(settings, other)
    with pytest.raises(BackupError, match="no backup"):
        restore(settings, tmp_path / "missing.db")
    assert database.read_bytes() == before
    with pytest.raises(BackupError, match="directory"):
        backup(settings, tmp_path)


async def test_scheduled_backups_rotate(tmp_path: Path, start_hub: StartHub, sqlite_url: str) -> None:
    clock = FrozenClock()
    async with start_hub(clock=clock, backup_keep=2) as hub:
        for _ in range(3):
            await scheduled_backup_step(hub.hub)
            clock.advance(3600)
    kept = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert len(kept) == 2
    assert all(name.startswith("watchkeep-") and name.endswith("Z.db") for name in kept)
    assert oct((tmp_path / "backups").stat().st_mode & 0o777) == "0o700"
    assert rotate(tmp_path / "backups", 1) == [tmp_path / "backups" / kept[0]]


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed (postgresql-client)")
async def test_postgresql_is_dumped_and_restored(start_hub: StartHub, postgres_url: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path).model_copy(update={"database_url": postgres_url})
    target = tmp_path / "hub.dump"
    async with start_hub() as hub:
        assert (await hub.admin.post("/api/v1/heartbeats", json={"name": "before"})).status_code == 201
        await asyncio.to_thread(backup, settings, target)
        assert (await hub.admin.post("/api/v1/heartbeats", json={"name": "after"})).status_code == 201
        with pytest.raises(BackupError, match="in use"):
            await asyncio.to_thread(restore, settings, target)
    await asyncio.to_thread(restore, settings, target)
    async with start_hub() as hub:
        names = [m["name"] for m in (await hub.admin.get("/api/v1/heartbeats")).json()]
        assert names == ["before"]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    # Each test here picks its own database.
    name = request.node.name
    kind = "postgres_url" if "postgresql" in name else "sqlite_url"
    url: str = request.getfixturevalue(kind)
    return url
