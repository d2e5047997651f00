"""Agents in tests: the example payloads of the specs, creating agents, and counting rows."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select

from tests.support.events import settled
from tests.support.hub import RunningHub
from watchkeep.core.db import metadata
from watchkeep.core.events import Event

# agent-metrics-ingest.txt, "Example", verbatim.
NATIVE_EXAMPLE: dict[str, Any] = {
    "cpuPercent": 1,
    "memoryUsedMb": 1,
    "memoryTotalMb": 1,
    "swapUsedMb": 1,
    "swapTotalMb": 1,
    "diskUsedGb": 1,
    "diskTotalGb": 1,
    "loadAvg1": 1,
    "loadAvg5": 1,
    "loadAvg15": 1,
    "uptime": 1,
    "openFds": 1,
    "maxFds": 1,
    "tcpEstablished": 1,
    "tcpListen": 1,
    "tcpTimeWait": 1,
    "tcpCloseWait": 1,
    "tcpTotal": 1,
    "serverHealthy": True,
    "agentVersion": "example",
    "services": [
        {
            "containerName": "example",
            "cpuPercent": 1,
            "memoryUsedMb": 1,
            "memoryLimitMb": 1,
            "networkRxMb": 1,
            "networkTxMb": 1,
            "blockReadMb": 1,
            "blockWriteMb": 1,
            "restartCount": 1,
            "state": "example",
            "health": "example",
        }
    ],
    "serviceHealthChecks": [
        {
            "containerName": "example",
            "healthCheckUrl": "example",
            "success": True,
            "statusCode": 1,
            "durationMs": 1,
            "checkedAt": "2026-04-15T12:00:00Z",
            "error": "example",
        }
    ],
    "tcpCheckResults": [
        {
            "containerName": "example",
            "host": "example",
            "port": 1,
            "name": "example",
            "success": True,
            "durationMs": 1,
            "error": "example",
        }
    ],
    "certCheckResults": [
        {
            "containerName": "example",
            "host": "example",
            "port": 1,
            "name": "example",
            "success": True,
            "durationMs": 1,
            "expiresAt": "example",
            "daysUntilExpiry": 1,
            "issuer": "example",
            "subject": "example",
            "error": "example",
        }
    ],
    "containers": [
        {
            "id": "example",
            "name": "example",
            "image": "example",
            "imageId": "example",
            "state": "example",
            "status": "example",
            "created": 1,
            "ports": [{"privatePort": 1, "publicPort": 1, "type": "example", "ip": "example"}],
            "labels": {"additionalProperty": "example"},
            "mounts": [{"source": "example", "destination": "example", "mode": "example", "type": "example"}],
            "networkMode": "example",
        }
    ],
    "topProcesses": {
        "byCpu": [{"pid": 1, "name": "example", "state": "example", "cpuPercent": 1, "memoryMb": 1, "threads": 1}],
        "byMemory": [{"pid": 1, "name": "example", "state": "example", "cpuPercent": 1, "memoryMb": 1, "threads": 1}],
        "stats": {"total": 1, "running": 1, "sleeping": 1, "stopped": 1, "zombie": 1},
    },
}

# agent-report.txt, "Request Body"; `agent_key` is replaced by a real key.
REPORT_EXAMPLE: dict[str, Any] = {
    "agent_key": "your-agent-key-here",
    "cpu_usage": 23.5,
    "cpu_iowait": 1.2,
    "memory_usage": 67.4,
    "memory_total_mb": 8192,
    "swap_usage": 5.0,
    "disk_usage": [{"mount": "/", "usage": 45, "size": "50G", "used": "22G", "avail": "28G"}],
    "network_rx_bytes": 1234567890,
    "network_tx_bytes": 987654321,
    "load_1m": 0.5,
    "load_5m": 0.3,
    "load_15m": 0.2,
    "os": "Ubuntu 24.04 LTS",
    "hostname": "web-server-1",
    "kernel": "6.5.0-44-generic",
}

# agent-heartbeat.txt, "Request Example".
HEARTBEAT_EXAMPLE: dict[str, Any] = {"version": "1.2.3", "uptime": 86400, "cpuUsage": 12.5, "memUsage": 35.2}

# agents-register-push.txt, the register and push requests.
REGISTER_EXAMPLE: dict[str, Any] = {
    "name": "prod-web",
    "version": "1.4.2",
    "platform": "docker",
    "hostname": "prod-web-01",
}
PUSH_EXAMPLE: dict[str, Any] = {
    "timestamp": "2026-06-16T10:00:00Z",
    "containers": [
        {
            "id": "a1b2c3d4e5f6",
            "name": "nginx-prod",
            "image": "nginx:1.25",
            "status": "running",
            "cpuPercent": 12.4,
            "memoryMB": 48,
            "memoryLimitMB": 512,
            "networkRxBytes": 10240,
            "networkTxBytes": 8192,
            "restartCount": 0,
        }
    ],
    "nodes": [],
    "pods": [],
}


def example(source: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(source)


def _copy_at(payload: dict[str, Any], path: str) -> tuple[dict[str, Any], Any, str | int]:
    """A copy of `payload`, the container holding `path` (`services[0].containerName`) in
    it, and the last key of the path."""
    data = copy.deepcopy(payload)
    *parents, last = path.replace("]", "").replace("[", ".").split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return data, target, int(last) if last.isdigit() else last


def without(payload: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of `payload` lacking the field at `path`."""
    data, target, key = _copy_at(payload, path)
    del target[key]
    return data


def with_value(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data, target, key = _copy_at(payload, path)
    target[key] = value
    return data


def recorded_events(hub: RunningHub) -> list[Event]:
    """The events the hub publishes from now on."""
    events: list[Event] = []

    async def keep(event: Event) -> None:
        events.append(event)

    hub.hub.bus.subscribe(keep)
    return events


async def create_agent(hub: RunningHub, name: str = "web-1", **fields: Any) -> dict[str, Any]:
    response = await hub.admin.post("/api/v1/agents", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


_BOOKKEEPING = (
    "users",
    "api_keys",
    "sessions",
    "idempotency_keys",
    "event_consumers",
    "scheduled_jobs",
    "metric_rollup_marks",
)


async def table_snapshot(hub: RunningHub) -> dict[str, Any]:
    """Every row of every table an agent's data lives in, to prove a rejected request wrote nothing.
    Taken once the event consumers have reacted to everything before it; their cursors and the
    background jobs' due times and the metric rollups' watermarks are the hub's own
    bookkeeping, left out."""
    await settled(hub)
    snapshot: dict[str, Any] = {}
    async with hub.hub.store.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in _BOOKKEEPING:
                continue
            rows = (await conn.execute(select(table))).all()
            snapshot[table.name] = sorted(map(repr, rows))
    return snapshot


async def rows_mentioning(hub: RunningHub, needle: str) -> dict[str, int]:
    """Rows of every table in the database holding `needle` in any text column."""
    found: dict[str, int] = {}
    async with hub.hub.store.read() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            hits = sum(1 for row in rows if any(needle in str(value) for value in row))
            if hits:
                found[table.name] = hits
    return found


async def count(hub: RunningHub, table_name: str) -> int:
    table = metadata.tables[table_name]
    async with hub.hub.store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
