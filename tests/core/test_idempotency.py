"""`Idempotency-Key` on POST routes that opt in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.agents.support import REPORT_EXAMPLE, create_agent
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def _usernames(hub: RunningHub) -> list[str]:
    return [u["username"] for u in (await hub.admin.get("/api/v1/users")).json()]


async def test_a_replay_returns_the_stored_response_and_writes_nothing(hub: RunningHub) -> None:
    body = {"username": "erin", "password": "password-1", "role": "viewer"}
    headers = {"Idempotency-Key": "create-erin"}
    first = await hub.admin.post("/api/v1/users", json=body, headers=headers)
    second = await hub.admin.post("/api/v1/users", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await _usernames(hub) == ["admin", "erin"]


async def test_the_same_key_with_another_body_is_refused(hub: RunningHub) -> None:
    headers = {"Idempotency-Key": "k1"}
    await hub.admin.post("/api/v1/keys", json={"name": "a", "scopes": ["read"]}, headers=headers)
    reused = await hub.admin.post("/api/v1/keys", json={"name": "b", "scopes": ["read"]}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert reused.json()["error"]["field"] == "Idempotency-Key"
    names = [k["name"] for k in (await hub.admin.get("/api/v1/keys")).json()]
    assert names == ["admin key", "a"]


async def test_a_failed_request_releases_its_key(hub: RunningHub) -> None:
    headers = {"Idempotency-Key": "k2"}
    bad = await hub.admin.post("/api/v1/keys", json={"name": "a", "scopes": ["nope"]}, headers=headers)
    assert bad.status_code == 400
    good = await hub.admin.post("/api/v1/keys", json={"name": "a", "scopes": ["nope"]}, headers=headers)
    assert good.status_code == 400
    assert "idempotent-replayed" not in good.headers


async def test_keys_are_separate_per_caller(hub: RunningHub) -> None:
    other = await hub.user_key("root2", "admin", ["admin"])
    headers = {"Idempotency-Key": "same"}
    one = await hub.admin.post("/api/v1/keys", json={"name": "a", "scopes": ["read"]}, headers=headers)
    two = await hub.client(other).post("/api/v1/keys", json={"name": "a", "scopes": ["read"]}, headers=headers)
    assert one.json()["id"] != two.json()["id"]


async def test_a_key_expires_after_a_day(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        headers = {"Idempotency-Key": "daily"}
        body = {"name": "a", "scopes": ["read"]}
        first = await hub.admin.post("/api/v1/keys", json=body, headers=headers)
        clock.advance(24 * 3600 + 1)
        later = await hub.admin.post("/api/v1/keys", json=body, headers=headers)
        assert later.status_code == 201
        assert later.json()["id"] != first.json()["id"]
        assert "idempotent-replayed" not in later.headers


async def test_agent_keys_in_the_body_scope_idempotency_keys_per_agent(hub: RunningHub) -> None:
    one, two = await create_agent(hub, name="one"), await create_agent(hub, name="two")
    headers = {"Idempotency-Key": "report-1"}
    client = hub.client()
    first = await client.post("/agent/report", json={**REPORT_EXAMPLE, "agent_key": one["agentKey"]}, headers=headers)
    assert first.status_code == 200
    other = {**REPORT_EXAMPLE, "agent_key": two["agentKey"], "hostname": "elsewhere"}
    second = await client.post("/agent/report", json=other, headers=headers)
    assert second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    stored = (await hub.admin.get(f"/api/v1/agents/{two['id']}")).json()
    assert stored["hostname"] == "elsewhere"


async def test_an_anonymous_caller_cannot_probe_another_callers_keys(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    headers = {"Idempotency-Key": "secret-key"}
    await hub.client().post("/agent/report", json={**REPORT_EXAMPLE, "agent_key": agent["agentKey"]}, headers=headers)
    forged = "wkak_" + "A" * 43
    for body in ({**REPORT_EXAMPLE, "agent_key": forged}, {**REPORT_EXAMPLE, "agent_key": forged, "os": "x"}):
        probe = await hub.client().post("/agent/report", json=body, headers=headers)
        assert probe.status_code == 404
        assert probe.json()["code"] == "NOT_FOUND"
    for anonymous in ({}, {"X-API-Key": "wk_not_a_key"}):
        probe = await hub.client().post(
            "/api/v1/keys", json={"name": "a", "scopes": ["read"]}, headers={**headers, **anonymous}
        )
        assert probe.status_code == 401


async def test_one_api_key_is_one_caller_whichever_header_carries_it(hub: RunningHub) -> None:
    headers = {"Idempotency-Key": "either-header"}
    body = {"name": "a", "scopes": ["read"]}
    first = await hub.admin.post("/api/v1/keys", json=body, headers=headers)
    bearer = hub.client(headers={"Authorization": f"Bearer {hub.admin_key}"})
    second = await bearer.post("/api/v1/keys", json=body, headers=headers)
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.json() == first.json()
