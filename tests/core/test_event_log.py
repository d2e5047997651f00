"""The event log and its consumers, on SQLite and PostgreSQL: events exist exactly when their
write committed; a consumer reacts in order, once, under a lease another replica takes over;
a failing reaction is skipped; retention keeps what a consumer still needs; a claimed job
runs once per interval."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.events import record, settled
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock
from watchkeep.core.events import AgentOffline, AgentOnline, Event, HeartbeatPinged, SilenceExpired
from watchkeep.core.events import log as event_log
from watchkeep.core.events.consumers import Consumer, positions
from watchkeep.core.events.tables import event_consumers
from watchkeep.core.jobs import claim
from watchkeep.notify.tables import outbox


@pytest.fixture
async def hub(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], clock: FrozenClock
) -> AsyncIterator[RunningHub]:
    async with start_hub(clock=clock, allow_private_targets=True, event_poll_seconds=60) as running:
        yield running


def offline(n: int, at_ms: int) -> AgentOffline:
    return AgentOffline(agent_id=f"agt_{n}", name=f"web-{n}", at_ms=at_ms)


async def logged_types(running: RunningHub) -> list[str]:
    async with running.hub.store.read() as conn:
        return [record.type for record in await event_log.after(conn, 0, 1000)]


async def test_append_logs_only_logged_events_and_gives_them_increasing_ids(hub: RunningHub) -> None:
    now = hub.hub.clock.now_ms()
    events = [
        offline(1, now),
        HeartbeatPinged(heartbeat_id="hb_1", name="b", kind="success", at_ms=now),
        offline(2, now),
    ]
    logged = await record(hub, *events)
    assert [e.id is None for e in logged] == [False, True, False]
    assert logged[0].id is not None and logged[2].id is not None and logged[0].id < logged[2].id
    async with hub.hub.store.read() as conn:
        records = [r for r in await event_log.after(conn, 0, 10) if r.type == "agent.offline"]
    assert [(r.id, r.subject_kind, r.subject_id) for r in records] == [
        (logged[0].id, "agent", "agt_1"),
        (logged[2].id, "agent", "agt_2"),
    ]
    assert records[-1].event() == offline(2, now).with_id(records[-1].id)


async def test_a_write_that_rolls_back_logs_nothing(hub: RunningHub) -> None:
    before = await logged_types(hub)

    async def unit(conn: AsyncConnection) -> None:
        await event_log.append(conn, [offline(1, 1)])
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await hub.hub.store.write(unit)
    assert await logged_types(hub) == before


class Recorder:
    def __init__(self, fail_on: str | None = None) -> None:
        self.seen: list[int] = []
        self.fail_on = fail_on

    async def __call__(self, conn: AsyncConnection, event: Event) -> list[Event]:
        assert event.id is not None
        if event.type == self.fail_on:
            raise RuntimeError("this reaction is broken")
        self.seen.append(event.id)
        return (
            [SilenceExpired(silence_id=f"sil_{event.id}", at_ms=event.at_ms)] if event.type == "agent.offline" else []
        )


async def test_a_consumer_reacts_once_in_order_and_a_second_replica_takes_over_its_lease(
    hub: RunningHub, clock: FrozenClock
) -> None:
    first, second = Recorder(), Recorder()
    one = Consumer(hub.hub, "probe", first, types={"agent.offline", "agent.online"})
    two = Consumer(hub.hub, "probe", second, types={"agent.offline", "agent.online"})
    await one.register()
    now = clock.now_ms()
    logged = await record(hub, offline(1, now), AgentOnline(agent_id="agt_1", name="web-1", at_ms=now))
    assert await one.step() is True
    assert first.seen == [e.id for e in logged]
    more = await record(hub, offline(2, now))
    assert await two.step() is False  # there is work, but the first replica holds the lease
    assert second.seen == []
    # The reaction's own events were logged in its transaction.
    assert (await logged_types(hub)).count("silence.expired") == 1

    clock.advance(hub.hub.settings.event_consumer_lease_seconds + 1)  # the first replica died
    while await two.step():
        pass
    assert second.seen == [more[0].id]
    assert first.seen == [e.id for e in logged]  # nothing was reacted to twice

    await record(hub, offline(3, now))
    assert await one.step() is False  # the second holds the lease now
    await two.release()
    assert await one.step() is True  # a released lease is free at once
    assert len(first.seen) == 3


async def test_a_failing_reaction_is_skipped_and_the_rest_go_on(hub: RunningHub) -> None:
    recorder = Recorder(fail_on="agent.online")
    consumer = Consumer(hub.hub, "fragile", recorder)
    await consumer.register()
    now = hub.hub.clock.now_ms()
    logged = await record(hub, offline(1, now), AgentOnline(agent_id="agt_1", name="web-1", at_ms=now), offline(2, now))
    while await consumer.step():
        pass
    assert recorder.seen[:2] == [logged[0].id, logged[2].id]
    async with hub.hub.store.read() as conn:
        assert (await positions(conn))["fragile"] == await event_log.last_id(conn)


async def test_a_webhook_event_replayed_is_queued_once(hub: RunningHub) -> None:
    created = await hub.admin.post(
        "/api/v1/webhooks", json={"name": "audit", "url": "http://127.0.0.1:9/hook", "eventTypes": ["agent.offline"]}
    )
    assert created.status_code == 201, created.text
    await record(hub, offline(1, hub.hub.clock.now_ms()))

    async def queued() -> list[str]:
        async with hub.hub.store.read() as conn:
            return list((await conn.execute(select(outbox.c.id).where(outbox.c.target_kind == "webhook"))).scalars())

    first = await queued()
    assert len(first) == 1

    async def rewind(conn: AsyncConnection) -> None:
        await conn.execute(update(event_consumers).where(event_consumers.c.name == "webhooks").values(position=0))

    await hub.hub.store.write(rewind)
    consumers: list[Consumer] = hub.app.state.event_consumers
    (webhooks,) = [c for c in consumers if c.name == "webhooks"]
    while await webhooks.step():
        pass
    await settled(hub)
    assert await queued() == first


async def test_retention_deletes_by_age_and_count_but_not_what_a_consumer_needs(
    hub: RunningHub, clock: FrozenClock
) -> None:
    day = 86_400_000
    now = clock.now_ms()
    old = await record(hub, *(offline(n, now - 10 * day) for n in range(3)))
    await record(hub, *(offline(n, now) for n in range(5)))
    async with hub.hub.store.read() as conn:
        last = await event_log.last_id(conn)
    assert old[-1].id is not None

    async def prune(**limits: int) -> int:
        async def unit(conn: AsyncConnection) -> int:
            return await event_log.prune(conn, **limits)

        return await hub.hub.store.write(unit)

    async def ids() -> list[int]:
        async with hub.hub.store.read() as conn:
            return [r.id for r in await event_log.after(conn, 0, 1000)]

    async def hold_at(position: int) -> None:
        async def unit(conn: AsyncConnection) -> None:
            await conn.execute(update(event_consumers).values(position=position, updated_at=now))

        await hub.hub.store.write(unit)

    # A consumer still behind the old events keeps them.
    await hold_at(0)
    assert await prune(older_than_ms=now - 7 * day, keep=1000, active_since_ms=now - day) == 0
    # One that stopped long ago does not.
    assert await prune(older_than_ms=now - 7 * day, keep=1000, active_since_ms=now + 1) > 0
    assert min(await ids()) > old[-1].id
    # By count: the newest two, once every consumer is past them.
    await hold_at(last)
    await prune(older_than_ms=0, keep=2, active_since_ms=now - day)
    assert await ids() == [last - 1, last]


async def test_a_claimed_job_runs_once_per_interval(hub: RunningHub) -> None:
    async def take(now: int) -> bool:
        async def unit(conn: AsyncConnection) -> bool:
            return await claim(conn, "probe-job", now, 60_000)

        return await hub.hub.store.write(unit)

    assert await take(1_000) is True
    assert await take(1_000) is False  # the other replica, at the same moment
    assert await take(30_000) is False
    assert await take(61_000) is True
