"""Silences and maintenance windows: a silenced alert is recorded and not sent; if it
still fires when the silence ends, it is sent then."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import pytest

from tests.support.alerting import QUIET_LOOPS, agent_offline, agent_online, create_channel, deliver, only_alert
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.alerts.service import AlertService
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events import SilenceCreated, SilenceExpired


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def silence(hub: RunningHub, **body: object) -> dict[str, object]:
    response = await hub.admin.post("/api/v1/silence", json={"comment": "deploy", **body})
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_a_silenced_alert_is_recorded_but_not_sent(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "webhook", {"url": receiver.url})
    await silence(hub, matchers={"source": "agent", "entityId": "agt_1"}, durationSeconds=3600)
    await agent_offline(hub, "agt_1")
    await agent_offline(hub, "agt_2", "web-2")
    await deliver(hub)
    assert [r.json()["alerts"][0]["entityId"] for r in receiver.requests] == ["agt_2"]
    silenced = (await hub.admin.get("/api/v1/alerts", params={"status": "silenced"})).json()["items"]
    assert [a["entityId"] for a in silenced] == ["agt_1"]


async def test_a_silence_starting_later_does_not_hold_back_alerts_before_it(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    await create_channel(hub, "webhook", {"url": receiver.url})
    starts = rfc3339(clock.now_ms() + 3_600_000)
    created = await silence(hub, startsAt=starts, durationSeconds=3600)
    assert created["active"] is False
    assert [s["id"] for s in (await hub.admin.get("/api/v1/silence")).json()] == [created["id"]]
    await agent_offline(hub, "agt_1")
    await deliver(hub)
    assert len(receiver.requests) == 1
    clock.advance(3601)
    await agent_offline(hub, "agt_2", "web-2")
    await deliver(hub)
    assert len(receiver.requests) == 1
    assert (await hub.admin.get("/api/v1/alerts", params={"status": "silenced"})).json()["items"][0][
        "entityId"
    ] == "agt_2"


async def test_ending_a_silence_early_sends_what_still_fires(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "webhook", {"url": receiver.url})
    created = await silence(hub, durationSeconds=3600)
    await agent_offline(hub)
    await deliver(hub)
    assert receiver.requests == []
    async with hub.hub.bus.stream() as events:
        assert (await hub.admin.delete(f"/api/v1/silence/{created['id']}")).status_code == 204
        published = [events.get_nowait() for _ in range(events.qsize())]
    assert [type(e) for e in published if isinstance(e, SilenceExpired)] == [SilenceExpired]
    assert [e.ended_early for e in published if isinstance(e, SilenceExpired)] == [True]
    await deliver(hub)
    assert len(receiver.requests) == 1
    assert (await only_alert(hub))["status"] == "active"
    assert (await hub.admin.get("/api/v1/silence")).json() == []


async def test_an_alert_still_firing_when_the_silence_ends_is_sent_then(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    await create_channel(hub, "webhook", {"url": receiver.url})
    await silence(hub, durationSeconds=600)
    await agent_offline(hub, "agt_1")
    await agent_offline(hub, "agt_2", "web-2")
    await agent_online(hub, "agt_2", "web-2")
    service = AlertService(hub.hub)
    clock.advance(300)
    await service.evaluate()
    await deliver(hub)
    assert receiver.requests == []
    clock.advance(301)
    await service.evaluate()
    await deliver(hub)
    # The alert that resolved while silenced was never sent, so neither is its resolution.
    assert [(r.json()["alerts"][0]["entityId"], r.json()["alerts"][0]["state"]) for r in receiver.requests] == [
        ("agt_1", "firing")
    ]


async def test_creating_a_silence_publishes_silence_created(hub: RunningHub, clock: FrozenClock) -> None:
    async with hub.hub.bus.stream() as events:
        created = await silence(hub, durationSeconds=600)
        published = [events.get_nowait() for _ in range(events.qsize())]
    assert published == [
        SilenceCreated(
            silence_id=str(created["id"]),
            starts_at_ms=clock.now_ms(),
            ends_at_ms=clock.now_ms() + 600_000,
            created_by="admin",
            comment="deploy",
            at_ms=clock.now_ms(),
        )
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"comment": "x"}, "endsAt"),
        ({"comment": "x", "endsAt": "2001-01-01T00:00:00Z"}, "endsAt"),
        ({"comment": "x", "durationSeconds": 600, "endsAt": "2999-01-01T00:00:00Z"}, "durationSeconds"),
        ({"comment": "x", "durationSeconds": 600, "matchers": {"severity": "loud"}}, "matchers.severity"),
        ({"comment": "x", "durationSeconds": 600, "matchers": {"colour": "red"}}, "matchers.colour"),
        ({"durationSeconds": 600}, "comment"),
    ],
)
async def test_a_bad_silence_is_refused_by_field(hub: RunningHub, body: dict[str, object], field: str) -> None:
    response = await hub.admin.post("/api/v1/silence", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert (await hub.admin.get("/api/v1/silence")).json() == []


async def test_a_recurring_maintenance_window_follows_daylight_saving_time(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], receiver: Receiver
) -> None:
    """Nightly 01:30-02:30 in New York. On 9 March 2026 (after clocks went forward on
    8 March) that is 05:30-06:30 UTC, no longer 06:30-07:30 UTC."""
    clock = FrozenClock(datetime(2026, 3, 7, 6, 45, tzinfo=UTC))  # 01:45 EST: inside
    async with start_hub(clock=clock, **QUIET_LOOPS) as hub:
        await _dst_window(hub, receiver, clock)


async def _dst_window(hub: RunningHub, receiver: Receiver, clock: FrozenClock) -> None:
    await create_channel(hub, "webhook", {"url": receiver.url})
    window = {
        "name": "nightly backup",
        "matchers": {"source": "agent"},
        "cron": "30 1 * * *",
        "durationSeconds": 3600,
        "timezone": "America/New_York",
    }
    response = await hub.admin.post("/api/v1/maintenance-windows", json=window)
    assert response.status_code == 201, response.text
    assert response.json()["active"] is True
    await agent_offline(hub, "agt_before")
    clock.set(datetime(2026, 3, 9, 5, 45, tzinfo=UTC))  # 01:45 EDT: inside
    await agent_offline(hub, "agt_during")
    clock.set(datetime(2026, 3, 9, 6, 45, tzinfo=UTC))  # 02:45 EDT: outside, though 01:45 EST
    await agent_offline(hub, "agt_after")
    await deliver(hub)
    sent = [r.json()["alerts"][0]["entityId"] for r in receiver.requests]
    # agt_before and agt_during were held back while their windows were open; by now both
    # windows have closed, so the next evaluation sends them.
    assert sent == ["agt_after"]
    await AlertService(hub.hub).evaluate()
    await deliver(hub)
    assert sorted(r.json()["alerts"][0]["entityId"] for r in receiver.requests[1:]) == ["agt_before", "agt_during"]


async def test_a_one_off_maintenance_window_silences_only_while_open(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    await create_channel(hub, "webhook", {"url": receiver.url})
    body = {
        "name": "db upgrade",
        "matchers": {"entityId": "agt_1"},
        "startsAt": rfc3339(clock.now_ms()),
        "endsAt": rfc3339(clock.now_ms() + 1_800_000),
    }
    created = (await hub.admin.post("/api/v1/maintenance-windows", json=body)).json()
    await agent_offline(hub, "agt_1")
    await deliver(hub)
    assert receiver.requests == []
    assert (await hub.admin.delete(f"/api/v1/maintenance-windows/{created['id']}")).status_code == 204
    await deliver(hub)
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "w", "cron": "61 * * * *", "durationSeconds": 600}, "cron"),
        ({"name": "w", "cron": "0 1 * * *", "durationSeconds": 600, "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "w", "cron": "0 1 * * *"}, "durationSeconds"),
        ({"name": "w"}, "startsAt"),
    ],
)
async def test_a_bad_maintenance_window_is_refused_by_field(
    hub: RunningHub, body: dict[str, object], field: str
) -> None:
    response = await hub.admin.post("/api/v1/maintenance-windows", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert (await hub.admin.get("/api/v1/maintenance-windows")).json() == []
