"""POST /agent/report (agent-report.txt)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agents.support import REPORT_EXAMPLE, create_agent, table_snapshot, with_value, without
from tests.support.hub import RunningHub
from watchkeep.agents.ingest.report import size_bytes
from watchkeep.protocol.ingest import PayloadError

REQUIRED = [
    "agent_key",
    "cpu_usage",
    "cpu_iowait",
    "memory_usage",
    "memory_total_mb",
    "swap_usage",
    "disk_usage",
    "disk_usage[0].mount",
    "disk_usage[0].usage",
    "disk_usage[0].size",
    "disk_usage[0].used",
    "disk_usage[0].avail",
    "network_rx_bytes",
    "network_tx_bytes",
    "load_1m",
    "load_5m",
    "load_15m",
    "os",
    "hostname",
    "kernel",
]

INVALID = [
    ("cpu_usage", 101),
    ("cpu_usage", -0.5),
    ("cpu_usage", "23.5"),
    ("memory_usage", 100.1),
    ("memory_total_mb", 8192.5),
    ("network_rx_bytes", -1),
    ("load_1m", -1),
    ("disk_usage", "/"),
    ("disk_usage[0].usage", 120),
    ("disk_usage[0].size", "lots"),
    ("disk_usage[0].used", "12X"),
    ("hostname", 5),
]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_the_spec_example_is_stored_and_read_back(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    response = await hub.client().post("/agent/report", json={**REPORT_EXAMPLE, "agent_key": agent["agentKey"]})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}

    stored = (await hub.admin.get(f"/api/v1/agents/{agent['id']}")).json()
    assert stored["hostname"] == "web-server-1"
    assert stored["os"] == "Ubuntu 24.04 LTS"
    assert stored["kernel"] == "6.5.0-44-generic"
    assert stored["status"] == "online"
    host = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/current")).json()["host"]
    assert host["cpuPercent"] == 23.5
    assert host["cpuIowaitPercent"] == 1.2
    assert host["memoryPercent"] == 67.4
    assert host["memoryTotalMb"] == 8192
    assert host["memoryUsedMb"] == pytest.approx(8192 * 0.674)
    assert host["swapPercent"] == 5.0
    assert (host["load1"], host["load5"], host["load15"]) == (0.5, 0.3, 0.2)
    assert host["disks"] == [
        {"mount": "/", "usedGb": 22.0, "totalGb": 50.0, "percent": 45, "device": None, "fstype": None}
    ]
    assert host["diskUsedGb"] == 22.0
    assert host["diskTotalGb"] == 50.0


@pytest.mark.parametrize("path", REQUIRED)
async def test_a_missing_field_is_422_naming_it(hub: RunningHub, path: str) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    body = without({**REPORT_EXAMPLE, "agent_key": agent["agentKey"]}, path)
    response = await hub.client().post("/agent/report", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["field"] == path
    assert await table_snapshot(hub) == before


@pytest.mark.parametrize(("path", "value"), INVALID)
async def test_an_invalid_field_is_422_naming_it(hub: RunningHub, path: str, value: Any) -> None:
    agent = await create_agent(hub)
    before = await table_snapshot(hub)
    body = with_value({**REPORT_EXAMPLE, "agent_key": agent["agentKey"]}, path, value)
    response = await hub.client().post("/agent/report", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == path
    assert await table_snapshot(hub) == before


async def test_nan_is_422_naming_the_field(hub: RunningHub) -> None:
    agent = await create_agent(hub)
    body = f'{{"agent_key": "{agent["agentKey"]}", "cpu_usage": NaN}}'
    response = await hub.client().post("/agent/report", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["field"] == "cpu_usage"


async def test_a_malformed_key_is_422_and_an_unknown_key_is_404(hub: RunningHub) -> None:
    client = hub.client()
    malformed = await client.post("/agent/report", json=REPORT_EXAMPLE)
    assert malformed.status_code == 422
    assert malformed.json()["field"] == "agent_key"
    unknown = await client.post("/agent/report", json={**REPORT_EXAMPLE, "agent_key": "wkak_" + "x" * 43})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"


async def test_network_counters_become_rates(start_hub: Any, clock: Any) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub)
        client = hub.client()
        body = {**REPORT_EXAMPLE, "agent_key": agent["agentKey"]}
        assert (await client.post("/agent/report", json=body)).status_code == 200
        clock.advance(30)
        later = {**body, "network_rx_bytes": body["network_rx_bytes"] + 3000, "network_tx_bytes": 0}
        assert (await client.post("/agent/report", json=later)).status_code == 200
        host = (await hub.admin.get(f"/api/v1/agents/{agent['id']}/metrics/current")).json()["host"]
        assert host["networkRxBytesPerSec"] == 100
        assert host["networkTxBytesPerSec"] is None  # the counter went back: no rate


@pytest.mark.parametrize(
    ("text", "expected"),
    [("50G", 50 * 1024**3), ("512M", 512 * 1024**2), ("1.5T", int(1.5 * 1024**4)), ("100", 100), ("4KiB", 4096)],
)
def test_human_sizes_become_bytes(text: str, expected: int) -> None:
    assert size_bytes(text, "size") == expected


def test_a_size_without_a_number_is_refused() -> None:
    with pytest.raises(PayloadError) as caught:
        size_bytes("G", "disk_usage[0].size")
    assert caught.value.field == "disk_usage[0].size"
