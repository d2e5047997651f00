"""Endpoints discovered from the labels of agent-reported containers: created, tuned, updated,
suspended while the container is stopped, inactive once it is removed; listed in the agent's
config and moved by the results the agent reports (thresholds, alert, recovery)."""

from __future__ import annotations

import json
from typing import Any

from tests.agents.support import bearer, create_agent, table_snapshot
from tests.endpoints.conftest import BOTH_STORES, Endpoints
from tests.support.events import settled
from watchkeep.core.clock import rfc3339


def container(cid: str, name: str, state: str = "running", **labels: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "image": "nginx:1.27",
        "imageId": "sha256:1",
        "state": state,
        "status": state,
        "created": 1,
        "labels": labels,
    }


async def report(endpoints: Endpoints, agent: dict[str, Any], **payload: Any) -> Any:
    """One native payload from `agent` at the hub's time (moved on a second first)."""
    endpoints.clock.advance(1)
    body = {"timestamp": rfc3339(endpoints.clock.now_ms()), **payload}
    return await endpoints.running.client().post(
        "/api/metrics/ingest",
        content=json.dumps(body).encode(),
        headers={**bearer(agent["token"]), "Content-Type": "application/json"},
    )


async def reported(endpoints: Endpoints, agent: dict[str, Any], **payload: Any) -> None:
    response = await report(endpoints, agent, **payload)
    assert response.status_code == 200, response.text


async def of_container(endpoints: Endpoints, agent_id: str, cid: str) -> dict[str, Any]:
    listed = (await endpoints.api.get("/api/v1/containers", params={"agentId": agent_id})).json()["items"]
    archived = (await endpoints.api.get("/api/v1/containers", params={"agentId": agent_id, "archived": "true"})).json()
    public_id = next(item["id"] for item in listed + archived["items"] if item["containerId"] == cid)
    response = await endpoints.api.get(f"/api/v1/containers/{public_id}/endpoints")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    body["containerPublicId"] = public_id
    return body


async def agent_config(endpoints: Endpoints, agent: dict[str, Any]) -> dict[str, Any]:
    response = await endpoints.running.client().get("/api/agent/config", headers=bearer(agent["token"]))
    assert response.status_code == 200, response.text
    config: dict[str, Any] = response.json()
    return config


def result(endpoint_id: str, up: bool, **fields: Any) -> dict[str, Any]:
    return {"endpointId": endpoint_id, "status": "up" if up else "down", "responseMs": 12.5, **fields}


async def alerts(endpoints: Endpoints) -> list[dict[str, Any]]:
    await settled(endpoints.running)
    response = await endpoints.api.get("/api/v1/alerts", params={"source": "endpoint"})
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_single_indexed_and_tuned_labels_make_endpoints_checked_by_the_agent(endpoints: Endpoints) -> None:
    agent = await create_agent(endpoints.running, "web-1")
    labels = {
        "watchkeep.endpoint.http": "http://127.0.0.1:8080/health",
        "watchkeep.endpoint.interval": "60",
        "watchkeep.endpoint.expected_status": "200,204",
        "watchkeep.endpoint.failure_threshold": "2",
        "watchkeep.endpoint.name": "shop health",
        "watchkeep.endpoint.1.tcp": "127.0.0.1:5432",
        "watchkeep.endpoint.1.timeout": "3",
        "watchkeep.endpoint.2.http": "http://127.0.0.1:8081/",
        "watchkeep.endpoint.2.method": "head",
        "watchkeep.endpoint.2.body_contains": "ok",
    }
    await reported(endpoints, agent, containers=[container("c1", "shop", **labels)])
    found = await of_container(endpoints, agent["id"], "c1")
    assert found["discoveryErrors"] == []
    by_target = {item["target"]: item for item in found["items"]}
    assert set(by_target) == {"http://127.0.0.1:8080/health", "127.0.0.1:5432", "http://127.0.0.1:8081/"}
    health = by_target["http://127.0.0.1:8080/health"]
    assert health["name"] == "shop health" and health["source"] == "discovered"
    assert health["intervalSeconds"] == 60 and health["failureThreshold"] == 2
    assert health["http"]["expectedStatus"] == "200,204"
    assert health["containerId"] == found["containerPublicId"]
    assert health["locations"] == [agent["id"]] and health["status"] == "unknown"
    assert health["nextCheckAt"] is None  # the hub never checks it itself
    tcp = by_target["127.0.0.1:5432"]
    assert tcp["type"] == "tcp" and tcp["timeoutSeconds"] == 3 and tcp["name"] == "shop tcp 1"
    head = by_target["http://127.0.0.1:8081/"]
    assert head["http"]["method"] == "HEAD" and head["http"]["bodyContains"] == "ok"

    config = await agent_config(endpoints, agent)
    checks = {check["id"]: check for check in config["endpointChecks"]}
    assert set(checks) == {item["id"] for item in found["items"]}
    assert checks[health["id"]]["intervalSeconds"] == 60
    assert checks[health["id"]]["http"]["expectedStatus"] == "200,204"
    assert checks[tcp["id"]]["type"] == "tcp" and checks[tcp["id"]]["target"] == "127.0.0.1:5432"
    # Another agent is given none of them.
    other = await create_agent(endpoints.running, "web-2")
    assert (await agent_config(endpoints, other))["endpointChecks"] == []

    # Due endpoints of agents are not the hub's: its scheduler claims nothing.
    endpoints.clock.advance(3600)
    await endpoints.scheduler.step()
    assert endpoints.scheduler.running == 0


