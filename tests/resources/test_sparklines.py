"""`GET /api/v1/dashboard/sparklines`: the last hour of every host's and container's CPU and
memory, from the 1-minute rollups where they are done and from the raw samples after."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from tests.agents.support import create_agent
from tests.resources.support import agent_with_container, container, push, stats
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock
from watchkeep.resources.repository import marks
from watchkeep.resources.rollups import rollup_step

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def _averages(samples: list[tuple[int, float]], start_ms: int, bucket_ms: int, points: int) -> list[float | None]:
    buckets: dict[int, list[float]] = defaultdict(list)
    for ts, value in samples:
        index = (ts - start_ms) // bucket_ms
        if 0 <= index < points:
            buckets[index].append(value)
    return [round(sum(b) / len(b), 2) if (b := buckets.get(i)) else None for i in range(points)]


async def test_hosts_and_containers_have_their_last_hour_in_thirty_points(
    start_hub: StartHub, clock: FrozenClock, database_url: str
) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        quiet = await create_agent(hub, "quiet-1")
        host_cpu: list[tuple[int, float]] = []
        api_cpu: list[tuple[int, float]] = []
        api_memory: list[tuple[int, float]] = []
        for minute in range(75):  # more than the hour: the oldest samples fall out
            cpu = float(minute % 7)
            await push(
                hub,
                agent,
                clock,
                services=[stats("api", cpu * 10, 100 + minute)],
                containers=[container("a1", "api")],
                cpuPercent=cpu,
                memoryUsedMb=500,
                memoryTotalMb=1000,
            )
            host_cpu.append((clock.now_ms(), cpu))
            api_cpu.append((clock.now_ms(), cpu * 10))
            api_memory.append((clock.now_ms(), (100 + minute) / 10))
            clock.advance(45)  # a payload a minute
            if minute == 50:
                await rollup_step(hub.hub)  # the older part from the minute tier, the rest raw

        body = (await hub.admin.get("/api/v1/dashboard/sparklines")).json()
        assert body["endpoints"] == []
        assert (body["points"], body["bucketSeconds"]) == (30, 120)
        start = int(datetime.fromisoformat(body["from"]).timestamp() * 1000)
        assert clock.now_ms() - start < 3_600_000 + 120_000
        async with hub.hub.store.read() as conn:
            assert start + 600_000 < (await marks(conn))["minute"] < clock.now_ms() - 600_000  # both tiers read

        hosts = {h["name"]: h for h in body["hosts"]}
        assert set(hosts) == {"web-1", "quiet-1"}
        assert hosts["web-1"]["id"] == agent["id"]
        assert hosts["web-1"]["cpu"] == _averages(host_cpu, start, 120_000, 30)
        assert hosts["web-1"]["memory"] == [50.0 if v is not None else None for v in hosts["web-1"]["cpu"]]
        assert hosts["quiet-1"] == {"id": quiet["id"], "name": "quiet-1", "cpu": [None] * 30, "memory": [None] * 30}

        [api] = body["containers"]
        assert (api["id"], api["name"], api["agentId"], api["host"]) == (cid, "api", agent["id"], "web-1")
        assert api["cpu"] == _averages(api_cpu, start, 120_000, 30)
        assert api["memory"] == _averages(api_memory, start, 120_000, 30)
