"""PUT /api/v1/agents/{uuid}/heartbeat (agent-heartbeat.txt)."""

from __future__ import annotations

from typing import Any

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


@pytest.mark.parametrize("field", ["version", "uptime", "cpuUsage", "memUsage"])
async def test_a_missing_field_is_named(hub: RunningHub, field: str) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    url = f"/api/v1/agents/{agent['id']}/heartbeat"
    response = await hub.client().put(url, json=without(HEARTBEAT_EXAMPLE, field), headers=bearer(agent["token"]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["field"] == field
    assert await table_snapshot(hub) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpuUsage", 100.5),
        ("cpuUsage", -1),
        ("memUsage", "35"),
        ("uptime", "a day"),
        ("uptime", -5),
        ("uptime", "NaN"),
        ("version", 123),
    ],
)
async def test_a_wrong_value_is_named(hub: RunningHub, field: str, value: Any) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    response = await hub.client().put(
        f"/api/v1/agents/{agent['id']}/heartbeat",
        json=with_value(HEARTBEAT_EXAMPLE, field, value),
        headers=bearer(agent["token"]),
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert await table_snapshot(hub) == before
