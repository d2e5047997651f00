"""The deadlines worker on several replicas and after an outage: every missed deadline
gives exactly one state change and one event, dated at the deadline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import func, select

from tests.heartbeats.conftest import QUIET, Heartbeats, serve_recording
from tests.support.hub import running_hub
from tests.support.process import start_serve
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.events import Event, HeartbeatDeadlineMissed
from watchkeep.core.hub import Hub
from watchkeep.heartbeats.tables import heartbeat_flips


async def _flips_per_monitor(hub: Hub) -> dict[str, int]:
    query = select(heartbeat_flips.c.heartbeat_id, func.count()).group_by(heartbeat_flips.c.heartbeat_id)
    async with hub.store.read() as conn:
        return {row[0]: int(row[1]) for row in (await conn.execute(query)).all()}


async def test_deadlines_missed_while_the_hub_was_down_are_reported_once_and_together(
    sqlite_url: str,
    settings_for: Callable[..., Settings],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(sqlite_url, **QUIET)
    async with running_hub(settings, clock=clock) as before:
        heartbeats = Heartbeats(before, clock)
        monitors = [await heartbeats.create(name=f"job-{i}", periodSeconds=60 * (i + 1)) for i in range(5)]
        for monitor in monitors:
            await heartbeats.ping(monitor["uuid"])
    pinged = clock.now_ms()
    clock.advance(timedelta(days=2).total_seconds())  # the hub is down for two days
    events: list[Event] = []
    with caplog.at_level(logging.WARNING, logger="watchkeep.heartbeats"):
        async with serve_recording(settings, clock, events) as after:
            await after.app.state.heartbeat_deadlines.caught_up.wait()
            missed = [e for e in events if isinstance(e, HeartbeatDeadlineMissed)]
            assert sorted(e.name for e in missed) == [f"job-{i}" for i in range(5)]
            for event in missed:
                assert event.during_outage is True
                period = int(event.name.split("-")[1]) + 1
                assert event.deadline_ms == event.at_ms == pinged + (60 * period + 600) * 1000
            assert set((await _flips_per_monitor(after.hub)).values()) == {1}
            clock.advance(3600)
            await after.app.state.heartbeat_deadlines.step()
            assert len([e for e in events if isinstance(e, HeartbeatDeadlineMissed)]) == 5
    [summary] = [r for r in caplog.records if "while the hub was down" in r.getMessage()]
    assert summary.getMessage().startswith("5 heartbeat deadlines passed while the hub was down")


async def test_two_hubs_on_one_postgresql_fire_each_missed_deadline_exactly_once(
    postgres_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    settings = settings_for(postgres_url, **QUIET)
    events_a: list[Event] = []
    events_b: list[Event] = []
    async with (
        serve_recording(settings, clock, events_a) as hub_a,
        serve_recording(settings, clock, events_b) as hub_b,
    ):
        for running in (hub_a, hub_b):
            await running.app.state.heartbeat_deadlines.caught_up.wait()
        heartbeats = Heartbeats(hub_a, clock)
        monitors = [await heartbeats.create(name=f"job-{i}") for i in range(20)]
        for monitor in monitors:
            await heartbeats.ping(monitor["uuid"])
        clock.advance(4201)
        for _ in range(3):
            await asyncio.gather(hub_a.app.state.heartbeat_deadlines.step(), hub_b.app.state.heartbeat_deadlines.step())
        missed = [e for e in events_a + events_b if e.type == "heartbeat.deadline_missed"]
        assert sorted(e.data()["heartbeat_id"] for e in missed) == sorted(m["id"] for m in monitors)
        assert await _flips_per_monitor(hub_a.hub) == {m["id"]: 1 for m in monitors}
        assert all(m["status"] == "down" for m in (await hub_b.admin.get("/api/v1/heartbeats")).json())


async def test_two_hub_processes_starting_after_an_outage_fire_one_deadline_once(
    postgres_url: str, settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    # The monitor was last pinged a day ago, by a hub that then stopped.
    yesterday = FrozenClock()
    yesterday.advance(-86400)
    async with running_hub(settings_for(postgres_url, **QUIET), clock=yesterday) as before:
        heartbeats = Heartbeats(before, yesterday)
        monitor = await heartbeats.create(name="nightly", periodSeconds=60, graceSeconds=60)
        await heartbeats.ping(monitor["uuid"])
        key = before.admin_key
    # Replicas of the hub before: the same data dir, so the same secret key
    hubs = [
        start_serve(tmp_path, postgres_url, name=f"hub{i}", env={"WATCHKEEP_DATA_DIR": str(tmp_path)}) for i in range(2)
    ]

    def fired() -> list[str]:
        return [line for hub in hubs for line in hub.stderr().splitlines() if "missed its deadline" in line]

    try:
        for hub in hubs:
            hub.wait_healthy()
        for _ in range(200):  # both have run their first step once the health check answers
            if fired():
                break
            await asyncio.sleep(0.05)
        for hub in hubs:
            got = httpx2.get(f"{hub.url}/api/v1/heartbeats/{monitor['id']}", headers={"X-API-Key": key})
            assert got.json()["status"] == "down"
    finally:
        for hub in hubs:
            hub.terminate()
    assert len(fired()) == 1, fired()
    async with running_hub(settings_for(postgres_url, **QUIET)) as after:
        assert await _flips_per_monitor(after.hub) == {monitor["id"]: 1}
