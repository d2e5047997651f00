"""One alert lifecycle: fire, dedupe, upgrade, resolve, acknowledge, snooze; state that
survives a restart; the sources wired to it through the event bus."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.support.alerting import QUIET_LOOPS, agent_offline, agent_online, create_channel, deliver, only_alert
from tests.support.events import record
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.alerts.service import AlertService, Condition
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events import (
    AlertAcknowledged,
    AlertFired,
    HeartbeatDeadlineMissed,
    HeartbeatFailed,
    HeartbeatRecovered,
)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def disk_full(severity: str, firing: bool = True) -> Condition:
    return Condition(
        source="resource",
        type="disk_usage",
        entity_type="agent",
        entity_id="agt_9",
        entity_name="db-1",
        firing=firing,
        severity=severity,
        message=f"disk usage {severity}",
    )


async def test_an_offline_agent_fires_an_alert_that_its_return_resolves(hub: RunningHub, clock: FrozenClock) -> None:
    await agent_offline(hub, "agt_1", "web-1")
    alert = await only_alert(hub)
    assert alert["source"] == "agent"
    assert alert["type"] == "agent_offline"
    assert alert["severity"] == "critical"
    assert alert["status"] == "active"
    assert alert["entityType"] == "agent"
    assert alert["entityId"] == "agt_1"
    assert alert["entityName"] == "web-1"
    assert alert["firedAt"] == rfc3339(clock.now_ms())
    clock.advance(120)
    await agent_online(hub, "agt_1", "web-1")
    resolved = (await hub.admin.get(f"/api/v1/alerts/{alert['id']}")).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolvedAt"] == rfc3339(clock.now_ms())
    assert resolved["resolution"] == "agent web-1 is back online"


async def test_the_same_condition_reported_again_is_one_alert(hub: RunningHub, clock: FrozenClock) -> None:
    await agent_offline(hub)
    clock.advance(30)
    await agent_offline(hub)
    alert = await only_alert(hub)
    assert alert["lastSeenAt"] == rfc3339(clock.now_ms())
    assert alert["firedAt"] == rfc3339(clock.now_ms() - 30_000)


async def test_a_resolved_alert_fires_anew_as_a_new_alert(hub: RunningHub) -> None:
    await agent_offline(hub)
    await agent_online(hub)
    await agent_offline(hub)
    items = (await hub.admin.get("/api/v1/alerts")).json()["items"]
    assert sorted(a["status"] for a in items) == ["active", "resolved"]
    assert len({a["id"] for a in items}) == 2


async def test_a_higher_severity_upgrades_the_alert_and_is_sent_again(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "webhook", {"url": f"{receiver.url}/hook"})
    service = AlertService(hub.hub)
    await service.report(disk_full("warning"))
    await service.report(disk_full("critical"))
    await service.report(disk_full("info"))
    alert = await only_alert(hub)
    assert alert["severity"] == "critical"
    assert alert["message"] == "disk usage critical"
    await deliver(hub)
    sent = [r.json()["alerts"][0]["severity"] for r in receiver.requests]
    assert sorted(sent) == ["critical", "warning"]


async def test_an_upgrade_publishes_alert_fired_marked_upgraded(hub: RunningHub) -> None:
    service = AlertService(hub.hub)
    async with hub.hub.bus.stream() as events:
        await service.report(disk_full("warning"))
        await service.report(disk_full("critical"))
        fired = [e for e in [events.get_nowait() for _ in range(events.qsize())] if isinstance(e, AlertFired)]
    assert [(e.severity, e.upgraded) for e in fired] == [("warning", False), ("critical", True)]


async def test_the_resolution_is_sent_and_names_the_alert_it_resolves(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "webhook", {"url": f"{receiver.url}/hook"})
    await agent_offline(hub)
    await deliver(hub)
    await agent_online(hub)
    await deliver(hub)
    fired, resolved = (r.json()["alerts"][0] for r in receiver.requests)
    assert fired["state"] == "firing"
    assert resolved["state"] == "resolved"
    assert resolved["alertId"] == fired["alertId"]


async def test_acknowledge_records_who_and_when(hub: RunningHub, clock: FrozenClock) -> None:
    await agent_offline(hub)
    alert = await only_alert(hub)
    key = await hub.user_key("alice", "editor", ["write"])
    async with hub.hub.bus.stream() as events:
        response = await hub.client(key).post(f"/api/v1/alerts/{alert['id']}/acknowledge")
        published = [events.get_nowait() for _ in range(events.qsize())]
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledgedBy"] == "alice"
    assert body["acknowledgedAt"] == rfc3339(clock.now_ms())
    assert [e for e in published if isinstance(e, AlertAcknowledged)] == [
        AlertAcknowledged(alert_id=alert["id"], acknowledged_by="alice", at_ms=clock.now_ms())
    ]


async def test_a_viewer_cannot_acknowledge(hub: RunningHub) -> None:
    await agent_offline(hub)
    alert = await only_alert(hub)
    key = await hub.user_key("victor", "viewer", ["read"])
    response = await hub.client(key).post(f"/api/v1/alerts/{alert['id']}/acknowledge")
    assert response.status_code == 403
    assert (await hub.admin.get(f"/api/v1/alerts/{alert['id']}")).json()["acknowledgedBy"] is None


async def test_a_snoozed_alert_is_not_repeated_until_the_snooze_ends(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    channel = await create_channel(hub, "webhook", {"url": f"{receiver.url}/hook"})
    rule = {"matchers": {"source": "agent"}, "repeatIntervalSeconds": 600}
    assert (await hub.admin.post(f"/api/v1/channels/{channel}/rules", json=rule)).status_code == 201
    await agent_offline(hub)
    await deliver(hub)
    alert = await only_alert(hub)
    snoozed = await hub.admin.post(f"/api/v1/alerts/{alert['id']}/snooze", json={"durationSeconds": 3600})
    assert snoozed.json()["snoozedUntil"] == rfc3339(clock.now_ms() + 3_600_000)
    service = AlertService(hub.hub)
    clock.advance(1800)
    await service.evaluate()
    await deliver(hub)
    assert len(receiver.requests) == 1
    clock.advance(1801)
    await service.evaluate()
    await deliver(hub)
    assert len(receiver.requests) == 2
    assert receiver.requests[1].json()["alerts"][0]["repeat"] is True


async def test_a_snooze_in_the_past_is_refused_by_field(hub: RunningHub) -> None:
    await agent_offline(hub)
    alert = await only_alert(hub)
    response = await hub.admin.post(f"/api/v1/alerts/{alert['id']}/snooze", json={"until": "2001-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "until"
    assert (await hub.admin.get(f"/api/v1/alerts/{alert['id']}")).json()["snoozedUntil"] is None


async def test_heartbeat_events_fire_and_recovery_resolves_both(hub: RunningHub, clock: FrozenClock) -> None:
    now = clock.now_ms()
    await record(
        hub,
        HeartbeatDeadlineMissed(heartbeat_id="hb_1", name="backup", deadline_ms=now, reason="no ping", at_ms=now),
        HeartbeatFailed(heartbeat_id="hb_1", name="backup", exit_code=2, at_ms=now),
    )
    active = (await hub.admin.get("/api/v1/alerts/active")).json()
    assert active["total"] == 2
    assert sorted(a["type"] for a in active["critical"]) == ["heartbeat_deadline_missed", "heartbeat_failed"]
    assert {a["entityName"] for a in active["critical"]} == {"backup"}
    await record(hub, HeartbeatRecovered(heartbeat_id="hb_1", name="backup", at_ms=now))
    assert (await hub.admin.get("/api/v1/alerts/active")).json()["total"] == 0


async def test_alerts_survive_a_restart_and_resolve_afterwards(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, **QUIET_LOOPS) as first:
        await agent_offline(first)
        alert = await only_alert(first)
    async with start_hub(clock=clock, **QUIET_LOOPS) as second:
        assert (await second.admin.get(f"/api/v1/alerts/{alert['id']}")).json()["status"] == "active"
        await agent_online(second)
        assert (await second.admin.get(f"/api/v1/alerts/{alert['id']}")).json()["status"] == "resolved"


async def test_the_edition_reports_alerting_features(hub: RunningHub) -> None:
    features = (await hub.client().get("/api/v1/edition")).json()["features"]
    assert [features[name] for name in ("alerts", "notificationChannels", "silences", "maintenanceWindows")] == [
        True
    ] * 4
    assert features["webhooks"] is True
