"""An endpoint checked from several locations: each location keeps its own status by the
thresholds, and the endpoint goes down only by its rule (any, all or a majority down)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agents.support import create_agent, table_snapshot
from tests.endpoints.conftest import Endpoints
from tests.endpoints.servers import closed_port, http_server
from tests.endpoints.test_discovery import agent_config, reported, result


async def _three_agents(endpoints: Endpoints) -> list[dict[str, Any]]:
    return [await create_agent(endpoints.running, f"probe-{n}") for n in range(3)]


async def _down_from(endpoints: Endpoints, agent: dict[str, Any], endpoint_id: str) -> str:
    await reported(endpoints, agent, endpointResults=[result(endpoint_id, False, error="timeout")])
    status: str = (await endpoints.get(endpoint_id))["status"]
    return status


@pytest.mark.parametrize(
    ("rule", "down_after"),
    [("any", 1), ("majority", 2), ("all", 3)],
)
async def test_an_endpoint_goes_down_only_by_its_rule(endpoints: Endpoints, rule: str, down_after: int) -> None:
    agents = await _three_agents(endpoints)
    created = await endpoints.create(
        type="http",
        target="http://shop.internal/health",
        failureThreshold=1,
        locations=[a["id"] for a in agents],
        locationRule=rule,
    )
    endpoint_id = created["id"]
    assert created["locations"] == [a["id"] for a in agents] and created["locationRule"] == rule
    assert created["nextCheckAt"] is None  # no hub in its locations
    for agent in agents:
        assert [c["id"] for c in (await agent_config(endpoints, agent))["endpointChecks"]] == [endpoint_id]
        await reported(endpoints, agent, endpointResults=[result(endpoint_id, True)])
    assert (await endpoints.get(endpoint_id))["status"] == "up"

    statuses = [await _down_from(endpoints, agent, endpoint_id) for agent in agents]
    assert statuses == ["up"] * (down_after - 1) + ["down"] * (4 - down_after)
    details = (await endpoints.api.get(f"/api/v1/endpoints/{endpoint_id}")).json()
    assert [(s["location"], s["status"]) for s in details["locationStatus"]] == [(a["id"], "down") for a in agents]
    alerts = (await endpoints.api.get("/api/v1/alerts", params={"source": "endpoint"})).json()["items"]
    assert len(alerts) == 1

    # One location back up: under "all" the endpoint is up again at once; under "any" not yet.
    await reported(endpoints, agents[0], endpointResults=[result(endpoint_id, True)])
    await reported(endpoints, agents[0], endpointResults=[result(endpoint_id, True)])
    expected = {"any": "down", "majority": "down", "all": "up"}[rule]
    assert (await endpoints.get(endpoint_id))["status"] == expected


async def test_the_hub_is_a_location_too_and_results_name_their_location(endpoints: Endpoints) -> None:
    agent = await create_agent(endpoints.running, "probe")
    async with http_server() as server:
        created = await endpoints.create(
            type="http", target=f"{server}/ok", locations=["hub", agent["id"]], locationRule="all", failureThreshold=1
        )
        endpoint_id = created["id"]
        assert created["nextCheckAt"] is not None
        await endpoints.check(endpoint_id)
    await reported(endpoints, agent, endpointResults=[result(endpoint_id, False, error="refused")])
    got = await endpoints.get(endpoint_id)
    assert got["status"] == "up"  # "all": the hub still reaches it
    places = {r["location"]: r["status"] for r in await endpoints.results(endpoint_id)}
    assert places == {"hub": "up", agent["id"]: "down"}

    # Moved to the agent only: the hub stops checking it, the locations it left are forgotten.
    body = {"name": "web", "type": "http", "target": f"http://127.0.0.1:{closed_port()}/", "locations": [agent["id"]]}
    replaced = await endpoints.api.put(f"/api/v1/endpoints/{endpoint_id}", json=body)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["nextCheckAt"] is None
    details = (await endpoints.api.get(f"/api/v1/endpoints/{endpoint_id}")).json()
    assert [s["location"] for s in details["locationStatus"]] == [agent["id"]]


async def test_bad_locations_are_refused_naming_the_field_and_write_nothing(endpoints: Endpoints) -> None:
    agent = await create_agent(endpoints.running, "probe")
    before = await table_snapshot(endpoints.running)
    cases = [
        ({"locations": ["hub", "agt_nobody"]}, "locations[1]"),
        ({"locations": ["hub", "hub"]}, "locations[1]"),
        ({"locations": ["no such/thing"]}, "locations[0]"),
        ({"locations": []}, "locations"),
        ({"locationRule": "most"}, "locationRule"),
        ({"type": "dns", "target": "example.com", "locations": [agent["id"]]}, "locations[0]"),
    ]
    for fields, field in cases:
        body = {"name": "web", "type": "http", "target": "http://example.com/", **fields}
        response = await endpoints.api.post("/api/v1/endpoints", json=body)
        assert response.status_code == 400, (fields, response.text)
        assert response.json()["error"]["field"] == field, (fields, response.text)
    assert await table_snapshot(endpoints.running) == before
