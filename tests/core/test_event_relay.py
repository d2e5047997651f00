"""Events across replicas: two hubs on one PostgreSQL database see each other's events on
their streams, once, and their handlers act only on their own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from tests.support.hub import running_hub
from watchkeep.core.config import Settings
from watchkeep.core.events import AgentOnline, Event, UnknownEvent
from watchkeep.core.events.relay import asyncpg_dsn

SettingsFor = Callable[..., Settings]


async def _next(queue: asyncio.Queue[Event]) -> Event:
    return await asyncio.wait_for(queue.get(), timeout=10)


async def test_a_stream_on_one_replica_sees_events_published_on_another(
    postgres_url: str, settings_for: SettingsFor
) -> None:
    settings = settings_for(postgres_url)
    async with running_hub(settings) as first, running_hub(settings) as second:
        handled: list[Event] = []

        async def handler(event: Event) -> None:
            handled.append(event)

        second.hub.bus.subscribe(handler)
        async with first.hub.bus.stream() as first_stream, second.hub.bus.stream() as second_stream:
            sent = AgentOnline(agent_id="agent_1", name="web-1", last_seen_ms=1_700_000_000_000, at_ms=1)
            await first.hub.bus.publish(sent)

            assert await _next(second_stream) == sent
            assert await _next(first_stream) == sent
            # A marker from the second replica proves the first saw its own event only once.
            marker = AgentOnline(agent_id="agent_2", name="web-2", at_ms=2)
            await second.hub.bus.publish(marker)
            assert await _next(first_stream) == marker
            assert first_stream.empty()
            assert handled == [marker]


async def test_the_relay_reconnects_after_its_connection_is_killed(
    postgres_url: str, settings_for: SettingsFor
) -> None:
    settings = settings_for(postgres_url)
    async with running_hub(settings) as first, running_hub(settings) as second:
        # Events keep flowing while the listening connections die, so a reconnect meets a
        # send in flight: the sending connection must come through it.
        async def keep_publishing() -> None:
            for n in range(100_000):
                await first.hub.bus.publish(AgentOnline(agent_id="agent_busy", name=str(n), at_ms=n))
                await asyncio.sleep(0)

        publisher = asyncio.create_task(keep_publishing())
        await asyncio.sleep(0.2)
        admin = await asyncpg.connect(asyncpg_dsn(postgres_url))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
            assert killed == 2
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        async with second.hub.bus.stream() as stream:
            event = AgentOnline(agent_id="agent_3", name="db-1", at_ms=3)
            # Until the listener is back, an event may be missed (streams are live views).
            for _ in range(100):
                await first.hub.bus.publish(event)
                try:
                    received = await asyncio.wait_for(_skip_busy(stream), timeout=0.2)
                except TimeoutError:
                    continue
                assert received == event
                break
            else:
                raise AssertionError("the relay did not come back")


async def _skip_busy(stream: asyncio.Queue[Event]) -> Event:
    while True:
        event = await stream.get()
        if getattr(event, "agent_id", None) != "agent_busy":
            return event


def test_an_event_is_rebuilt_from_its_wire_fields() -> None:
    event = AgentOnline(agent_id="agent_1", name="web-1", last_seen_ms=5, at_ms=9)
    data: dict[str, Any] = {**event.data(), "addedByANewerReplica": True}
    assert Event.rebuild("agent.online", 9, data) == event
    with pytest.raises(UnknownEvent):
        Event.rebuild("no.such.event", 1, {})


async def test_a_burst_of_identical_events_arrives_whole_and_in_order(
    postgres_url: str, settings_for: SettingsFor
) -> None:
    settings = settings_for(postgres_url)
    async with running_hub(settings) as first, running_hub(settings) as second, second.hub.bus.stream() as stream:
        same = AgentOnline(agent_id="agent_4", name="same", at_ms=4)
        marked = [AgentOnline(agent_id="agent_5", name=str(n), at_ms=5) for n in range(300)]
        for event in marked:
            # Publishing does not wait on the relay; identical payloads are not folded.
            await first.hub.bus.publish(same, event)
        received = [await _next(stream) for _ in range(600)]
        assert received[0::2] == [same] * 300
        assert received[1::2] == marked
