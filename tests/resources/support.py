"""Pushing samples through the native ingest route and reading what came of them."""

from __future__ import annotations

import json
from typing import Any

from tests.agents.support import bearer, create_agent
from tests.support.events import settled
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events import Event
from watchkeep.core.events.log import events_after

PUSH_SECONDS = 15


def container(cid: str, name: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "image": "nginx:1.27",
        "imageId": "sha256:1",
        "state": "running",
        "status": "Up",
        "created": 1,
        "labels": {},
    }


def stats(name: str, cpu: float, memory_mb: float, limit_mb: float = 1000) -> dict[str, Any]:
    return {"containerName": name, "cpuPercent": cpu, "memoryUsedMb": memory_mb, "memoryLimitMb": limit_mb}


async def push(
    hub: RunningHub,
    agent: dict[str, Any],
    clock: FrozenClock,
    services: list[dict[str, Any]] | None = None,
    containers: list[dict[str, Any]] | None = None,
    **host: Any,
) -> None:
    """One payload, PUSH_SECONDS after the last one."""
    clock.advance(PUSH_SECONDS)
    payload: dict[str, Any] = {"timestamp": rfc3339(clock.now_ms()), **host}
    if services is not None:
        payload["services"] = services
    if containers is not None:
        payload["containers"] = containers
    response = await hub.client().post(
        "/api/metrics/ingest",
        content=json.dumps(payload).encode(),
        headers={**bearer(agent["token"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def agent_with_container(hub: RunningHub, clock: FrozenClock, name: str = "web-1") -> tuple[dict[str, Any], str]:
    """An agent reporting one container, `api`; the agent and the container's id."""
    agent = await create_agent(hub, name)
    await push(hub, agent, clock, containers=[container("a1", "api")], services=[stats("api", 1, 100)])
    items = (await hub.admin.get("/api/v1/containers")).json()["items"]
    return agent, next(item["id"] for item in items if item["name"] == "api")


async def logged(hub: RunningHub, *types: str) -> list[Event]:
    async with hub.hub.store.read() as conn:
        found, _ = await events_after(conn, 0, 10_000)
    return [event for event in found if event.type in types]


async def resource_alerts(hub: RunningHub) -> list[dict[str, Any]]:
    """The alerts of resource thresholds, once the alerts consumer has read the whole log."""
    await settled(hub)
    items: list[dict[str, Any]] = (await hub.admin.get("/api/v1/alerts", params={"limit": 100})).json()["items"]
    return [item for item in items if item["source"] == "resource"]
