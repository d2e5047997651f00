"""PUT /api/v1/agents/{uuid}/heartbeat (agent-heartbeat.txt)."""

from __future__ import annotations

import pytest

from tests.agents.support import HEARTBEAT_EXAMPLE, bearer, create_agent, table_snapshot, with_value, without
from tests.support.hub import RunningHub

RESPONSE_FIELDS = {
    "uuid",
    "name",
    "type",
    "version",
    "status",
    "endpoint",
    "platformId",
    "region",
    "labels",
    "lastHeartbeatAt",
    "createDate",
    "lastOpDate",
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_the_spec_example_answers_the_agent_object(hub: RunningHub) -> None:
    agent = await create_agent(hub, "prod-agent-01", region="us-east-1", labels={"env": "prod", "team": "ops"})
    response = await hub.client().put(
        f"/api/v1/agents/{agent['id']}/heartbeat", json=HEARTBEAT_EXAMPLE, headers=bearer(agent["token"])
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    assert body["uuid"] == agent["id"]
    assert body["name"] == "prod-agent-01"
    assert body["type"] == "metric"
    assert body["version"] == "1.2.3"
    assert body["status"] == "online"
    assert body["region"] == "us-east-1"
    assert isinstance(body["labels"], str)
    assert __import__("json").loads(body["labels"]) == {"env": "prod", "team": "ops"}
    assert body["lastHeartbeatAt"] is not None

    stored = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()
    assert stored["uptimeSeconds"] == 86400
    assert stored["lastHeartbeatAt"] == body["lastHeartbeatAt"]
    host = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/current")).json()["host"]
    assert host["cpuPercent"] == 12.5
    assert host["memoryPercent"] == 35.2


async def test_uptime_may_be_a_numeric_string(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    body = {**HEARTBEAT_EXAMPLE, "uptime": "3600.5"}
    url = f"/api/v1/agents/{agent['id']}/heartbeat"
    assert (await hub.client().put(url, json=body, headers=bearer(agent["token"]))).status_code == 200
    assert (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()["uptimeSeconds"] == 3600.5


async def test_an_api_key_with_write_scope_may_send_it(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    writer = await hub.user_key("walt", "editor", ["write"])
    reader = await hub.user_key("rita", "viewer", ["read"])
    url = f"/api/v1/agents/{agent['id']}/heartbeat"
    assert (await hub.client(writer).put(url, json=HEARTBEAT_EXAMPLE)).status_code == 200
    denied = await hub.client(reader).put(url, json=HEARTBEAT_EXAMPLE)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden_scope"
    unknown = await hub.client(writer).put("/api/v1/agents/agent_none/heartbeat", json=HEARTBEAT_EXAMPLE)
    assert unknown.status_code == 404


async def test_another_agents_token_is_forbidden(hub: RunningHub) -> None:
    mine, theirs = await create_agent(hub, "mine"), await create_agent(hub, "theirs")
    response = await hub.client().put(
        f"/api/v1/agents/{mine['id']}/heartbeat", json=HEARTBEAT_EXAMPLE, headers=bearer(theirs["token"])
    )
    assert response.status_code == 403


async def test_no_credential_is_unauthorized(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    response = await hub.client().put(f"/api/v1/agents/{agent['id']}/heartbeat", json=HEARTBEAT_EXAMPLE)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_a_missing_field_is_named(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    url = f"/api/v1/agents/{agent['id']}/heartbeat"
    for field in ("version", "uptime", "cpuUsage", "memUsage"):
        response = await hub.client().put(url, json=without(HEARTBEAT_EXAMPLE, field), headers=bearer(agent["token"]))
        assert response.status_code == 400, field
        assert response.json()["error"]["code"] == "validation_error"
        assert response.json()["error"]["field"] == field
    assert await table_snapshot(hub) == before


WRONG = [
    ("cpuUsage", 100.5),
    ("cpuUsage", -1),
    ("memUsage", "35"),
    ("uptime", "a day"),
    ("uptime", -5),
    ("uptime", "NaN"),
    ("version", 123),
]


async def test_a_wrong_value_is_named(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    url = f"/api/v1/agents/{agent['id']}/heartbeat"
    for field, value in WRONG:
        body = with_value(HEARTBEAT_EXAMPLE, field, value)
        response = await hub.client().put(url, json=body, headers=bearer(agent["token"]))
        assert response.status_code == 400, (field, value, response.text)
        assert response.json()["error"]["field"] == field
    assert await table_snapshot(hub) == before


async def test_endpoint_and_platform_id_are_taken_everywhere_the_contract_shows_them(hub: RunningHub) -> None:
    # On create...
    agent = await create_agent(hub, "edge-1", endpoint="http://192.168.1.10:7890", platformId="plat-001-abc")
    shown = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()
    assert (shown["endpoint"], shown["platformId"]) == ("http://192.168.1.10:7890", "plat-001-abc")
    # ...on patch...
    patched = await hub.admin.patch(f"/api/v1/agents/{agent['id']}", json={"endpoint": "grpc://10.0.0.2:7000"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["endpoint"], patched.json()["platformId"]) == ("grpc://10.0.0.2:7000", "plat-001-abc")
    # ...when the heartbeat sends them (a heartbeat without them keeps what is stored)...
    url, token = f"/api/v1/agents/{agent['id']}/heartbeat", bearer(agent["token"])
    beat = await hub.client().put(url, json={**HEARTBEAT_EXAMPLE, "platformId": "plat-002"}, headers=token)
    assert (beat.json()["endpoint"], beat.json()["platformId"]) == ("grpc://10.0.0.2:7000", "plat-002")
    beat = await hub.client().put(url, json=HEARTBEAT_EXAMPLE, headers=token)
    assert (beat.json()["endpoint"], beat.json()["platformId"]) == ("grpc://10.0.0.2:7000", "plat-002")
    # ...and on register.
    key = await hub.user_key("admin", "admin", ["agents:register"])
    body = {"name": "edge-2", "hostname": "edge-2", "endpoint": "http://10.0.0.3:7890", "platformId": "plat-003"}
    registered = await hub.client(key).post("/api/v1/agents/register", json=body)
    assert registered.status_code == 200, registered.text
    listed = (await hub.admin.get(f"/api/v1/agents/{registered.json()['agentId']}")).json()
    assert (listed["endpoint"], listed["platformId"]) == ("http://10.0.0.3:7890", "plat-003")
    too_long = await hub.client().put(url, json={**HEARTBEAT_EXAMPLE, "endpoint": "x" * 501}, headers=token)
    assert too_long.status_code == 400
    assert too_long.json()["error"]["field"] == "endpoint"
