"""Pushing to a hub on loopback: spooling while it is away, in-order replay under the same
Idempotency-Key, backoff with Retry-After, rejected payloads, registration and hub config."""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from tests.agent.loopback import LoopbackHub, ManualClock, serving
from tests.support.process import free_port
from watchkeep.agent.checks import CheckRunner
from watchkeep.agent.config import LocalChecks
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.hubclient import HubClient
from watchkeep.agent.runner import Agent, Backoff
from watchkeep.agent.sampler import Sampler
from watchkeep.agent.spool import Spool
from watchkeep.protocol.ingest import IngestPayload


@pytest.fixture
def clock() -> ManualClock:  # type: ignore[override]
    return ManualClock()


@pytest.fixture
def port() -> int:
    return free_port()


def make_agent(
    tmp_path: Path, port: int, clock: ManualClock, *, token: str = "agent-token-1", api_key: str = "",
    max_bytes: int = 10_000_000, checks: CheckRunner | None = None, interval: float | None = None,
) -> Agent:  # fmt: skip
    hub = HubClient(f"http://127.0.0.1:{port}", token=token, api_key=api_key, now=clock, timeout=5)
    spool = Spool(tmp_path / "spool", max_bytes=max_bytes, max_age_seconds=86400, now=clock)
    sampler = Sampler(HostCollector(), docker=None, checks=checks, now=clock)
    return Agent(sampler, spool, hub, interval=interval, backoff=Backoff(rng=random.Random(7)), now=clock)


@pytest.fixture
async def agent(tmp_path: Path, port: int, clock: ManualClock) -> AsyncIterator[Agent]:
    made = make_agent(tmp_path, port, clock)
    yield made
    await made.hub.aclose()


async def _ticks(agent: Agent, clock: ManualClock, count: int) -> None:
    for _ in range(count):
        await agent.tick()
        clock.advance(15)


async def test_while_the_hub_is_away_payloads_spool_and_then_arrive_once_in_order(
    agent: Agent, port: int, clock: ManualClock
) -> None:
    await _ticks(agent, clock, 6)
    assert len(agent.spool) == 6
    hub = LoopbackHub()
    async with serving(hub, port):
        clock.advance(agent.backoff.cap)  # past any backoff
        report = await agent.tick()
    assert report.delivered == 7 and len(agent.spool) == 0
    timestamps = [p["timestamp"] for p in hub.stored]
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == 7
    assert len(set(hub.keys)) == 7
    assert all(msgspec.json.decode(msgspec.json.encode(p), type=IngestPayload) for p in hub.stored)


async def test_a_push_whose_answer_is_lost_is_replayed_with_the_same_key_and_body(
    agent: Agent, port: int, clock: ManualClock
) -> None:
    hub = LoopbackHub(mode="store_then_fail")
    async with serving(hub, port):
        await agent.tick()
        hub.mode = "ok"
        clock.advance(agent.backoff.cap)
        await agent.drain()
    assert len(hub.attempts) == 2 and hub.attempts[0] == hub.attempts[1]
    assert len(hub.stored) == 1 and len(agent.spool) == 0


async def test_retry_after_of_a_429_is_respected(agent: Agent, port: int, clock: ManualClock) -> None:
    hub = LoopbackHub(mode="rate_limited", retry_after="120")
    async with serving(hub, port):
        report = await agent.tick()
        assert report.last is not None and report.last.kind == "retry" and report.last.retry_after == 120
        assert agent.next_attempt_at >= clock.now + 120
        clock.advance(119)
        await agent.drain()
        assert len(hub.attempts) == 1  # not before the hub said
        hub.mode = "ok"
        clock.advance(agent.next_attempt_at - clock.now)
        assert (await agent.drain()).delivered == 1


async def test_a_5xx_backs_off_exponentially_with_jitter(agent: Agent, port: int, clock: ManualClock) -> None:
    hub = LoopbackHub(mode="unavailable")
    delays = []
    async with serving(hub, port):
        await agent.collect()
        for _ in range(6):
            await agent.drain()
            delays.append(agent.next_attempt_at - clock.now)
            clock.advance(delays[-1])
    assert len(hub.attempts) == 6 and len(agent.spool) == 1
    assert all(0 <= d <= 2**n for n, d in enumerate(delays))
    assert len(set(delays)) == 6  # jittered, never in lockstep


