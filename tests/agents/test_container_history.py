"""Container history: a payload's container samples are stored as one row per agent and time
(resources/tables.py); the history of one container's metric reads its values back, on both
databases, and a payload stored again at a stored time adds only what was not stored."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from tests.agents.support import bearer, create_agent
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def _post(hub: RunningHub, token: str, payload: dict[str, Any]) -> Any:
    return await hub.client().post("/api/metrics/ingest", json=payload, headers=bearer(token))


async def test_container_history_averages_each_containers_samples(start_hub: StartHub, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        token = agent["token"]

        def services(**cpu: float) -> list[dict[str, Any]]:
            return [{"containerName": name, "cpuPercent": value, "memoryUsedMb": 64} for name, value in cpu.items()]

        for at, cpu in (("11:58:00", {"api": 10, "db": 1}), ("11:58:05", {"api": 20}), ("11:59:00", {"api": 30})):
            body = {"timestamp": f"2026-05-01T{at}Z", "services": services(**cpu)}
            assert (await _post(hub, token, body)).status_code == 200
        # Stored again at a stored time: what is stored stays, another container's samples join.
        body = {"timestamp": "2026-05-01T11:58:00Z", "services": services(api=99, db=3, web=7)}
        assert (await _post(hub, token, body)).json()["replay"] is True
        url = f"/api/v1/agents/{agent['id']}/metrics/history"

        async def points(container: str, metric: str = "cpuPercent") -> list[tuple[str, float]]:
            params = {"range": "1h", "metric": metric, "container": container}
            history = (await hub.admin.get(url, params=params)).json()
            return [(p["t"], p["v"]) for p in history["points"]]

        assert await points("api") == [("2026-05-01T11:58:00.000Z", 15), ("2026-05-01T11:59:00.000Z", 30)]
        assert await points("db") == [("2026-05-01T11:58:00.000Z", 1)]
        assert await points("web") == [("2026-05-01T11:58:00.000Z", 7)]
        assert await points("api", "memoryUsedMb") == [
            ("2026-05-01T11:58:00.000Z", 64),
            ("2026-05-01T11:59:00.000Z", 64),
        ]
        assert await points("api", "memoryPercent") == []
        assert await points("missing") == []
