"""The store: group commit, one failing write rolling back alone, draining on close."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.db import Store
from watchkeep.core.errors import ErrorCode, WatchkeepError

_scratch = MetaData()
notes = Table("store_test_notes", _scratch, Column("id", Integer, primary_key=True), Column("text", String(50)))


@pytest.fixture
async def store(database_url: str) -> Store:
    store = Store(database_url, batch_size=64)
    await store.start()
    async with store.engine.begin() as conn:
        await conn.run_sync(_scratch.create_all)
    return store


async def _count(store: Store) -> int:
    async with store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(notes))).scalar_one())


def _add(note_id: int, text: str = "note"):  # type: ignore[no-untyped-def]
    async def unit(conn: AsyncConnection) -> int:
        await conn.execute(insert(notes).values(id=note_id, text=text))
        return note_id

    return unit


async def test_concurrent_writes_are_all_committed_before_they_return(store: Store) -> None:
    results = await asyncio.gather(*(store.write(_add(i)) for i in range(200)))
    assert sorted(results) == list(range(200))
    assert await _count(store) == 200
    await store.close()


async def test_a_failing_write_rolls_back_alone(store: Store) -> None:
    async def failing(conn: AsyncConnection) -> None:
        await conn.execute(insert(notes).values(id=1000, text="half"))
        raise WatchkeepError(ErrorCode.CONFLICT, "no")

    outcomes = await asyncio.gather(
        store.write(_add(1)), store.write(failing), store.write(_add(2)), return_exceptions=True
    )
    assert outcomes[0] == 1 and outcomes[2] == 2
    assert isinstance(outcomes[1], WatchkeepError)
    async with store.read() as conn:
        ids = sorted((await conn.execute(select(notes.c.id))).scalars())
    assert ids == [1, 2]
    await store.close()


async def test_close_commits_what_was_queued_and_then_refuses_writes(store: Store) -> None:
    pending = [asyncio.create_task(store.write(_add(i))) for i in range(50)]
    await asyncio.sleep(0)
    await store.close()
    assert sorted(await asyncio.gather(*pending)) == list(range(50))
    with pytest.raises(WatchkeepError) as refused:
        await store.write(_add(99))
    assert refused.value.code is ErrorCode.SERVICE_UNAVAILABLE
    reopened = Store(str(store.engine.url.render_as_string(hide_password=False)))
    await reopened.start()
    assert await _count(reopened) == 50
    await reopened.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    await store.start()
    async with store.read() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 30000
    await store.close()
