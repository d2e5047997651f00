"""The spec's resource routes: a container's current values and history by its id, the top
consumers across hosts, and the summary per host and overall."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from tests.agents.support import create_agent
from tests.containers.test_lifecycle import _container, _report
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _stats(name: str, cpu: float, memory: float, rx: float = 0) -> dict[str, Any]:
    return {"containerName": name, "cpuPercent": cpu, "memoryUsedMb": memory, "memoryLimitMb": 1024, "networkRxMb": rx}


async def test_current_history_top_and_summary(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        web, db = await create_agent(hub, "web-1"), await create_agent(hub, "db-1")
        host = {"cpuPercent": 40.0, "memoryUsedMb": 1000, "memoryTotalMb": 4000, "diskUsedGb": 10, "diskTotalGb": 100}
        await _report(
            hub,
            web,
            clock,
            [_container("a1", "api", "running"), _container("a2", "worker", "running")],
            services=[_stats("api", 30.0, 200), _stats("worker", 5.0, 600)],
            **host,
        )
        await _report(
            hub, db, clock, [_container("b1", "postgres", "running")], services=[_stats("postgres", 12.0, 900)]
        )
        ids = {c["name"]: c["id"] for c in (await hub.admin.get("/api/v1/containers")).json()["items"]}

        current = (await hub.admin.get(f"/api/v1/containers/{ids['api']}/resources/current")).json()
        assert current["name"] == "api"
        assert current["values"]["cpuPercent"] == 30.0
        assert current["values"]["memoryUsedMb"] == 200

        for minute in range(1, 4):
            clock.advance(60)
            await _report(
                hub,
                web,
                clock,
                [_container("a1", "api", "running"), _container("a2", "worker", "running")],
                services=[_stats("api", 30.0 + minute, 200), _stats("worker", 5.0, 600)],
            )
        url = f"/api/v1/containers/{ids['api']}/resources/history"
        history = (await hub.admin.get(url, params={"range": "1h"})).json()
        assert history["metric"] == "cpuPercent"
        assert [p["v"] for p in history["points"]] == [30.0, 31.0, 32.0, 33.0]
        assert all(p["max"] >= p["v"] for p in history["points"])
        bad = await hub.admin.get(url, params={"metric": "nope"})
        assert bad.status_code == 400
        assert bad.json()["error"]["field"] == "metric"

        by_cpu = (await hub.admin.get("/api/v1/resources/top", params={"sort": "cpu", "limit": 2})).json()
        assert [(i["name"], i["host"], i["id"]) for i in by_cpu["items"]] == [
            ("api", "web-1", ids["api"]),
            ("postgres", "db-1", ids["postgres"]),
        ]
        by_memory = (await hub.admin.get("/api/v1/resources/top", params={"sort": "memory"})).json()
        assert [i["name"] for i in by_memory["items"]] == ["postgres", "worker", "api"]
        assert (await hub.admin.get("/api/v1/resources/top", params={"sort": "colour"})).status_code == 400

        summary = (await hub.admin.get("/api/v1/resources/summary")).json()
        hosts = {h["name"]: h for h in summary["hosts"]}
        assert hosts["web-1"]["containers"] == 2
        assert hosts["web-1"]["containersMemoryUsedMb"] == 800
        assert hosts["web-1"]["cpuPercent"] == 40.0
        assert summary["overall"]["containers"] == 3
        assert summary["overall"]["hosts"] == 2
        assert summary["overall"]["memoryTotalMb"] == 4000


async def test_an_unknown_container_has_no_resources(hub: RunningHub) -> None:
    response = await hub.admin.get("/api/v1/containers/ctr_nope/resources/current")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
