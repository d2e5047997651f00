"""A threshold's count lives in the database: a hub started again on the same data goes on
counting where the one before stopped."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx2

from tests.agents.support import bearer
from tests.resources.support import container, stats
from tests.support.process import ServeProcess, admin_session, start_serve


async def _push(client: httpx2.AsyncClient, token: str, cpu: float) -> None:
    payload = {"containers": [container("a1", "api")], "services": [stats("api", cpu, 100)]}
    response = await client.post(
        "/api/metrics/ingest",
        content=json.dumps(payload).encode(),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def _resource_alerts(client: httpx2.AsyncClient, wanted: int) -> list[dict[str, Any]]:
    """The resource alerts once there are `wanted` of them (the alerts consumer runs on its own)."""
    for _ in range(600):
        items = (await client.get("/api/v1/alerts")).json()["items"]
        found = [item for item in items if item["source"] == "resource"]
        if len(found) >= wanted:
            return found
        await asyncio.sleep(0.05)
    return found


def _serve(tmp_path: Path, database_url: str, name: str) -> ServeProcess:
    serve = start_serve(tmp_path, database_url, name=name)
    serve.wait_healthy()
    return serve


async def test_the_count_goes_on_after_a_restart(tmp_path: Path, database_url: str) -> None:
    first = _serve(tmp_path, database_url, "first")
    try:
        async with admin_session(first) as client:
            agent = (await client.post("/api/v1/agents", json={"name": "web-1"})).json()
            await _push(client, agent["token"], 1)
            [item] = (await client.get("/api/v1/containers")).json()["items"]
            rule = {"cpuPercent": {"threshold": 50, "breachSamples": 3, "recoverSamples": 1}}
            put = await client.put(f"/api/v1/containers/{item['id']}/resources/alerts", json=rule)
            assert put.status_code == 200, put.text
            await _push(client, agent["token"], 90)
            await _push(client, agent["token"], 91)
            status = (await client.get(f"/api/v1/containers/{item['id']}/resources/alerts")).json()["status"]
            assert status["cpuPercent"]["streak"] == 2
    finally:
        first.terminate()
    second = _serve(tmp_path, database_url, "second")
    try:
        async with admin_session(second) as client:
            assert await _resource_alerts(client, 0) == []
            await _push(client, agent["token"], 92)
            [alert] = await _resource_alerts(client, 1)
            assert (alert["status"], alert["entityId"], alert["type"]) == ("active", item["id"], "cpuPercent_high")
    finally:
        second.terminate()
