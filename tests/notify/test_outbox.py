"""The durable outbox: retries with backoff that survive restarts, one message per delivery
id, giving up, disabling a channel on a permanent failure, digests for floods."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.support.alerting import QUIET_LOOPS, agent_offline, create_channel, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events import ChannelDeliveryFailed

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def test_a_message_enqueued_before_a_stop_is_delivered_after_the_restart(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, **QUIET_LOOPS) as first:
        await create_channel(first, "webhook", {"url": receiver.url})
        await agent_offline(first)
    assert receiver.requests == []
    async with start_hub(clock=clock, **QUIET_LOOPS) as second:
        await deliver(second)
        await deliver(second)
    assert len(receiver.requests) == 1
    assert receiver.requests[0].json()["alerts"][0]["entityId"] == "agt_1"


async def test_retries_back_off_across_a_restart_with_one_delivery_id(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.fail_next(503, 503)
    async with start_hub(clock=clock, **QUIET_LOOPS) as first:
        channel = await create_channel(first, "webhook", {"url": receiver.url})
        await agent_offline(first)
        await deliver(first)
        [logged] = (await first.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
    assert logged["status"] == "pending"
    assert logged["attempts"] == 1
    assert logged["lastError"] == "HTTP 503 Service Unavailable"
    assert logged["nextAttemptAt"] == rfc3339(clock.now_ms() + 30_000)

    async with start_hub(clock=clock, **QUIET_LOOPS) as second:
        await deliver(second)
        assert len(receiver.requests) == 1  # not due yet
        clock.advance(31)
        await deliver(second)  # second failure: the wait doubles to 60 s
        assert len(receiver.requests) == 2
        clock.advance(31)
        await deliver(second)
        assert len(receiver.requests) == 2
        clock.advance(30)
        await deliver(second)
        clock.advance(3600)
        await deliver(second)
        [logged] = (await second.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
    assert len(receiver.requests) == 3
    assert {r.headers["x-watchkeep-delivery"] for r in receiver.requests} == {logged["id"]}
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 3
    assert logged["lastError"] is None
    assert isinstance(logged["latencyMs"], int)


async def test_a_message_that_keeps_failing_is_given_up_with_an_event(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.fail_next(500, 500)
    async with start_hub(clock=clock, outbox_max_attempts=2, **QUIET_LOOPS) as hub:
        channel = await create_channel(hub, "webhook", {"url": receiver.url})
        await agent_offline(hub)
        async with hub.hub.bus.stream() as events:
            await deliver(hub)
            clock.advance(31)
            await deliver(hub)
            failed = [
                e for e in [events.get_nowait() for _ in range(events.qsize())] if isinstance(e, ChannelDeliveryFailed)
            ]
        [logged] = (await hub.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
        shown = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()
    assert logged["status"] == "failed"
    assert logged["attempts"] == 2
    assert [(e.channel_id, e.delivery_id, e.attempts, e.permanent) for e in failed] == [
        (channel, logged["id"], 2, False)
    ]
    assert shown["enabled"] is True


async def test_a_permanent_failure_disables_the_channel(hub: RunningHub, receiver: Receiver) -> None:
    receiver.fail_next(404)
    channel = await create_channel(hub, "slack", {"url": receiver.url})
    await agent_offline(hub)
    async with hub.hub.bus.stream() as events:
        await deliver(hub)
        failed = [
            e for e in [events.get_nowait() for _ in range(events.qsize())] if isinstance(e, ChannelDeliveryFailed)
        ]
    shown = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()
    assert shown["enabled"] is False
    assert shown["disabledReason"] == "HTTP 404 Not Found"
    assert [(e.permanent, e.error) for e in failed] == [(True, "HTTP 404 Not Found")]
    await agent_offline(hub, "agt_2", "web-2")
    await deliver(hub)
    assert len(receiver.requests) == 1


async def test_a_flood_of_alerts_goes_out_as_one_digest(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, digest_threshold=3, **QUIET_LOOPS) as hub:
        channel = await create_channel(hub, "webhook", {"url": receiver.url})
        for index in range(5):
            await agent_offline(hub, f"agt_{index}", f"web-{index}")
        await deliver(hub)
        log = (await hub.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
    [request] = receiver.requests
    body = request.json()
    assert body["kind"] == "digest"
    assert body["title"] == "watchkeep digest: 5 firing, 0 resolved"
    assert sorted(a["entityId"] for a in body["alerts"]) == [f"agt_{i}" for i in range(5)]
    digest = next(row for row in log if row["eventType"] == "alert.digest")
    assert digest["status"] == "delivered"
    assert digest["id"] == request.headers["x-watchkeep-delivery"]
    assert sorted(row["status"] for row in log if row["eventType"] == "alert.fired") == ["digested"] * 5
    assert {row["digestId"] for row in log if row["eventType"] == "alert.fired"} == {digest["id"]}


async def test_a_few_alerts_go_out_one_by_one(start_hub: StartHub, receiver: Receiver, clock: FrozenClock) -> None:
    async with start_hub(clock=clock, digest_threshold=3, **QUIET_LOOPS) as hub:
        await create_channel(hub, "webhook", {"url": receiver.url})
        await agent_offline(hub, "agt_1")
        await agent_offline(hub, "agt_2")
        await deliver(hub)
    assert sorted(r.json()["kind"] for r in receiver.requests) == ["alert", "alert"]


async def test_a_flooded_channel_holds_new_alerts_and_sends_them_as_a_digest(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, digest_threshold=3, digest_window_seconds=60, **QUIET_LOOPS) as hub:
        await create_channel(hub, "webhook", {"url": receiver.url})
        for index in range(3):
            await agent_offline(hub, f"agt_{index}")
            await deliver(hub)
            clock.advance(5)
        await agent_offline(hub, "agt_3")
        await agent_offline(hub, "agt_4")
        await deliver(hub)
        assert len(receiver.requests) == 3  # held: three went out in the last minute
        clock.advance(46)  # the first of those three is now a minute old
        await deliver(hub)
    assert [r.json()["kind"] for r in receiver.requests] == ["alert", "alert", "alert", "digest"]
    assert sorted(a["entityId"] for a in receiver.requests[3].json()["alerts"]) == ["agt_3", "agt_4"]
