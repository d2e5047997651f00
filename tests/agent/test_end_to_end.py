"""The agent against the real hub on loopback: a hub that goes away and comes back gets every
sample exactly once and in order; a spool past its bound reports its drops to the hub; an API
key registers; collector errors reach the agent object; the hub watches its own host."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.agent.loopback import ManualClock
from tests.agent.test_host_collector import _fake_host
from tests.support.hub import RunningHub, running_hub
from tests.support.process import free_port
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.hubclient import HubClient, RegistrationError
from watchkeep.agent.runner import Agent, Backoff
from watchkeep.agent.sampler import Sampler
from watchkeep.agent.spool import Spool
from watchkeep.core.config import Settings
from watchkeep.core.events import Event, ResourceSnapshot


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def clock() -> ManualClock:  # type: ignore[override]
    # whole seconds an hour ago: payload times are in the hub's past and exact to the millisecond
    return ManualClock(float(int(time.time()) - 3600))


def _agent(
    tmp_path: Path, url: str, clock: ManualClock, *, token: str = "", api_key: str = "", max_bytes: int = 10_000_000,
    host_root: Path = Path("/"),
) -> Agent:  # fmt: skip
    hub = HubClient(url, token=token, api_key=api_key, now=clock, timeout=5)
    spool = Spool(tmp_path / "spool", max_bytes=max_bytes, max_age_seconds=86400, now=clock)
    sampler = Sampler(HostCollector(host_root), docker=None, checks=None, now=clock)
    return Agent(sampler, spool, hub, backoff=Backoff(rng=random.Random(3)), now=clock)


async def _create_agent(hub: RunningHub) -> dict[str, Any]:
    response = await hub.admin.post("/api/v1/agents", json={"name": "web-1", "hostname": "web-1.test"})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _host_sample_times(hub: RunningHub, agent_id: str) -> list[int]:
    """The times of the host samples the hub holds for the agent."""
    query = text(
        "SELECT h.ts FROM host_samples h JOIN metric_series s ON s.id = h.series_id "
        "WHERE s.agent_id = :agent AND s.kind = 'host' ORDER BY h.ts"
    )
    async with hub.hub.store.read() as conn:
        return [int(row[0]) for row in (await conn.execute(query, {"agent": agent_id})).all()]


def _stored_in_order(hub: RunningHub, seen: list[int] | None = None) -> list[int]:
    """The sample times in the order the hub stored them: one resource.snapshot per payload
    stored as the agent's newest (a payload arriving out of order would not make one)."""
    seen = [] if seen is None else seen

    async def record(event: Event) -> None:
        if isinstance(event, ResourceSnapshot):
            seen.append(event.at_ms)

    hub.hub.bus.subscribe(record)
    return seen


async def _tick(agent: Agent, clock: ManualClock, sent: list[int]) -> None:
    sent.append(int(clock.now * 1000))
    await agent.tick()
    clock.advance(15)


async def test_a_hub_that_goes_away_gets_every_sample_once_and_in_order(
    sqlite_url: str, settings_for: Callable[..., Settings], tmp_path: Path, clock: ManualClock
) -> None:
    settings, port, sent = settings_for(sqlite_url), free_port(), []
    async with running_hub(settings, port=port) as hub:
        order = _stored_in_order(hub)
        created = await _create_agent(hub)
        agent = _agent(tmp_path, hub.url, clock, token=created["token"])
        for _ in range(3):
            await _tick(agent, clock, sent)
        assert len(agent.spool) == 0
    try:
        for _ in range(8):  # the hub is stopped: the agent spools
            await _tick(agent, clock, sent)
        assert len(agent.spool) == 8
        async with running_hub(settings, port=port) as hub:
            _stored_in_order(hub, order)
            clock.advance(agent.backoff.cap)
            sent.append(int(clock.now * 1000))
            report = await agent.tick()
            assert report.delivered == 9 and len(agent.spool) == 0
            assert order == sent
            assert await _host_sample_times(hub, created["id"]) == sent
    finally:
        await agent.hub.aclose()


