"""Containers as the agents report them: an id unique across hosts, groups, transitions of
state and health with their events, time-weighted uptime, archiving and deletion, and the
ignore label."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from tests.agents.support import bearer, create_agent
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events.log import events_after

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]
HOUR_MS = 3_600_000


def _container(cid: str, name: str, state: str, **labels: str) -> dict[str, Any]:
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


async def _report(
    hub: RunningHub, agent: dict[str, Any], clock: FrozenClock, containers: list[dict[str, Any]], **extra: Any
) -> None:
    payload = {"timestamp": rfc3339(clock.now_ms()), "containers": containers, **extra}
    response = await hub.client().post(
        "/api/metrics/ingest",
        content=json.dumps(payload).encode(),
        headers={**bearer(agent["token"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def _events(hub: RunningHub, kind: str) -> list[Any]:
    """The logged events of a type, oldest first."""
    async with hub.hub.store.read() as conn:
        found, _ = await events_after(conn, 0, 1000)
    return [event for event in found if event.type == kind]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_ids_groups_transitions_archive_and_delete(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        web, db = await create_agent(hub, "web-1"), await create_agent(hub, "db-1")
        shop = {"com.docker.compose.project": "shop"}
        await _report(hub, web, clock, [_container("aaa111", "shop-web", "running", **shop)])
        await _report(
            hub,
            db,
            clock,
            [
                _container("aaa111", "postgres", "running", **{"watchkeep.group": "databases"}),
                _container("bbb222", "scratch", "running", **{"watchkeep.ignore": "true"}),
            ],
        )
        listed = (await hub.admin.get("/api/v1/containers")).json()
        by_name = {item["name"]: item for item in listed["items"]}
        # The same runtime id on two hosts: two containers; the ignored one is not there
        assert set(by_name) == {"shop-web", "postgres"}
        assert by_name["shop-web"]["id"] != by_name["postgres"]["id"]
        assert {by_name["shop-web"]["containerId"], by_name["postgres"]["containerId"]} == {"aaa111"}
        assert [(g["kind"], g["name"], g["counts"]) for g in listed["groups"]] == [
            ("group", "databases", {"running": 1}),
            ("project", "shop", {"running": 1}),
        ]
        by_host = (await hub.admin.get("/api/v1/containers", params={"groupBy": "host"})).json()
        assert sorted(g["name"] for g in by_host["groups"]) == ["db-1", "web-1"]

        web_id = by_name["shop-web"]["id"]
        clock.advance(60)
        await _report(hub, web, clock, [_container("aaa111", "shop-web", "exited", **shop)])
        clock.advance(60)
        # A full inventory without it archives it, with its history
        await _report(hub, web, clock, [_container("ccc333", "shop-cache", "running", **shop)])
        current = (await hub.admin.get("/api/v1/containers")).json()["items"]
        assert sorted(i["name"] for i in current) == ["postgres", "shop-cache"]
        archived = (await hub.admin.get("/api/v1/containers", params={"archived": "true"})).json()["items"]
        assert [(i["id"], i["archived"]) for i in archived] == [(web_id, True)]
        transitions = (await hub.admin.get(f"/api/v1/containers/{web_id}/transitions")).json()["items"]
        assert [(t["previousState"], t["state"]) for t in transitions] == [
            ("exited", "removed"),
            ("running", "exited"),
            (None, "running"),
        ]
        changed = await _events(hub, "container.state_changed")
        assert [(e.name, e.previous, e.state) for e in changed if e.container_id == web_id] == [
            ("shop-web", None, "running"),
            ("shop-web", "running", "exited"),
            ("shop-web", "exited", "removed"),
        ]

        # Only an archived container may be deleted
        postgres_id = by_name["postgres"]["id"]
        refused = await hub.admin.delete(f"/api/v1/containers/{postgres_id}")
        assert refused.status_code == 409
        assert (await hub.admin.delete(f"/api/v1/containers/{web_id}")).status_code == 204
        assert (await hub.admin.get(f"/api/v1/containers/{web_id}")).status_code == 404
        assert (await hub.admin.get(f"/api/v1/containers/{web_id}/transitions")).status_code == 404


async def test_health_flips_are_transitions_with_their_event(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        await _report(hub, agent, clock, [_container("c1", "api", "running")])
        for health in ("healthy", "unhealthy", "healthy"):
            clock.advance(30)
            stats = [{"containerName": "api", "state": "running", "health": health}]
            await _report(hub, agent, clock, [_container("c1", "api", "running")], services=stats)
        item = (await hub.admin.get("/api/v1/containers")).json()["items"][0]
        transitions = (await hub.admin.get(f"/api/v1/containers/{item['id']}/transitions")).json()["items"]
        assert [(t["previousHealth"], t["health"]) for t in transitions][:3] == [
            ("unhealthy", "healthy"),
            ("healthy", "unhealthy"),
            (None, "healthy"),
        ]
        flips = await _events(hub, "container.health_changed")
        assert [(e.previous, e.health) for e in flips] == [
            (None, "healthy"),
            ("healthy", "unhealthy"),
            ("unhealthy", "healthy"),
        ]


async def test_uptime_is_time_weighted_over_each_window(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        await _report(hub, agent, clock, [_container("c1", "worker", "running")])
        clock.advance(18 * 3600)  # 18 h up
        await _report(hub, agent, clock, [_container("c1", "worker", "exited")])
        clock.advance(6 * 3600)  # 6 h down
        item = (await hub.admin.get("/api/v1/containers")).json()["items"][0]
        details = (await hub.admin.get(f"/api/v1/containers/{item['id']}")).json()
        # Seen for exactly 24 h: 18 up of 24 in every window (time before it was seen counts neither way)
        assert details["uptime"] == {"24h": 75.0, "7d": 75.0, "30d": 75.0}
        clock.advance(24 * 3600)  # a day later, still exited
        details = (await hub.admin.get(f"/api/v1/containers/{item['id']}")).json()
        assert details["uptime"]["24h"] == 0.0
        assert details["uptime"]["7d"] == 37.5


async def test_an_unknown_container_is_not_found_in_the_envelope(hub: RunningHub) -> None:
    response = await hub.admin.get("/api/v1/containers/ctr_nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
