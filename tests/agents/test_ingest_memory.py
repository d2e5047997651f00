"""What a hub remembers of each agent's stored rows (agents/ingest/memory.py): an unchanged
inventory or unchanged check results are not written again, and the memory never hides a
change, whether made by a later payload, by another hub on the same database, or by
deleting the agent and creating it again."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.agents.support import bearer, create_agent
from tests.support.events import settled
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def _container(name: str, image: str) -> dict[str, Any]:
    return {
        "id": f"id-{name}",
        "name": name,
        "image": image,
        "imageId": f"sha256:{image}",
        "state": "running",
        "status": "Up 1 hour",
        "created": 1760000000,
        "ports": [{"privatePort": 8080, "type": "tcp"}],
        "labels": {"project": "shop"},
        "mounts": [],
        "networkMode": "bridge",
    }


def _check(name: str, success: bool, checked_at: str = "2026-04-15T12:00:00Z") -> dict[str, Any]:
    return {
        "containerName": name,
        "healthCheckUrl": f"http://{name}:8080/health",
        "success": success,
        "statusCode": 200 if success else 503,
        "durationMs": 3,
        "checkedAt": checked_at,
    }


def payload(
    images: dict[str, str], *, healthy: bool = True, rx_mb: float = 10.0, checked_at: str = "2026-04-15T12:00:00Z"
) -> dict[str, Any]:
    names = sorted(images)
    return {
        "cpuPercent": 10,
        "services": [
            {"containerName": name, "cpuPercent": 1.5, "networkRxMb": rx_mb, "networkTxMb": 1, "health": "healthy"}
            for name in names
        ],
        "containers": [_container(name, images[name]) for name in names],
        "serviceHealthChecks": [_check(name, healthy, checked_at) for name in names],
    }


async def post(hub: RunningHub, token: str, body: dict[str, Any]) -> None:
    response = await hub.client().post("/api/metrics/ingest", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    # The events the payload caused are reacted to before the next step: two hubs in one
    # process on one SQLite file (never a deployment, only this test) must not write at once,
    # as the writer's statements run inline and one would wait on the other's lock.
    await settled(hub)


async def containers_of(hub: RunningHub, agent_id: str) -> dict[str, dict[str, Any]]:
    response = await hub.admin.get("/api/v1/containers", params={"agentId": agent_id})
    return {item["name"]: item for item in response.json()["items"]}


async def checks_of(hub: RunningHub, agent_id: str) -> dict[str, dict[str, Any]]:
    response = await hub.admin.get(f"/api/v1/agents/{agent_id}/checks")
    return {item["containerName"]: item for item in response.json()["items"]}


async def test_a_change_after_unchanged_payloads_is_written(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        token, agent_id = agent["token"], agent["id"]
        await post(hub, token, payload({"api": "api:1", "db": "db:1"}))
        first_seen = (await containers_of(hub, agent_id))["api"]["lastSeenAt"]

        clock.advance(10)
        await post(hub, token, payload({"api": "api:1", "db": "db:1"}))
        unchanged = await containers_of(hub, agent_id)
        # Not rewritten, but seen again.
        assert unchanged["api"]["lastSeenAt"] > first_seen
        assert unchanged["api"]["firstSeenAt"] == first_seen
        assert unchanged["api"]["image"] == "api:1"

        clock.advance(10)
        changed_body = payload({"api": "api:2", "db": "db:1"}, healthy=False, checked_at="2026-04-15T12:01:00Z")
        await post(hub, token, changed_body)
        changed = await containers_of(hub, agent_id)
        assert changed["api"]["image"] == "api:2"
        assert changed["api"]["imageId"] == "sha256:api:2"
        checks = await checks_of(hub, agent_id)
        assert checks["api"]["success"] is False
        assert checks["api"]["statusCode"] == 503

        clock.advance(10)
        await post(hub, token, payload({"api": "api:2"}))
        assert set(await containers_of(hub, agent_id)) == {"api"}


async def test_changes_made_through_another_hub_are_not_hidden(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as one, start_hub(clock=clock) as other:
        agent = await create_agent(one)
        await settled(one)
        token, agent_id = agent["token"], agent["id"]
        await post(one, token, payload({"api": "api:1"}))

        clock.advance(10)
        await post(other, token, payload({"api": "api:2", "db": "db:1"}, rx_mb=25))

        clock.advance(10)
        # The first hub last wrote exactly this: it must still write it all again.
        await post(one, token, payload({"api": "api:1"}, rx_mb=30))
        assert {name: c["image"] for name, c in (await containers_of(one, agent_id)).items()} == {"api": "api:1"}
        current = (await one.admin.get(f"/api/v1/agents/{agent_id}/metrics/current")).json()
        by_name = {c["name"]: c for c in current["containers"]}
        # The latest values of "db" (stored through the other hub) are kept, and the rate of
        # "api" is computed from the counter the other hub stored.
        assert set(by_name) == {"api", "db"}
        assert by_name["api"]["networkRxBytesPerSec"] == 5 * 1024 * 1024 / 10


async def test_an_agent_deleted_and_created_again_gets_everything_written(hub: RunningHub) -> None:
    body = payload({"api": "api:1", "db": "db:1"})
    agent = await create_agent(hub, "web-1")
    await post(hub, agent["token"], body)
    await post(hub, agent["token"], copy.deepcopy(body))
    assert (await hub.admin.delete(f"/api/v1/agents/{agent['id']}")).status_code == 204

    again = await create_agent(hub, "web-1")
    await post(hub, again["token"], copy.deepcopy(body))
    containers = await containers_of(hub, again["id"])
    assert {name: c["image"] for name, c in containers.items()} == {"api": "api:1", "db": "db:1"}
    assert set(await checks_of(hub, again["id"])) == {"api", "db"}
    current = (await hub.admin.get(f"/api/v1/agents/{again['id']}/metrics/current")).json()
    assert {c["name"] for c in current["containers"]} == {"api", "db"}
    assert await containers_of(hub, agent["id"]) == {}