async def test_a_rejected_payload_is_logged_with_the_hubs_message_and_not_sent_again(
    agent: Agent, port: int, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    hub = LoopbackHub(mode="reject")
    async with serving(hub, port):
        with caplog.at_level(logging.ERROR, logger="watchkeep.agent"):
            report = await agent.tick()
        assert report.rejected == 1 and len(agent.spool) == 0
        assert "VALIDATION_ERROR cpuPercent: Expected `number` (field cpuPercent)" in caplog.text
        hub.mode = "ok"
        clock.advance(15)
        assert (await agent.tick()).delivered == 1
    assert len(hub.attempts) == 2


async def test_past_the_spool_bound_the_oldest_go_and_the_drop_count_reaches_the_hub(
    tmp_path: Path, port: int, clock: ManualClock
) -> None:
    agent = make_agent(tmp_path, port, clock, max_bytes=20_000)
    await _ticks(agent, clock, 12)
    kept = [e.key for e in agent.spool.entries()]
    dropped = agent.spool.dropped
    assert dropped > 0 and len(kept) + dropped == 12
    hub = LoopbackHub()
    async with serving(hub, port):
        clock.advance(agent.backoff.cap)
        await agent.drain()
        assert hub.keys == kept  # the newest survived, in order
        await agent.tick()
    await agent.hub.aclose()
    assert hub.stored[-1]["droppedPayloads"] == dropped
    assert [p["droppedPayloads"] for p in hub.stored] == sorted(p["droppedPayloads"] for p in hub.stored)


async def test_an_api_key_registers_and_renews_the_token_before_it_expires(
    tmp_path: Path, port: int, clock: ManualClock
) -> None:
    agent = make_agent(tmp_path, port, clock, token="", api_key="wk_test_key")
    hub = LoopbackHub(token_lifetime=100, push_interval=30)
    async with serving(hub, port):
        assert (await agent.tick()).delivered == 1
        assert hub.registrations == 1 and agent.interval == 30
        clock.advance(70)
        assert (await agent.tick()).delivered == 1
        assert hub.registrations == 1
        clock.advance(15)  # 85 s: past 80 % of the token's lifetime
        assert (await agent.tick()).delivered == 1
        assert hub.registrations == 2
        hub.tokens = {"something-else"}  # the hub forgot the token: 401, register again
        assert (await agent.tick()).delivered == 1
        assert hub.registrations == 3
    await agent.hub.aclose()


async def test_the_hubs_config_sets_the_interval_the_checks_and_the_metric_groups(
    tmp_path: Path, port: int, clock: ManualClock
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        target = listener.getsockname()[1]
        checks = CheckRunner(LocalChecks())
        agent = make_agent(tmp_path, port, clock, checks=checks)
        hub = LoopbackHub(
            push_interval=60,
            config={
                "services": [
                    {"containerName": "db", "tcpChecks": [{"host": "127.0.0.1", "port": target, "name": "pg"}]}
                ],
                "metricsConfig": {"collectProcesses": False},
            },
        )
        async with serving(hub, port):
            await agent.tick()  # the first sample is taken before the config arrives
            clock.advance(60)
            await agent.tick()
        await checks.aclose()
        await agent.hub.aclose()
    assert agent.interval == 60
    assert "topProcesses" in hub.stored[0]
    payload = hub.stored[1]
    assert "topProcesses" not in payload and "memoryTotalMb" in payload
    assert payload["tcpCheckResults"][0]["containerName"] == "db"
    assert payload["tcpCheckResults"][0]["success"] is True and payload["tcpCheckResults"][0]["name"] == "pg"


async def test_the_config_is_fetched_again_only_after_a_minute(agent: Agent, port: int, clock: ManualClock) -> None:
    hub = LoopbackHub(push_interval=20)
    async with serving(hub, port):
        await agent.tick()
        hub.push_interval = 45
        clock.advance(30)
        await agent.tick()
        assert agent.interval == 20
        clock.advance(30)
        await agent.tick()
        assert agent.interval == 45


async def test_an_interval_set_on_the_agent_wins_over_the_hubs(
    tmp_path: Path, port: int, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    given = make_agent(tmp_path / "given", port, clock, interval=1)
    left = make_agent(tmp_path / "left", port, clock)
    assert left.interval_and_source() == (15, "default, until the hub says")
    hub = LoopbackHub(push_interval=30)
    caplog.set_level(logging.INFO, logger="watchkeep.agent")
    async with serving(hub, port):
        await given.tick()
        await left.tick()
        assert given.interval_and_source() == (1, "set on the agent")
        assert left.interval_and_source() == (30, "from the hub")
        # A later change on the hub is followed, and said, by the agent that was given none.
        hub.push_interval = 45
        clock.advance(61)
        await given.tick()
        await left.tick()
    assert (given.interval, left.interval) == (1, 45)
    changes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("pushing every")]
    assert changes == ["pushing every 30 s now (from the hub)", "pushing every 45 s now (from the hub)"]
    await given.hub.aclose()
    await left.hub.aclose()
