"""The alerts engine raises and resolves alerts from heartbeat events (through the event
log's consumer, once it has caught up)."""

from __future__ import annotations

from typing import Any

from tests.heartbeats.conftest import Heartbeats
from tests.support.events import settled


async def _alerts(heartbeats: Heartbeats) -> list[dict[str, Any]]:
    await settled(heartbeats.running)
    response = await heartbeats.api.get("/api/v1/alerts", params={"source": "heartbeat"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_missed_deadline_raises_an_alert_that_the_next_ping_resolves(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    heartbeats.clock.advance(5000)
    await heartbeats.worker.step()
    [alert] = await _alerts(heartbeats)
    assert (alert["type"], alert["status"], alert["entityId"]) == ("heartbeat_deadline_missed", "active", monitor["id"])
    assert alert["entityName"] == "backup"
    heartbeats.clock.advance(60)
    await heartbeats.ping(monitor["uuid"])
    [alert] = await _alerts(heartbeats)
    assert alert["status"] == "resolved"


async def test_a_failure_ping_raises_an_alert_with_its_exit_code(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], "/3")
    await heartbeats.ping(monitor["uuid"], "/4")  # still down: no second alert
    [alert] = await _alerts(heartbeats)
    assert (alert["type"], alert["status"], alert["details"]["exitCode"]) == ("heartbeat_failed", "active", 3)
    await heartbeats.ping(monitor["uuid"], "/0")
    [alert] = await _alerts(heartbeats)
    assert alert["status"] == "resolved"