async def test_invalid_labels_are_skipped_with_their_reason(endpoints: Endpoints) -> None:
    agent = await create_agent(endpoints.running, "web-1")
    labels = {
        "watchkeep.endpoint.http": "ftp://example.com/",
        "watchkeep.endpoint.1.tcp": "127.0.0.1:22",
        "watchkeep.endpoint.1.interval": "often",
        "watchkeep.endpoint.2.http": "http://127.0.0.1:9/",
        "watchkeep.endpoint.3.tcp": "127.0.0.1:23",
        "watchkeep.endpoint.3.method": "GET",
    }
    await reported(endpoints, agent, containers=[container("c1", "odd", **labels)])
    found = await of_container(endpoints, agent["id"], "c1")
    assert [item["target"] for item in found["items"]] == ["http://127.0.0.1:9/"]
    errors = found["discoveryErrors"]
    assert len(errors) == 3
    assert errors[0].startswith("watchkeep.endpoint.http: target")
    assert errors[1].startswith("watchkeep.endpoint.1.tcp: intervalSeconds")
    assert errors[2].startswith("watchkeep.endpoint.3.method: only an http endpoint")


@BOTH_STORES
async def test_label_change_stop_removal_and_deletion_follow_the_container(endpoints: Endpoints) -> None:
    agent = await create_agent(endpoints.running, "web-1")
    labels = {"watchkeep.endpoint.http": "http://127.0.0.1:8080/", "watchkeep.endpoint.failure_threshold": "2"}
    await reported(endpoints, agent, containers=[container("c1", "shop", **labels)])
    endpoint = (await of_container(endpoints, agent["id"], "c1"))["items"][0]
    endpoint_id = endpoint["id"]

    # A result from the agent moves it up; the history is there.
    await reported(endpoints, agent, endpointResults=[result(endpoint_id, True, httpStatus=200)])
    assert (await endpoints.get(endpoint_id))["status"] == "up"

    # A discovered endpoint follows its labels: no PUT, but pause and resume work.
    body = {"name": "x", "type": "http", "target": "http://127.0.0.1:1/"}
    refused = await endpoints.api.put(f"/api/v1/endpoints/{endpoint_id}", json=body)
    assert refused.status_code == 409, refused.text
    assert (await endpoints.api.post(f"/api/v1/endpoints/{endpoint_id}/pause")).json()["status"] == "unknown"
    assert (await endpoints.api.post(f"/api/v1/endpoints/{endpoint_id}/resume")).json()["status"] == "up"

    # A label change updates the same endpoint in place.
    changed = {**labels, "watchkeep.endpoint.http": "http://127.0.0.1:8090/ready", "watchkeep.endpoint.interval": "45"}
    await reported(endpoints, agent, containers=[container("c1", "shop", **changed)])
    updated = await endpoints.get(endpoint_id)
    assert updated["target"] == "http://127.0.0.1:8090/ready" and updated["intervalSeconds"] == 45
    assert updated["status"] == "up" and len(await endpoints.results(endpoint_id)) == 1

    # Stopped: unknown, not down, no alert, not in the agent's config, results dropped.
    await reported(endpoints, agent, containers=[container("c1", "shop", "exited", **changed)])
    stopped = await endpoints.get(endpoint_id)
    assert stopped["status"] == "unknown" and stopped["active"] is True
    assert (await agent_config(endpoints, agent))["endpointChecks"] == []
    await reported(endpoints, agent, endpointResults=[result(endpoint_id, False)] * 3)
    assert await alerts(endpoints) == []
    assert len(await endpoints.results(endpoint_id)) == 1

    # Running again: checked again.
    await reported(endpoints, agent, containers=[container("c1", "shop", **changed)])
    assert [c["id"] for c in (await agent_config(endpoints, agent))["endpointChecks"]] == [endpoint_id]
    assert (await endpoints.get(endpoint_id))["status"] == "up"

    # Removed (a full inventory without it): inactive, history kept.
    await reported(endpoints, agent, containers=[container("c2", "other")])
    removed = await endpoints.get(endpoint_id)
    assert removed["status"] == "inactive" and removed["active"] is False
    assert len(await endpoints.results(endpoint_id)) == 1
    listed = (await endpoints.api.get("/api/v1/endpoints")).json()
    assert [item["status"] for item in listed if item["id"] == endpoint_id] == ["inactive"]
    assert (await agent_config(endpoints, agent))["endpointChecks"] == []

    # Back again: the same endpoint, active again.
    await reported(endpoints, agent, containers=[container("c1", "shop", **changed), container("c2", "other")])
    assert (await endpoints.get(endpoint_id))["active"] is True
    await reported(endpoints, agent, containers=[container("c2", "other")])

    # The archived container deleted: its endpoints go with it.
    public_id = endpoint["containerId"]
    assert (await endpoints.api.delete(f"/api/v1/containers/{public_id}")).status_code == 204
    assert (await endpoints.api.get(f"/api/v1/endpoints/{endpoint_id}")).status_code == 404


