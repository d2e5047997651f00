"""An agent's status follows its last contact: online → delayed → offline → online, each
change published once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.agents.support import bearer, create_agent
from tests.support.hub import RunningHub
from watchkeep.agents.worker import AgentStatusWorker
from watchkeep.core.clock import FrozenClock
from watchkeep.core.events import Event

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def test_an_agent_goes_online_delayed_offline_and_online_again(start_hub: StartHub, clock: FrozenClock) -> None:
    # The hub's own loop runs rarely here; the test drives the steps.
    async with start_hub(clock=clock, agent_status_interval_seconds=3600) as hub:
        events: list[str] = []

        async def keep(event: Event) -> None:
            if event.type.startswith("agent.") and event.type != "agent.registered":
                events.append(event.type)

        hub.hub.bus.subscribe(keep)
        worker = AgentStatusWorker(hub.hub)
        agent = await create_agent(hub)
        client, token = hub.client(), bearer(agent["token"])

        async def status() -> str:
            value: str = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()["status"]
            return value

        assert await status() == "offline"
        assert not await worker.step()
        assert (await client.post("/api/metrics/ingest", json={"cpuPercent": 1}, headers=token)).status_code == 200
        assert (await client.post("/api/metrics/ingest", json={"cpuPercent": 1}, headers=token)).status_code == 200
        assert events == ["agent.online"]
        assert await status() == "online"

        clock.advance(30)  # two intervals of 15 s: not yet late
        assert not await worker.step()
        clock.advance(1)
        assert await worker.step()
        assert not await worker.step()
        assert events == ["agent.online", "agent.delayed"]
        assert await status() == "delayed"

        clock.advance(30)
        assert await worker.step()
        assert not await worker.step()
        assert events == ["agent.online", "agent.delayed", "agent.offline"]
        assert await status() == "offline"

        assert (await client.post("/api/metrics/ingest", json={"cpuPercent": 1}, headers=token)).status_code == 200
        assert not await worker.step()
        assert events == ["agent.online", "agent.delayed", "agent.offline", "agent.online"]
        assert await status() == "online"


async def test_the_thresholds_are_configurable(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(
        clock=clock,
        agent_status_interval_seconds=3600,
        agent_delayed_after_intervals=1,
        agent_offline_after_intervals=10,
    ) as hub:
        agent = await create_agent(hub)
        token = bearer(agent["token"])
        assert (await hub.client().post("/api/metrics/ingest", json={}, headers=token)).status_code == 200
        clock.advance(16)
        assert (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()["status"] == "delayed"
        clock.advance(60)
        assert (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()["status"] == "delayed"
        clock.advance(75)
        assert (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()["status"] == "offline"
