"""Metric rollup tiers: the claimed loop rolls complete minutes and hours up, history reads
each range from its tier (and the newest time, not rolled up yet, from the finer ones), and
retention deletes each tier past its retention but never what the next tier does not hold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.agents.support import bearer, create_agent
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock, to_ms
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate
from watchkeep.core.hub import Hub
from watchkeep.resources import repository as repo
from watchkeep.resources.model import ContainerSample, HostSample
from watchkeep.resources.rollups import retention_step, rollup_step
from watchkeep.resources.service import record
from watchkeep.resources.tables import (
    container_rollups_hour,
    container_rollups_minute,
    container_sample_sets,
    host_rollups_hour,
    host_rollups_minute,
    host_samples,
    metric_series,
)

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]
T0 = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)


def at(hours: int = 0, minutes: int = 0, seconds: int = 0, days: int = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def stamp(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_history_reads_each_range_from_its_tier(start_hub: StartHub, clock: FrozenClock) -> None:
    clock.set(T0)
    async with start_hub(clock=clock, metrics_raw_retention_hours=1) as running:
        agent = await create_agent(running)

        async def push(when: datetime, cpu: float) -> None:
            clock.set(when)
            body = {
                "timestamp": stamp(when),
                "cpuPercent": cpu,
                "services": [{"containerName": "api", "cpuPercent": cpu / 10}],
            }
            response = await running.client().post("/api/metrics/ingest", json=body, headers=bearer(agent["token"]))
            assert response.status_code == 200, response.text

        for when, cpu in ((at(), 10), (at(seconds=30), 30), (at(minutes=1), 50), (at(hours=1, seconds=10), 70)):
            await push(when, cpu)
        clock.set(at(hours=1, minutes=30))
        await rollup_step(running.hub)
        # Raw samples older than an hour are gone: the minutes before 01:00 live on in the tiers.
        await retention_step(running.hub)
        await push(at(hours=1, minutes=30), 90)  # after the minute tier's watermark: raw only

        async def history(range_name: str, container: str | None = None) -> tuple[int, list[tuple[str, float, float]]]:
            params = {"range": range_name, "metric": "cpuPercent"} | ({"container": container} if container else {})
            response = await running.admin.get(f"/api/v1/agents/{agent['id']}/metrics/history", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            return body["bucketSeconds"], [(p["t"], p["v"], p["max"]) for p in body["points"]]

        expected = {
            "1h": (10, [(at(hours=1, seconds=10), 70, 70), (at(hours=1, minutes=30), 90, 90)]),
            "6h": (
                60,
                [
                    (at(), 20, 30),
                    (at(minutes=1), 50, 50),
                    (at(hours=1), 70, 70),
                    (at(hours=1, minutes=30), 90, 90),
                ],
            ),
            "24h": (240, [(at(), 30, 50), (at(hours=1), 70, 70), (at(hours=1, minutes=28), 90, 90)]),
            # 00:00 from the hour tier, 01:00 from a minute rollup and a raw sample
            "7d": (3600, [(at(), 30, 50), (at(hours=1), 80, 90)]),
            "30d": (7200, [(at(), 50, 90)]),
        }
        for range_name, (bucket, points) in expected.items():
            want = [(stamp(t), v, m) for t, v, m in points]
            assert await history(range_name) == (bucket, want), range_name
            scaled = [(t, round(v / 10, 3), round(m / 10, 3)) for t, v, m in want]
            assert await history(range_name, "api") == (bucket, scaled), range_name


@asynccontextmanager
async def bare_hub(database_url: str, settings: Settings, clock: FrozenClock) -> AsyncIterator[Hub]:
    """The hub's store and clock without its background loops, so only the test runs steps."""
    store = Store(database_url)
    await store.start()
    try:
        await migrate(store)
        yield Hub(settings=settings, store=store, clock=clock)
    finally:
        await store.close()


async def _times(hub: Hub, table: Any) -> list[int]:
    async with hub.store.read() as conn:
        return [int(t) for t in (await conn.execute(select(table.c.ts).order_by(table.c.ts))).scalars()]


