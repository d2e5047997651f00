"""Retention: the newest pings of each monitor, and the recent executions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from tests.heartbeats.conftest import QUIET, Heartbeats, serve_recording
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.heartbeats.worker import retention_step


@pytest.fixture
async def short_memory(
    sqlite_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Heartbeats]:
    settings = settings_for(sqlite_url, heartbeat_ping_retention=3, heartbeat_execution_retention_days=1, **QUIET)
    async with serve_recording(settings, clock, []) as running:
        yield Heartbeats(running, clock)


async def test_only_the_newest_pings_of_each_monitor_are_kept(short_memory: Heartbeats) -> None:
    first = await short_memory.create(name="first")
    second = await short_memory.create(name="second")
    for _ in range(5):
        await short_memory.ping(first["uuid"])
    await short_memory.ping(second["uuid"])
    await retention_step(short_memory.running.hub)
    assert [p["n"] for p in await short_memory.list_of(first["id"], "pings")] == [5, 4, 3]
    assert [p["n"] for p in await short_memory.list_of(second["id"], "pings")] == [1]


async def test_executions_older_than_the_retention_are_removed(short_memory: Heartbeats) -> None:
    monitor = await short_memory.create()
    await short_memory.ping(monitor["uuid"], "/0")
    short_memory.clock.advance(86400 - 1)
    await short_memory.ping(monitor["uuid"], "/1")
    short_memory.clock.advance(2)
    await retention_step(short_memory.running.hub)
    assert [r["exitCode"] for r in await short_memory.list_of(monitor["id"], "executions")] == [1]