async def test_a_spool_past_its_bound_drops_the_oldest_and_the_hub_shows_the_count(
    sqlite_url: str, settings_for: Callable[..., Settings], tmp_path: Path, clock: ManualClock
) -> None:
    settings, port, sent = settings_for(sqlite_url), free_port(), []
    async with running_hub(settings, port=port) as hub:
        created = await _create_agent(hub)
    agent = _agent(tmp_path, f"http://127.0.0.1:{port}", clock, token=created["token"], max_bytes=20_000)
    try:
        for _ in range(12):
            await _tick(agent, clock, sent)
        dropped = agent.spool.dropped
        assert dropped > 0
        async with running_hub(settings, port=port) as hub:
            order = _stored_in_order(hub)
            clock.advance(agent.backoff.cap)
            await agent.drain()
            await _tick(agent, clock, sent)  # a fresh payload carries the final count
            # the oldest went; the newest arrived, once each and in order
            assert order == sent[dropped:]
            assert await _host_sample_times(hub, created["id"]) == sent[dropped:]
            response = await hub.admin.get(f"/api/v1/agents/{created['id']}")
            assert response.json()["droppedPayloads"] == dropped
    finally:
        await agent.hub.aclose()


async def test_an_api_key_registers_the_agent_and_its_collector_errors_reach_the_hub(
    hub: RunningHub, tmp_path: Path, clock: ManualClock
) -> None:
    key = await hub.user_key("deployer", "admin", ["agents:register"])
    _fake_host(tmp_path / "host", "MemTotal: garbage\n")
    agent = _agent(tmp_path, hub.url, clock, api_key=key, host_root=tmp_path / "host")
    report = await agent.tick()
    await agent.hub.aclose()
    assert report.delivered == 1
    registration = agent.hub.registration
    assert registration is not None
    shown = (await hub.admin.get(f"/api/v1/agents/{registration.agent_id}")).json()
    assert shown["name"] == agent.hub._name
    assert set(shown["collectorErrors"]) == {"memory", "disk"}
    assert shown["droppedPayloads"] == 0


async def test_the_hub_watches_its_own_host(sqlite_url: str, settings_for: Callable[..., Settings]) -> None:
    async with running_hub(settings_for(sqlite_url, self_monitor=True)) as hub:
        deadline = time.monotonic() + 30
        while True:
            agents = (await hub.admin.get("/api/v1/agents")).json()
            if agents:
                current = (await hub.admin.get(f"/api/v1/agents/{agents[0]['id']}/metrics/current")).json()
                if current.get("host"):
                    break
            assert time.monotonic() < deadline, "the hub stored no sample of its own host"
            await asyncio.sleep(0.1)
    assert agents[0]["name"] == "watchkeep hub"
    assert current["host"]["memoryTotalMb"] > 0


async def test_the_agent_registers_again_as_itself_and_an_api_key_alone_cannot_take_it_over(
    hub: RunningHub, tmp_path: Path, clock: ManualClock
) -> None:
    key = await hub.user_key("deployer", "admin", ["agents:register"])
    kept = tmp_path / "spool" / "registration.json"

    def client() -> HubClient:
        return HubClient(hub.url, api_key=key, name="web-9", now=clock, timeout=5, registration_file=kept)

    first = client()
    registered = await first.register()
    clock.advance(0.85 * 3600)  # past 80 % of the token's lifetime: it renews with its token
    assert (await first.push(b"{}", "k-1")).status != 401
    assert first.registration is not None and first.registration.token != registered.token
    assert first.registration.agent_id == registered.agent_id
    await first.aclose()
    assert kept.stat().st_mode & 0o777 == 0o600

    restarted = client()  # the same agent after a restart: the kept token proves who it is
    assert (await restarted.register()).agent_id == registered.agent_id
    await restarted.aclose()

    impostor = HubClient(hub.url, api_key=key, name="web-9", now=clock, timeout=5)
    with pytest.raises(RegistrationError, match="409"):
        await impostor.register()
    await impostor.aclose()
