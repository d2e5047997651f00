"""POST /api/v1/agents/register and POST /api/v1/agents/{agentId}/push (agents-register-push.txt)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from sqlalchemy import select

from tests.agents.support import (
    PUSH_EXAMPLE,
    REGISTER_EXAMPLE,
    bearer,
    recorded_events,
    table_snapshot,
    with_value,
    without,
)
from tests.support.hub import RunningHub
from watchkeep.agents.tables import agents
from watchkeep.core.clock import FrozenClock
from watchkeep.core.events import AgentRegistered

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def _register(hub: RunningHub, body: dict[str, Any] | None = None, proof: str | None = None) -> dict[str, Any]:
    """Register with an enrolment key; `proof` is a token the agent holds (to register again)."""
    key = await hub.user_key("admin", "admin", ["agents:register"])
    headers = bearer(proof) if proof else {}
    response = await hub.client(key).post("/api/v1/agents/register", json=body or REGISTER_EXAMPLE, headers=headers)
    assert response.status_code == 200, response.text
    registered: dict[str, Any] = response.json()
    return registered


async def test_registering_answers_an_id_and_a_short_lived_token(hub: RunningHub) -> None:
    events = recorded_events(hub)
    registered = await _register(hub)
    assert set(registered) == {"agentId", "token", "tokenExpiresIn", "pushIntervalSeconds"}
    assert registered["agentId"].startswith("agent_")
    assert registered["tokenExpiresIn"] == 3600
    assert registered["pushIntervalSeconds"] == 15
    again = await _register(hub, proof=registered["token"])
    assert again["agentId"] == registered["agentId"]
    assert [type(e) for e in events] == [AgentRegistered]
    other = await _register(hub, {**REGISTER_EXAMPLE, "hostname": "prod-web-02"})
    assert other["agentId"] != registered["agentId"]
    agent = (await hub.admin.get(f"/api/v1/agents/{registered['agentId']}")).json()
    assert (agent["name"], agent["hostname"], agent["platform"], agent["version"]) == (
        "prod-web",
        "prod-web-01",
        "docker",
        "1.4.2",
    )


async def test_an_enrolment_key_cannot_take_over_an_existing_agent(hub: RunningHub) -> None:
    registered = await _register(hub)
    key = await hub.user_key("enroller", "admin", ["agents:register"])
    enrolment = hub.client(key)
    takeover = await enrolment.post("/api/v1/agents/register", json=REGISTER_EXAMPLE)
    assert takeover.status_code == 409
    assert takeover.json()["error"]["code"] == "conflict"
    assert takeover.json()["error"]["field"] == "name"
    assert "token" not in takeover.json()
    # A forged or someone else's credential is no proof either.
    other = await _register(hub, {**REGISTER_EXAMPLE, "name": "other"})
    forged = registered["token"][:-4] + "AAAA"
    for token, status in ((other["token"], 403), (forged, 401), ("wkat_" + "A" * 43, 401)):
        response = await enrolment.post("/api/v1/agents/register", json=REGISTER_EXAMPLE, headers=bearer(token))
        assert response.status_code == status, response.text
        assert "token" not in response.json()
    wrong_key = {**REGISTER_EXAMPLE, "agentKey": "wkak_" + "A" * 43}
    assert (await enrolment.post("/api/v1/agents/register", json=wrong_key)).status_code == 401


async def test_an_agent_registers_again_with_its_own_credentials(hub: RunningHub) -> None:
    created = (await hub.admin.post("/api/v1/agents", json={"name": "prod-web", "hostname": "prod-web-01"})).json()
    by_token = await _register(hub, proof=created["token"])
    assert by_token["agentId"] == created["id"]
    key = await hub.user_key("admin", "admin", ["agents:register"])
    by_key = await hub.client(key).post(
        "/api/v1/agents/register", json={**REGISTER_EXAMPLE, "agentKey": created["agentKey"]}
    )
    assert by_key.status_code == 200
    assert by_key.json()["agentId"] == created["id"]
    # Rotating the agent's credentials retires every earlier one as proof.
    await hub.admin.post(f"/api/v1/agents/{created['id']}/token/rotate")
    stale = await hub.client(key).post(
        "/api/v1/agents/register", json=REGISTER_EXAMPLE, headers=bearer(by_token["token"])
    )
    assert stale.status_code == 401


async def test_registering_needs_the_agents_register_scope(hub: RunningHub) -> None:
    reader = await hub.user_key("admin", "admin", ["read"])
    response = await hub.client(reader).post("/api/v1/agents/register", json=REGISTER_EXAMPLE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_scope"
    assert (await hub.client().post("/api/v1/agents/register", json=REGISTER_EXAMPLE)).status_code == 401


async def test_the_spec_push_is_stored_and_read_back(hub: RunningHub) -> None:
    registered = await _register(hub)
    agent_id = registered["agentId"]
    response = await hub.client().post(
        f"/api/v1/agents/{agent_id}/push", json=PUSH_EXAMPLE, headers=bearer(registered["token"])
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}

    listed = (await hub.admin.get("/api/v1/agents")).json()
    assert listed[0]["id"] == agent_id
    assert listed[0]["containerCount"] == 1
    assert listed[0]["status"] == "online"
    container = (await hub.admin.get("/api/v1/containers")).json()["items"][0]
    assert (container["containerId"], container["name"], container["image"], container["state"]) == (
        "a1b2c3d4e5f6",
        "nginx-prod",
        "nginx:1.25",
        "running",
    )
    assert container["restartCount"] == 0
    current = (await hub.admin.get(f"/api/v1/agents/{agent_id}/metrics/current")).json()
    nginx = current["containers"][0]
    assert (nginx["cpuPercent"], nginx["memoryUsedMb"], nginx["memoryLimitMb"]) == (12.4, 48, 512)
    assert nginx["sampledAt"] == "2026-06-16T10:00:00.000Z"


async def test_a_later_push_without_a_container_removes_it(hub: RunningHub) -> None:
    registered = await _register(hub)
    url, token = f"/api/v1/agents/{registered['agentId']}/push", bearer(registered["token"])
    assert (await hub.client().post(url, json=PUSH_EXAMPLE, headers=token)).status_code == 200
    later = {**PUSH_EXAMPLE, "timestamp": "2026-06-16T10:00:15Z", "containers": []}
    assert (await hub.client().post(url, json=later, headers=token)).status_code == 200
    assert (await hub.admin.get("/api/v1/containers")).json()["items"] == []


async def test_a_push_without_timestamp_or_containers_is_accepted(start_hub: StartHub, clock: FrozenClock) -> None:
    # Neither is required by agents-register-push.txt: the receipt time stands in, and no
    # container changes.
    async with start_hub(clock=clock) as hub:
        registered = await _register(hub)
        agent_id = registered["agentId"]
        url, token = f"/api/v1/agents/{agent_id}/push", bearer(registered["token"])
        assert (await hub.client().post(url, json=PUSH_EXAMPLE, headers=token)).status_code == 200
        bare = without(without(PUSH_EXAMPLE, "timestamp"), "containers")
        response = await hub.client().post(url, json=bare, headers=token)
        assert response.status_code == 200, response.text
        assert [c["name"] for c in (await hub.admin.get("/api/v1/containers")).json()["items"]] == ["nginx-prod"]
        async with hub.hub.store.read() as conn:
            stored_at = (await conn.execute(select(agents.c.last_payload_at).where(agents.c.id == agent_id))).scalar()
        assert stored_at == clock.now_ms()


async def test_an_expired_token_is_unauthorized_so_the_agent_registers_again(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock) as hub:
        registered = await _register(hub)
        url = f"/api/v1/agents/{registered['agentId']}/push"
        clock.advance(3601)
        expired = await hub.client().post(url, json=PUSH_EXAMPLE, headers=bearer(registered["token"]))
        assert expired.status_code == 401
        assert expired.json()["error"]["code"] == "unauthorized"
        fresh = await _register(hub, proof=registered["token"])
        assert (await hub.client().post(url, json=PUSH_EXAMPLE, headers=bearer(fresh["token"]))).status_code == 200


async def test_the_signed_token_also_works_on_the_native_routes(hub: RunningHub) -> None:
    registered = await _register(hub)
    token = bearer(registered["token"])
    assert (await hub.client().post("/api/metrics/ingest", json={"cpuPercent": 2}, headers=token)).status_code == 200
    config = await hub.client().get("/api/agent/config", headers=token)
    assert config.json()["serverId"] == registered["agentId"]


async def test_a_forged_token_is_unauthorized(hub: RunningHub) -> None:
    registered = await _register(hub)
    forged = registered["token"][:-4] + "AAAA"
    url = f"/api/v1/agents/{registered['agentId']}/push"
    assert (await hub.client().post(url, json=PUSH_EXAMPLE, headers=bearer(forged))).status_code == 401


async def test_pushing_for_another_agent_is_forbidden(hub: RunningHub) -> None:
    first = await _register(hub)
    second = await _register(hub, {**REGISTER_EXAMPLE, "name": "other"})
    url = f"/api/v1/agents/{first['agentId']}/push"
    assert (await hub.client().post(url, json=PUSH_EXAMPLE, headers=bearer(second["token"]))).status_code == 403


async def test_a_missing_field_is_named_and_nothing_is_written(hub: RunningHub) -> None:
    registered = await _register(hub)
    before = await table_snapshot(hub)
    url = f"/api/v1/agents/{registered['agentId']}/push"
    for path in ("containers[0].id", "containers[0].name"):
        response = await hub.client().post(url, json=without(PUSH_EXAMPLE, path), headers=bearer(registered["token"]))
        assert response.status_code == 400, path
        assert response.json()["error"]["field"] == path
    assert await table_snapshot(hub) == before


WRONG = [
    ("timestamp", "June 16"),
    ("containers[0].cpuPercent", -1),
    ("containers[0].memoryMB", "48"),
    ("containers[0].restartCount", 1.5),
    ("nodes", [1]),
]


async def test_a_wrong_value_is_named(hub: RunningHub) -> None:
    registered = await _register(hub)
    before = await table_snapshot(hub)
    url = f"/api/v1/agents/{registered['agentId']}/push"
    for path, value in WRONG:
        body = with_value(PUSH_EXAMPLE, path, value)
        response = await hub.client().post(url, json=body, headers=bearer(registered["token"]))
        assert response.status_code == 400, (path, value)
        assert response.json()["error"]["field"].startswith(path)
    assert await table_snapshot(hub) == before


async def test_an_idempotency_key_makes_a_retried_push_a_no_op(hub: RunningHub) -> None:
    registered = await _register(hub)
    url = f"/api/v1/agents/{registered['agentId']}/push"
    headers = {**bearer(registered["token"]), "Idempotency-Key": "push-1"}
    assert (await hub.client().post(url, json=PUSH_EXAMPLE, headers=headers)).status_code == 200
    before = await table_snapshot(hub)
    again = await hub.client().post(url, json=PUSH_EXAMPLE, headers=headers)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert await table_snapshot(hub) == before
