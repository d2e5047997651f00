"""The agent registry under /api/v1/agents: create, list, read, change, rotate, delete."""

from __future__ import annotations

import pytest

from tests.agents.support import REPORT_EXAMPLE, bearer, create_agent, recorded_events
from tests.support.hub import RunningHub
from watchkeep.core.events import AgentRegistered

AGENT_FIELDS = {
    "id",
    "name",
    "type",
    "hostname",
    "platform",
    "os",
    "kernel",
    "version",
    "region",
    "labels",
    "endpoint",
    "platformId",
    "pushIntervalSeconds",
    "status",
    "lastSeen",
    "lastHeartbeatAt",
    "createDate",
    "lastOpDate",
    "containerCount",
    "uptimeSeconds",
    "serverHealthy",
    "droppedPayloads",
    "collectorErrors",
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_an_admin_creates_an_agent_and_sees_its_credentials_once(hub: RunningHub) -> None:
    events = recorded_events(hub)
    response = await hub.admin.post(
        "/api/v1/agents",
        json={
            "name": "web-1",
            "hostname": "web-1.lan",
            "platform": "docker",
            "region": "eu",
            "labels": {"env": "prod"},
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["id"].startswith("agent_")
    assert created["token"].startswith("wkat_")
    assert created["agentKey"].startswith("wkak_")
    assert created["type"] == "metric"
    assert created["status"] == "offline"
    assert created["labels"] == {"env": "prod"}
    assert [type(e) for e in events] == [AgentRegistered]

    fetched = (await hub.admin.get(f"/api/v1/agents/{created['id']}")).json()
    assert set(fetched) == AGENT_FIELDS
    assert "token" not in fetched
    assert fetched["hostname"] == "web-1.lan"
    assert fetched["droppedPayloads"] == 0
    assert fetched["collectorErrors"] == {}


async def test_creating_needs_a_name_and_admin(hub: RunningHub) -> None:
    missing = await hub.admin.post("/api/v1/agents", json={"hostname": "x"})
    assert missing.status_code == 400
    assert missing.json()["error"]["field"] == "name"
    viewer = await hub.user_key("vera", "viewer", ["read"])
    denied = await hub.client(viewer).post("/api/v1/agents", json={"name": "x"})
    assert denied.status_code == 403


async def test_the_same_name_and_hostname_cannot_be_created_twice(hub: RunningHub) -> None:
    await create_agent(hub, "web-1", hostname="h")
    again = await hub.admin.post("/api/v1/agents", json={"name": "web-1", "hostname": "h"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


async def test_the_list_filters_by_status_and_platform_and_pages(hub: RunningHub) -> None:
    docker = await create_agent(hub, "a", platform="docker")
    await create_agent(hub, "b", platform="linux")
    await create_agent(hub, "c", platform="docker")
    token = docker["token"]
    assert (await hub.client().post("/api/metrics/ingest", json={}, headers=bearer(token))).status_code == 200

    everything = await hub.admin.get("/api/v1/agents")
    assert everything.status_code == 200
    assert [a["name"] for a in everything.json()] == ["a", "b", "c"]
    assert everything.headers["x-total-count"] == "3"
    assert {"id", "name", "platform", "hostname", "version", "lastSeen", "status", "containerCount"} <= set(
        everything.json()[0]
    )
    online = (await hub.admin.get("/api/v1/agents", params={"status": "online"})).json()
    assert [a["name"] for a in online] == ["a"]
    on_docker = (await hub.admin.get("/api/v1/agents", params={"platform": "docker"})).json()
    assert [a["name"] for a in on_docker] == ["a", "c"]
    page = await hub.admin.get("/api/v1/agents", params={"limit": 1, "offset": 1})
    assert [a["name"] for a in page.json()] == ["b"]
    assert page.headers["x-total-count"] == "3"
    wrong = await hub.admin.get("/api/v1/agents", params={"status": "connected"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["field"] == "status"


async def test_limit_zero_lists_every_agent(hub: RunningHub) -> None:
    for n in range(105):  # more than the default page
        await create_agent(hub, f"web-{n:03}")
    assert len((await hub.admin.get("/api/v1/agents")).json()) == 100
    everything = await hub.admin.get("/api/v1/agents", params={"limit": 0})
    assert len(everything.json()) == 105
    assert everything.headers["x-total-count"] == "105"
    assert len((await hub.admin.get("/api/v1/agents", params={"limit": 0, "offset": 100})).json()) == 5


async def test_patch_changes_name_region_labels_and_interval(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    body = {"name": "web-2", "region": "us", "labels": {"team": "ops"}, "pushIntervalSeconds": 60}
    response = await hub.admin.patch(f"/api/v1/agents/{agent['id']}", json=body)
    assert response.status_code == 200
    changed = response.json()
    assert (changed["name"], changed["region"], changed["labels"], changed["pushIntervalSeconds"]) == (
        "web-2",
        "us",
        {"team": "ops"},
        60,
    )


async def test_patching_a_read_only_field_names_it(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    for field in ("status", "hostname", "lastSeen", "containerCount", "id", "droppedPayloads"):
        response = await hub.admin.patch(f"/api/v1/agents/{agent['id']}", json={field: "x"})
        assert response.status_code == 400, field
        assert response.json()["error"]["code"] == "readonly_field"
        assert response.json()["error"]["field"] == field


async def test_patch_rejects_a_bad_interval(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    response = await hub.admin.patch(f"/api/v1/agents/{agent['id']}", json={"pushIntervalSeconds": 0})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "pushIntervalSeconds"


async def test_an_unknown_agent_is_not_found(hub: RunningHub) -> None:
    response = await hub.admin.get("/api/v1/agents/agent_000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_rotating_retires_the_old_token_and_key(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    rotated = await hub.admin.post(f"/api/v1/agents/{agent['id']}/token/rotate")
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["token"] != agent["token"]
    client = hub.client()
    old = await client.post("/api/metrics/ingest", json={}, headers=bearer(agent["token"]))
    assert old.status_code == 401
    assert (await client.post("/api/metrics/ingest", json={}, headers=bearer(fresh["token"]))).status_code == 200
    report = {**REPORT_EXAMPLE, "agent_key": agent["agentKey"]}
    assert (await client.post("/agent/report", json=report)).status_code == 404
    assert (await client.post("/agent/report", json={**report, "agent_key": fresh["agentKey"]})).status_code == 200


async def test_the_token_of_a_deleted_agent_is_unauthorized(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    client = hub.client()
    assert (await client.post("/api/metrics/ingest", json={}, headers=bearer(agent["token"]))).status_code == 200
    assert (await hub.admin.delete(f"/api/v1/agents/{agent['id']}")).status_code == 204
    after = await client.post("/api/metrics/ingest", json={}, headers=bearer(agent["token"]))
    assert after.status_code == 401
    assert after.json()["code"] == "UNAUTHORIZED"
    assert (await hub.admin.delete(f"/api/v1/agents/{agent['id']}")).status_code == 404