async def test_retention_deletes_what_is_due_and_nothing_not_rolled_up(
    database_url: str, settings_for: Callable[..., Settings]
) -> None:
    clock = FrozenClock(T0)
    settings = settings_for(
        database_url,
        metrics_raw_retention_hours=1,
        metrics_minute_rollup_retention_days=1,
        metrics_hour_rollup_retention_days=2,
    )
    async with bare_hub(database_url, settings, clock) as hub:
        sampled = [at(minutes=15 * i) for i in range(24)]  # 00:00 .. 05:45
        series: dict[tuple[str, str], int] = {}
        for when in sampled:

            async def unit(conn: Any, when: datetime = when) -> None:
                host, containers = HostSample(cpu_percent=1.0), [ContainerSample(name="api", cpu_percent=2.0)]
                await record(conn, "agent-1", to_ms(when), host, containers, None, series=series)

            await hub.store.write(unit)

        def ms(*whens: datetime) -> list[int]:
            return [to_ms(w) for w in whens]

        clock.set(at(hours=2))
        await rollup_step(hub)  # minutes before 01:59 (that one waits for late payloads), hours before 01:00
        async with hub.store.read() as conn:
            assert await repo.marks(conn) == {"minute": to_ms(at(hours=1, minutes=59)), "hour": to_ms(at(hours=1))}
        clock.set(at(hours=6))
        await retention_step(hub)  # raw due before 05:00, but only rolled up before 01:59
        assert await _times(hub, host_samples) == ms(*sampled[8:])
        assert await _times(hub, container_sample_sets) == ms(*sampled[8:])
        assert await _times(hub, host_rollups_minute) == ms(*sampled[:8])
        assert await _times(hub, container_rollups_minute) == ms(*sampled[:8])
        assert await _times(hub, host_rollups_hour) == ms(at())

        await rollup_step(hub)  # minutes up to 05:59, hours up to 05:00
        await retention_step(hub)
        assert await _times(hub, host_samples) == ms(*sampled[20:])  # 05:00 and later
        assert await _times(hub, container_sample_sets) == ms(*sampled[20:])
        assert await _times(hub, host_rollups_minute) == ms(*sampled)

        clock.set(at(days=1, hours=3))
        await rollup_step(hub)
        await retention_step(hub)  # minutes due before day 1 03:00, all rolled up into hours
        assert await _times(hub, host_samples) == []
        assert await _times(hub, container_sample_sets) == []
        assert await _times(hub, host_rollups_minute) == ms(*sampled[12:])
        assert await _times(hub, container_rollups_minute) == ms(*sampled[12:])
        hours = ms(*(at(hours=h) for h in range(6)))
        assert await _times(hub, host_rollups_hour) == hours
        assert await _times(hub, container_rollups_hour) == hours

        clock.set(at(days=2, hours=3, minutes=30))
        await retention_step(hub)  # hours due before 03:30 two days later
        assert await _times(hub, host_rollups_minute) == []
        assert await _times(hub, host_rollups_hour) == hours[4:]
        assert await _times(hub, container_rollups_hour) == hours[4:]
        async with hub.store.read() as conn:
            count = func.count()
            assert (await conn.execute(select(count).select_from(container_rollups_minute))).scalar() == 0
            assert await repo.marks(conn) == {
                "minute": to_ms(at(days=1, hours=2, minutes=59)),
                "hour": to_ms(at(days=1, hours=2)),
            }


async def test_the_hubs_claimed_loop_rolls_up_what_is_complete(
    database_url: str, settings_for: Callable[..., Settings], start_hub: StartHub
) -> None:
    clock = FrozenClock(T0)
    async with bare_hub(database_url, settings_for(database_url), clock) as hub:

        async def unit(conn: Any) -> None:
            for seconds in (0, 15, 75):
                host, containers = HostSample(cpu_percent=1.0), [ContainerSample(name="api", cpu_percent=2.0)]
                await record(conn, "agent-1", to_ms(at(seconds=seconds)), host, containers, None)

        await hub.store.write(unit)
    clock.set(at(minutes=3))
    async with start_hub(clock=clock) as running:
        # The job's first turn runs as the hub starts; wait for it, with a bound.
        async with asyncio.timeout(15):
            while await _times(running.hub, container_rollups_minute) != [to_ms(at()), to_ms(at(minutes=1))]:
                await asyncio.sleep(0.01)
        assert await _times(running.hub, host_rollups_minute) == [to_ms(at()), to_ms(at(minutes=1))]
        async with running.hub.store.read() as conn:
            assert (await repo.marks(conn))["minute"] == to_ms(at(minutes=2))


async def test_deleting_an_agent_deletes_its_rollups(start_hub: StartHub, clock: FrozenClock) -> None:
    clock.set(T0)
    async with start_hub(clock=clock) as running:
        doomed, kept = await create_agent(running, "doomed"), await create_agent(running, "kept")
        for agent in (doomed, kept):
            body = {"cpuPercent": 5, "services": [{"containerName": "api", "cpuPercent": 1}]}
            response = await running.client().post("/api/metrics/ingest", json=body, headers=bearer(agent["token"]))
            assert response.status_code == 200
        clock.set(at(hours=2))
        await rollup_step(running.hub)

        async def series_with_rollups() -> dict[str, set[int]]:
            found: dict[str, set[int]] = {}
            async with running.hub.store.read() as conn:
                for table in (host_rollups_minute, host_rollups_hour, container_rollups_minute, container_rollups_hour):
                    found[table.name] = set((await conn.execute(select(table.c.series_id))).scalars())
            return found

        before = await series_with_rollups()
        assert all(len(ids) == 2 for ids in before.values()), before  # each agent's host or container
        assert (await running.admin.delete(f"/api/v1/agents/{doomed['id']}")).status_code == 204
        async with running.hub.store.read() as conn:
            kept_ids = set((await conn.execute(select(metric_series.c.id))).scalars())
        after = await series_with_rollups()
        assert after == {name: ids & kept_ids for name, ids in before.items()}
        assert all(len(ids) == 1 for ids in after.values()), after
