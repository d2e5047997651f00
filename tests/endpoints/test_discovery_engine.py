"""Label discovery against a real Docker engine: the hub's local runtime sees a labelled
container, its endpoints are created and checked by the hub itself, unknown while the
container is stopped, and inactive with their history once it is removed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.endpoints.conftest import QUIET
from tests.support.docker_engine import DockerEngine
from tests.support.hub import RunningHub
from tests.support.polling import eventually
from watchkeep.core.clock import FrozenClock
from watchkeep.endpoints.worker import EndpointScheduler

NAME = "discovery-shop"


@pytest.fixture
async def hub(
    start_hub: Any, clock: FrozenClock, docker_engine: DockerEngine, database_url: str
) -> AsyncIterator[RunningHub]:
    async with start_hub(clock=clock, docker_host=docker_engine.host, **QUIET) as running:
        yield running
    docker_engine.docker("rm", "-f", NAME, check=False)


async def _container(hub: RunningHub, archived: bool = False) -> dict[str, Any] | None:
    params = {"archived": "true"} if archived else {}
    items = (await hub.admin.get("/api/v1/containers", params=params)).json()["items"]
    return next((item for item in items if item["name"] == NAME), None)


async def _endpoints(hub: RunningHub, public_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await hub.admin.get(f"/api/v1/containers/{public_id}/endpoints")).json()["items"]
    return items


async def test_a_labelled_local_container_gets_endpoints_checked_by_the_hub(
    hub: RunningHub, docker_engine: DockerEngine, clock: FrozenClock
) -> None:
    labels = {
        "watchkeep.endpoint.http": "http://127.0.0.1:9/health",
        "watchkeep.endpoint.failure_threshold": "1",
        "watchkeep.endpoint.1.tcp": "127.0.0.1:9",
        "watchkeep.endpoint.1.interval": "60",
    }
    docker_engine.run(NAME, *[arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")])
    found = await eventually(lambda: _container(hub), "the container listed")
    public_id = found["id"]

    async def both() -> list[dict[str, Any]] | None:
        items = await _endpoints(hub, public_id)
        return items if len(items) == 2 else None

    items = {item["type"]: item for item in await eventually(both, "its two endpoints")}
    assert items["http"]["target"] == "http://127.0.0.1:9/health" and items["tcp"]["intervalSeconds"] == 60
    assert all(item["locations"] == ["hub"] and item["source"] == "discovered" for item in items.values())
    assert all(item["nextCheckAt"] is not None for item in items.values())

    # The hub checks them itself: nothing listens on port 9.
    scheduler: EndpointScheduler = hub.app.state.endpoint_scheduler
    clock.advance(120)
    await scheduler.step()
    await scheduler.drain()
    http_id = items["http"]["id"]
    checked = (await hub.admin.get(f"/api/v1/endpoints/{http_id}")).json()
    assert checked["status"] == "down" and checked["lastResult"] == "down"

    # Stopped: unknown and not checked.
    docker_engine.docker("stop", "-t", "1", NAME)

    async def suspended() -> bool:
        return all(item["status"] == "unknown" for item in await _endpoints(hub, public_id))

    await eventually(suspended, "its endpoints unknown")
    assert all(item["nextCheckAt"] is None for item in await _endpoints(hub, public_id))

    # Started again: checked again.
    docker_engine.docker("start", NAME)

    async def resumed() -> bool:
        return all(item["nextCheckAt"] is not None for item in await _endpoints(hub, public_id))

    await eventually(resumed, "its endpoints checked again")

    # Removed: inactive, the history kept. (A removal archives what was last seen before it:
    # the hub's frozen time moves on between the container's exit and its removal.)
    docker_engine.docker("stop", "-t", "1", NAME)
    await eventually(suspended, "its endpoints unknown again")
    clock.advance(1)
    docker_engine.docker("rm", NAME)

    async def inactive() -> bool:
        return all(item["status"] == "inactive" for item in await _endpoints(hub, public_id))

    await eventually(inactive, "its endpoints inactive")
    results = (await hub.admin.get(f"/api/v1/endpoints/{http_id}/checks")).json()
    assert [r["status"] for r in results] == ["down"]
