"""POST /api/metrics/ingest and GET /api/agent/config (agent-metrics-ingest.txt)."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.agents.support import (
    NATIVE_EXAMPLE,
    bearer,
    create_agent,
    example,
    recorded_events,
    table_snapshot,
    with_value,
    without,
)
from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock
from watchkeep.core.events import ResourceSnapshot

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]

REQUIRED = [
    "services[0].containerName",
    "serviceHealthChecks[0].containerName",
    "serviceHealthChecks[0].healthCheckUrl",
    "serviceHealthChecks[0].success",
    "tcpCheckResults[0].containerName",
    "tcpCheckResults[0].host",
    "tcpCheckResults[0].port",
    "tcpCheckResults[0].success",
    "tcpCheckResults[0].durationMs",
    "certCheckResults[0].containerName",
    "certCheckResults[0].host",
    "certCheckResults[0].port",
    "certCheckResults[0].success",
    "certCheckResults[0].durationMs",
    "containers[0].id",
    "containers[0].name",
    "containers[0].image",
    "containers[0].imageId",
    "containers[0].state",
    "containers[0].status",
    "containers[0].created",
    "containers[0].ports[0].privatePort",
    "containers[0].ports[0].type",
    "containers[0].mounts[0].source",
    "containers[0].mounts[0].destination",
    "containers[0].mounts[0].mode",
    "containers[0].mounts[0].type",
    "topProcesses.byCpu",
    "topProcesses.byMemory",
    "topProcesses.stats",
    "topProcesses.byCpu[0].pid",
    "topProcesses.byCpu[0].name",
    "topProcesses.byCpu[0].state",
    "topProcesses.byCpu[0].cpuPercent",
    "topProcesses.byCpu[0].memoryMb",
    "topProcesses.byCpu[0].threads",
    "topProcesses.byMemory[0].pid",
    "topProcesses.stats.total",
    "topProcesses.stats.running",
    "topProcesses.stats.sleeping",
    "topProcesses.stats.stopped",
    "topProcesses.stats.zombie",
]

INVALID = [
    ("cpuPercent", "high"),
    ("cpuPercent", -1),
    ("cpuPercent", 101),
    ("memoryUsedMb", -5),
    ("memoryUsedMb", 1e300),
    ("serverHealthy", "yes"),
    ("services[0].cpuPercent", True),
    ("services[0].memoryLimitMb", -1),
    ("serviceHealthChecks[0].checkedAt", "yesterday"),
    ("serviceHealthChecks[0].checkedAt", "2026-02-30T12:00:00Z"),
    ("serviceHealthChecks[0].statusCode", 1000),
    ("tcpCheckResults[0].port", 70000),
    ("containers[0].labels", {"a": 1}),
    ("containers[0].created", "yesterday"),
    ("topProcesses.stats.total", -3),
    ("services", {"containerName": "x"}),
]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def _post(hub: RunningHub, token: str, payload: Any, **headers: str) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await hub.client().post(
        "/api/metrics/ingest",
        content=body,
        headers={**bearer(token), "Content-Type": "application/json", **headers},
    )


async def test_the_spec_example_is_stored_and_read_back(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    response = await _post(hub, agent["token"], NATIVE_EXAMPLE)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["stored"] > 0

    current = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/current")).json()
    host = current["host"]
    assert host["cpuPercent"] == 1
    assert host["memoryPercent"] == 100
    assert host["load15"] == 1
    assert host["tcpTotal"] == 1
    assert host["processesZombie"] == 1
    assert current["containers"][0]["name"] == "example"
    assert current["containers"][0]["memoryLimitMb"] == 1

    containers = (await hub.admin.get("/api/v1/containers", params={"agentId": agent["id"]})).json()["items"]
    assert len(containers) == 1
    container = containers[0]
    assert container["containerId"] == "example"
    assert container["id"].startswith("ctr_")
    assert container["image"] == "example"
    assert container["health"] == "example"
    assert container["restartCount"] == 1
    assert container["labels"] == {"additionalProperty": "example"}
    assert container["ports"] == [{"privatePort": 1, "publicPort": 1, "type": "example", "ip": "example"}]
    assert container["mounts"][0]["destination"] == "example"

    checks = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/checks")).json()["items"]
    by_kind = {check["kind"]: check for check in checks}
    assert set(by_kind) == {"http", "tcp", "cert"}
    assert by_kind["http"]["checkedAt"] == "2026-04-15T12:00:00.000Z"
    assert by_kind["http"]["statusCode"] == 1
    assert by_kind["tcp"]["target"] == "example:1"
    assert by_kind["cert"]["issuer"] == "example"
    assert by_kind["cert"]["daysUntilExpiry"] == 1

    processes = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/processes")).json()
    assert processes["byCpu"][0]["name"] == "example"
    assert processes["stats"]["zombie"] == 1

    stored = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()
    assert stored["version"] == "example"
    assert stored["status"] == "online"
    assert stored["containerCount"] == 1
    assert stored["serverHealthy"] is True
    assert stored["droppedPayloads"] == 0
    assert stored["collectorErrors"] == {}


async def test_dropped_payloads_and_collector_errors_are_kept_per_agent(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    payload = {"cpuPercent": 3, "droppedPayloads": 7, "collectorErrors": {"disk": "permission denied on /mnt"}}
    assert (await _post(hub, agent["token"], payload)).status_code == 200
    stored = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()
    assert stored["droppedPayloads"] == 7
    assert stored["collectorErrors"] == {"disk": "permission denied on /mnt"}

    assert (await _post(hub, agent["token"], {"cpuPercent": 4, "droppedPayloads": 9})).status_code == 200
    stored = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()
    assert stored["droppedPayloads"] == 9
    assert stored["collectorErrors"] == {}


async def test_a_missing_required_field_is_named_and_nothing_is_written(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    for path in REQUIRED:
        response = await _post(hub, agent["token"], without(NATIVE_EXAMPLE, path))
        assert response.status_code == 400, path
        body = response.json()
        assert body["code"] == "VALIDATION_ERROR", path
        assert body["field"] == path
        assert body["requestId"]
    assert await table_snapshot(hub) == before


async def test_a_wrong_value_is_named_and_nothing_is_written(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    for path, value in INVALID:
        response = await _post(hub, agent["token"], with_value(NATIVE_EXAMPLE, path, value))
        assert response.status_code == 400, (path, value, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert response.json()["field"].startswith(path), (path, value)
    assert await table_snapshot(hub) == before


async def test_nan_and_infinities_are_named(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    for literal in ("NaN", "Infinity", "-Infinity"):
        body = json.dumps(NATIVE_EXAMPLE).replace('"memoryLimitMb": 1', f'"memoryLimitMb": {literal}').encode()
        response = await _post(hub, agent["token"], body)
        assert response.status_code == 400, literal
        assert response.json()["field"] == "services[0].memoryLimitMb"
    assert await table_snapshot(hub) == before


async def test_malformed_json_is_a_validation_error(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    response = await _post(hub, agent["token"], b'{"cpuPercent": ')
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


async def test_unknown_fields_are_ignored(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    payload = with_value(NATIVE_EXAMPLE, "services[0].gpuPercent", 12)
    payload["somethingNew"] = {"nested": [1, 2]}
    assert (await _post(hub, agent["token"], payload)).status_code == 200


async def test_labels_are_a_free_string_map(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    labels = {"com.docker.compose.project": "shop", "watchkeep.check.url": "http://x/health", "": "empty key"}
    payload = with_value(NATIVE_EXAMPLE, "containers[0].labels", labels)
    assert (await _post(hub, agent["token"], payload)).status_code == 200
    items = (await hub.admin.get("/api/v1/containers")).json()["items"]
    assert items[0]["labels"] == labels


async def test_a_missing_or_wrong_token_is_unauthorized_in_the_flat_body(hub: RunningHub) -> None:
    client = hub.client()
    missing = await client.post("/api/metrics/ingest", json=NATIVE_EXAMPLE)
    assert missing.status_code == 401
    assert missing.json()["code"] == "UNAUTHORIZED"
    wrong = await client.post("/api/metrics/ingest", json=NATIVE_EXAMPLE, headers=bearer("wkat_nope"))
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "UNAUTHORIZED"


async def test_a_body_over_the_limit_is_413(start_hub: StartHub) -> None:
    async with start_hub(max_body_bytes=4096) as hub:
        agent = await create_agent(hub)
        payload = example(NATIVE_EXAMPLE)
        payload["services"] = payload["services"] * 40
        response = await _post(hub, agent["token"], payload)
        assert response.status_code == 413
        assert response.json()["code"] == "VALIDATION_ERROR"


async def test_a_timestamp_far_in_the_future_is_clamped_and_flagged(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        future = (clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = await _post(hub, agent["token"], {"cpuPercent": 5, "timestamp": future})
        assert response.status_code == 200
        assert response.json()["clamped"] is True
        assert response.json()["timestamp"] == clock.now_ms()


async def test_an_older_payload_is_stored_in_its_place_in_time(start_hub: StartHub, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        token = agent["token"]
        assert (await _post(hub, token, {"cpuPercent": 50, "timestamp": "2026-05-01T12:00:00Z"})).status_code == 200
        replay = await _post(hub, token, {"cpuPercent": 10, "timestamp": "2026-05-01T11:59:00Z"})
        assert replay.status_code == 200
        assert replay.json()["replay"] is True
        current = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/current")).json()
        assert current["host"]["cpuPercent"] == 50
        history = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/history", params={"range": "1h"})).json()
        assert [(p["t"], p["v"]) for p in history["points"]] == [
            ("2026-05-01T11:59:00.000Z", 10),
            ("2026-05-01T12:00:00.000Z", 50),
        ]


async def test_network_counters_become_rates(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        service = {"containerName": "api", "networkRxMb": 10, "networkTxMb": 1}
        assert (await _post(hub, agent["token"], {"services": [service]})).status_code == 200
        clock.advance(10)
        service = {"containerName": "api", "networkRxMb": 20, "networkTxMb": 1}
        assert (await _post(hub, agent["token"], {"services": [service]})).status_code == 200
        current = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/current")).json()
        api = current["containers"][0]
        assert api["networkRxBytesPerSec"] == 10 * 1024 * 1024 / 10
        assert api["networkTxBytesPerSec"] == 0


async def test_an_idempotency_key_makes_a_retried_push_a_no_op(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    key = {"Idempotency-Key": "payload-0001"}
    first = await _post(hub, agent["token"], {"cpuPercent": 1}, **key)
    before = await table_snapshot(hub)
    again = await _post(hub, agent["token"], {"cpuPercent": 1}, **key)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await table_snapshot(hub) == before


async def test_an_agent_over_its_rate_limit_gets_rate_limited(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock, agent_rate_limit_per_minute=2) as hub:
        first, second = await create_agent(hub, "a"), await create_agent(hub, "b")
        for _ in range(2):
            assert (await _post(hub, first["token"], {"cpuPercent": 1})).status_code == 200
        limited = await _post(hub, first["token"], {"cpuPercent": 1})
        assert limited.status_code == 429
        assert limited.json()["code"] == "RATE_LIMITED"
        assert int(limited.headers["retry-after"]) >= 1
        assert (await _post(hub, second["token"], {"cpuPercent": 1})).status_code == 200


async def test_history_rejects_an_unknown_range_or_metric(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    url = f"/api/v1/agents/{agent['id']}/metrics/history"
    bad_range = await hub.admin.get(url, params={"range": "2h"})
    assert bad_range.status_code == 400
    assert bad_range.json()["error"]["field"] == "range"
    bad_metric = await hub.admin.get(url, params={"metric": "nonsense"})
    assert bad_metric.status_code == 400
    assert bad_metric.json()["error"]["field"] == "metric"


async def test_the_agent_config_defaults_to_collecting_everything(hub: RunningHub) -> None:
    agent = await create_agent(hub, "db-1")
    response = await hub.client().get("/api/agent/config", headers=bearer(agent["token"]))
    assert response.status_code == 200
    config = response.json()
    assert config["serverId"] == agent["id"]
    assert config["serverName"] == "db-1"
    assert config["pushIntervalSeconds"] == 15
    assert config["services"] == []
    assert set(config["metricsConfig"].values()) == {True}
    assert len(config["metricsConfig"]) == 10


async def test_the_agent_config_is_set_per_agent(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    wanted = {
        "pushIntervalSeconds": 30,
        "services": [
            {
                "containerName": "shop",
                "healthCheckUrl": "http://shop:8080/health",
                "tcpChecks": [{"host": "db", "port": 5432, "name": "postgres"}],
                "certChecks": [{"host": "shop.example.org", "port": 443}],
            }
        ],
        "metricsConfig": {"collectProcesses": False},
    }
    put = await hub.admin.put(f"/api/v1/agents/{agent['id']}/config", json=wanted)
    assert put.status_code == 200, put.text
    config = (await hub.client().get("/api/agent/config", headers=bearer(agent["token"]))).json()
    assert config["pushIntervalSeconds"] == 30
    assert config["services"][0]["tcpChecks"] == [{"host": "db", "port": 5432, "name": "postgres"}]
    assert config["services"][0]["certChecks"] == [{"host": "shop.example.org", "port": 443, "name": None}]
    assert config["metricsConfig"]["collectProcesses"] is False
    assert config["metricsConfig"]["collectCpu"] is True


async def test_the_agent_config_needs_the_agent_token(hub: RunningHub) -> None:
    response = await hub.client().get("/api/agent/config", headers=bearer("wkat_unknown"))
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_a_bad_config_names_the_field(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    body = {"services": [{"containerName": "shop", "tcpChecks": [{"host": "db", "port": 70000}]}]}
    response = await hub.admin.put(f"/api/v1/agents/{agent['id']}/config", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "services[0].tcpChecks[0].port"


async def test_each_stored_host_sample_publishes_one_snapshot(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    events = recorded_events(hub)
    assert (await _post(hub, agent["token"], NATIVE_EXAMPLE)).status_code == 200
    assert (await _post(hub, agent["token"], {"services": NATIVE_EXAMPLE["services"]})).status_code == 200
    snapshots = [e for e in events if isinstance(e, ResourceSnapshot)]
    assert [(s.agent_id, s.cpu_percent, s.memory_total_mb) for s in snapshots] == [(agent["id"], 1, 1)]
    assert [e.type for e in events if e.type.startswith("agent.")] == ["agent.online"]