@BOTH_STORES
async def test_agent_results_go_down_by_the_threshold_alert_and_recover(endpoints: Endpoints) -> None:
    agent = await create_agent(endpoints.running, "web-1")
    labels = {
        "watchkeep.endpoint.tcp": "127.0.0.1:5432",
        "watchkeep.endpoint.failure_threshold": "3",
        "watchkeep.endpoint.recovery_threshold": "2",
    }
    await reported(endpoints, agent, containers=[container("c1", "db", **labels)])
    endpoint_id = (await of_container(endpoints, agent["id"], "c1"))["items"][0]["id"]
    await reported(endpoints, agent, endpointResults=[result(endpoint_id, True)])
    statuses = []
    for _ in range(3):
        await reported(endpoints, agent, endpointResults=[result(endpoint_id, False, error="connection refused")])
        statuses.append((await endpoints.get(endpoint_id))["status"])
    assert statuses == ["up", "up", "down"]
    firing = await alerts(endpoints)
    assert [(a["type"], a["status"], a["entityId"]) for a in firing] == [("endpoint_down", "active", endpoint_id)]
    down = await endpoints.get(endpoint_id)
    assert down["lastError"] == "connection refused"
    assert [r["location"] for r in await endpoints.results(endpoint_id)] == [agent["id"]] * 4

    for _ in range(2):
        await reported(endpoints, agent, endpointResults=[result(endpoint_id, True)])
    assert (await endpoints.get(endpoint_id))["status"] == "up"
    assert [a["status"] for a in await alerts(endpoints)] == ["resolved"]
    uptime = (await endpoints.api.get(f"/api/v1/endpoints/{endpoint_id}/uptime/daily", params={"days": 1})).json()
    assert uptime[-1]["checks"] == 6 and uptime[-1]["upChecks"] == 3

    # Results for endpoints the agent does not check are dropped, not refused.
    other = await create_agent(endpoints.running, "web-2")
    await reported(endpoints, other, endpointResults=[result(endpoint_id, False)])
    await reported(endpoints, agent, endpointResults=[result("ep_unknown", False)])
    assert len(await endpoints.results(endpoint_id)) == 6


async def test_a_malformed_endpoint_result_is_refused_naming_its_field_and_writes_nothing(
    endpoints: Endpoints,
) -> None:
    agent = await create_agent(endpoints.running, "web-1")
    await reported(endpoints, agent, containers=[container("c1", "db", **{"watchkeep.endpoint.tcp": "db:5432"})])
    endpoint_id = (await of_container(endpoints, agent["id"], "c1"))["items"][0]["id"]
    before = await table_snapshot(endpoints.running)
    for bad, field in (
        ({"endpointId": endpoint_id, "status": "sideways"}, "endpointResults[1].status"),
        ({"endpointId": endpoint_id, "status": "up", "responseMs": -1}, "endpointResults[1].responseMs"),
        ({"status": "up"}, "endpointResults[1].endpointId"),
        (
            {"endpointId": endpoint_id, "status": "up", "checkedAt": "2026-13-40T00:00:00Z"},
            "endpointResults[1].checkedAt",
        ),
    ):
        response = await report(endpoints, agent, endpointResults=[result(endpoint_id, True), bad])
        assert response.status_code == 400, response.text
        assert response.json()["field"] == field, response.text
    assert await table_snapshot(endpoints.running) == before


async def test_deleting_an_agent_deletes_its_discovered_endpoints_and_leaves_it_out_of_locations(
    endpoints: Endpoints,
) -> None:
    agent = await create_agent(endpoints.running, "web-1")
    await reported(endpoints, agent, containers=[container("c1", "db", **{"watchkeep.endpoint.tcp": "db:5432"})])
    discovered_id = (await of_container(endpoints, agent["id"], "c1"))["items"][0]["id"]
    assigned = await endpoints.create(type="tcp", target="db:5432", locations=[agent["id"]])
    shared = await endpoints.create(type="tcp", target="db:5433", locations=["hub", agent["id"]])
    assert (await endpoints.api.delete(f"/api/v1/agents/{agent['id']}")).status_code == 204
    assert (await endpoints.api.get(f"/api/v1/endpoints/{discovered_id}")).status_code == 404
    moved = await endpoints.get(assigned["id"])
    assert moved["locations"] == ["hub"] and moved["nextCheckAt"] is not None
    assert (await endpoints.get(shared["id"]))["locations"] == ["hub"]
