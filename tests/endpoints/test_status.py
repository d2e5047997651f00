"""Thresholds move the status; going down raises an alert through the engine, recovering or
deleting the endpoint resolves it; the events are logged, the results streamed."""

from __future__ import annotations

from typing import Any

from tests.endpoints.conftest import BOTH_STORES, Endpoints
from tests.endpoints.servers import http_server
from tests.support.events import settled
from watchkeep.endpoints.status import Counters, advance


async def _alerts(endpoints: Endpoints) -> list[dict[str, Any]]:
    await settled(endpoints.running)
    response = await endpoints.api.get("/api/v1/alerts", params={"source": "endpoint"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _point(endpoints: Endpoints, endpoint: dict[str, Any], url: str) -> None:
    body = {key: endpoint[key] for key in ("name", "type", "failureThreshold", "recoveryThreshold")}
    response = await endpoints.api.put(f"/api/v1/endpoints/{endpoint['id']}", json={**body, "target": url})
    assert response.status_code == 200, response.text


@BOTH_STORES
async def test_an_endpoint_goes_down_only_after_its_failure_threshold_and_up_after_its_recovery_threshold(
    endpoints: Endpoints,
) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(type="http", target=f"{server}/ok", failureThreshold=3, recoveryThreshold=2)
        await endpoints.check(endpoint["id"])
        assert (await endpoints.get(endpoint["id"]))["status"] == "up"
        await _point(endpoints, endpoint, f"{server}/status/500")
        statuses = []
        for _ in range(3):
            await endpoints.check(endpoint["id"])
            statuses.append((await endpoints.get(endpoint["id"]))["status"])
        assert statuses == ["up", "up", "down"]
        [alert] = await _alerts(endpoints)
        assert (alert["type"], alert["status"], alert["entityId"]) == ("endpoint_down", "active", endpoint["id"])
        assert "HTTP 500" in alert["message"]
        await _point(endpoints, endpoint, f"{server}/ok")
        statuses = []
        for _ in range(2):
            await endpoints.check(endpoint["id"])
            statuses.append((await endpoints.get(endpoint["id"]))["status"])
        assert statuses == ["down", "up"]
        [alert] = await _alerts(endpoints)
        assert alert["status"] == "resolved"
    kinds = [e.type for e in endpoints.events if e.type != "endpoint.check_result" and e.type.startswith("endpoint.")]
    assert kinds == ["endpoint.alert", "endpoint.recovery"]
    assert len(endpoints.of_type("endpoint.check_result")) == 6


async def test_failures_that_stop_short_of_the_threshold_raise_nothing(endpoints: Endpoints) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(type="http", target=f"{server}/status/502", failureThreshold=3)
        for _ in range(2):
            await endpoints.check(endpoint["id"])
        got = await endpoints.get(endpoint["id"])
    assert (got["status"], got["consecutiveFailures"], got["lastError"]) == ("unknown", 2, "HTTP 502 (expected 2xx)")
    assert await _alerts(endpoints) == []
    assert endpoints.of_type("endpoint.alert") == []


@BOTH_STORES
async def test_deleting_a_down_endpoint_resolves_its_alert(endpoints: Endpoints) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(type="http", target=f"{server}/status/500", failureThreshold=1)
        await endpoints.check(endpoint["id"])
    [alert] = await _alerts(endpoints)
    assert alert["status"] == "active"
    await endpoints.api.delete(f"/api/v1/endpoints/{endpoint['id']}")
    [alert] = await _alerts(endpoints)
    assert alert["status"] == "resolved"


async def test_check_results_are_streamed_live_but_not_logged(endpoints: Endpoints) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(type="http", target=f"{server}/ok")
        await endpoints.check(endpoint["id"])
    [event] = endpoints.of_type("endpoint.check_result")
    assert event.id is None
    assert event.data()["result"] == "up"


def test_the_status_follows_the_thresholds_from_each_state() -> None:
    unknown = Counters("unknown", 0, 0)
    assert advance(unknown, True, failure_threshold=3, recovery_threshold=2).status == "up"
    assert advance(unknown, False, failure_threshold=1, recovery_threshold=2).status == "down"
    assert advance(Counters("down", 0, 0), True, failure_threshold=3, recovery_threshold=1).status == "up"
    assert advance(Counters("down", 0, 1), False, failure_threshold=3, recovery_threshold=2) == Counters("down", 1, 0)
