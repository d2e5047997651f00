"""Ingest throughput of one hub process: concurrent agents each posting the native
agent-metrics-ingest payload (20 services, 20 containers, their health checks and the top
processes) to `POST /api/metrics/ingest` as fast as answers come back, on SQLite and on
PostgreSQL, side by side.

    .venv/bin/python bench/ingest.py [--agents 32] [--seconds 20]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--thresholds] [--replicas 2]

With `--thresholds`, the same hub is measured again once every agent's host and containers
carry alert thresholds (CPU and memory of each container, CPU, memory and disk of the host,
none of them crossed: the cost of evaluating them, not of the alerts they would raise), side
by side with the run without.

With `--replicas N` (PostgreSQL), N hub processes share the database and the agents are
spread over them; the line compares that with one replica.

The client speaks HTTP/1.1 over keep-alive sockets itself, so that it costs the machine
less than the hub it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import psutil
from serve import ADMIN_PASSWORD, DEFAULT_POSTGRES, Serve, postgres_database, serving

# The agents post as fast as answers come back: far over any per-agent limit.
HUB_SETTINGS = {"log_level": "warning", "agent_rate_limit_per_minute": "0"}


def payload(seq: int, services: int = 20) -> bytes:
    names = [f"svc-{i:02d}" for i in range(services)]
    body: dict[str, Any] = {
        "cpuPercent": 12.5 + seq % 50,
        "memoryUsedMb": 3100.0,
        "memoryTotalMb": 7900.0,
        "swapUsedMb": 10.0,
        "swapTotalMb": 2048.0,
        "diskUsedGb": 51.2,
        "diskTotalGb": 200.0,
        "loadAvg1": 0.42,
        "loadAvg5": 0.38,
        "loadAvg15": 0.3,
        "uptime": 86400 + seq,
        "openFds": 2048,
        "maxFds": 65536,
        "tcpEstablished": 120,
        "tcpListen": 14,
        "tcpTimeWait": 33,
        "tcpCloseWait": 0,
        "tcpTotal": 167,
        "serverHealthy": True,
        "agentVersion": "1.0.0",
        "services": [
            {
                "containerName": name,
                "cpuPercent": 1.5,
                "memoryUsedMb": 120.0,
                "memoryLimitMb": 512.0,
                "networkRxMb": 10.0 + seq,
                "networkTxMb": 4.0 + seq,
                "blockReadMb": 1.0,
                "blockWriteMb": 2.0,
                "restartCount": 0,
                "state": "running",
                "health": "healthy",
            }
            for name in names
        ],
        "serviceHealthChecks": [
            {
                "containerName": name,
                "healthCheckUrl": f"http://{name}:8080/health",
                "success": True,
                "statusCode": 200,
                "durationMs": 3,
                "checkedAt": "2026-04-15T12:00:00Z",
            }
            for name in names
        ],
        "containers": [
            {
                "id": f"{i:012x}",
                "name": name,
                "image": f"registry.local/{name}:1.{i}",
                "imageId": f"sha256:{i:064x}",
                "state": "running",
                "status": "Up 3 hours",
                "created": 1760000000,
                "ports": [{"privatePort": 8080, "type": "tcp"}],
                "labels": {"com.docker.compose.project": "shop"},
                "mounts": [],
                "networkMode": "bridge",
            }
            for i, name in enumerate(names)
        ],
        "topProcesses": {
            "byCpu": [{"pid": 1, "name": "init", "state": "S", "cpuPercent": 0.1, "memoryMb": 8, "threads": 1}],
            "byMemory": [{"pid": 1, "name": "init", "state": "S", "cpuPercent": 0.1, "memoryMb": 8, "threads": 1}],
            "stats": {"total": 180, "running": 2, "sleeping": 178, "stopped": 0, "zombie": 0},
        },
    }
    return json.dumps(body).encode()


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, token: str, body: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        length = 0
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def create_agents(base: str, count: int) -> list[str]:
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        csrf = {"X-CSRF-Token": login.json()["csrfToken"]}
        tokens = []
        for i in range(count):
            response = await client.post("/api/v1/agents", json={"name": f"bench-{i}"}, headers=csrf)
            tokens.append(response.json()["token"])
        return tokens


async def drive(ports: list[int], tokens: list[str], seconds: float) -> tuple[int, list[float], int]:
    bodies = [payload(seq) for seq in range(8)]
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def agent(token: str, port: int) -> None:
        nonlocal failures
        connection = await Connection.open(port)
        seq = 0
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = await connection.post("/api/metrics/ingest", token, bodies[seq % len(bodies)])
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    failures += 1
                seq += 1
        finally:
            connection.close()

    await asyncio.gather(*(agent(token, ports[i % len(ports)]) for i, token in enumerate(tokens)))
    return len(latencies), latencies, failures


async def set_thresholds(base: str) -> None:
    """Thresholds on every host and container, above what the payloads report."""
    container_rules = {
        "cpuPercent": {"threshold": 90, "breachSamples": 3, "recoverSamples": 3},
        "memoryPercent": {"threshold": 50, "breachSamples": 3, "recoverSamples": 3},
    }
    host_rules = {
        "cpuPercent": {"threshold": 90, "breachSamples": 3, "recoverSamples": 3},
        "memoryPercent": {"threshold": 90, "breachSamples": 3, "recoverSamples": 3},
        "diskPercent": {"threshold": 90, "breachSamples": 3, "recoverSamples": 3},
    }
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        for agent in (await client.get("/api/v1/agents", params={"limit": 0})).json():
            await client.put(f"/api/v1/agents/{agent['id']}/resources/alerts", json=host_rules)
        for item in (await client.get("/api/v1/containers")).json()["items"]:
            await client.put(f"/api/v1/containers/{item['id']}/resources/alerts", json=container_rules)


def _cpu(processes: list[psutil.Process]) -> float:
    return sum(p.cpu_times().user + p.cpu_times().system for p in processes)


async def measure(
    hubs: list[Serve], agents: int, seconds: float, thresholds: bool = False
) -> list[tuple[int, list[float], int, float]]:
    """The agents spread over the hubs (replicas of one database), the hubs' CPU summed; with
    `thresholds`, measured again once every host and container has thresholds."""
    tokens = await create_agents(hubs[0].url, agents)
    ports = [hub.port for hub in hubs]
    await drive(ports, tokens, 2)  # warm-up
    results = [await _measured(hubs, tokens, seconds)]
    if thresholds:
        await set_thresholds(hubs[0].url)
        await drive(ports, tokens, 2)  # warm-up: every hub memory reads the thresholds again
        results.append(await _measured(hubs, tokens, seconds))
    return results


async def _measured(hubs: list[Serve], tokens: list[str], seconds: float) -> tuple[int, list[float], int, float]:
    processes = [psutil.Process(hub.process.pid) for hub in hubs]
    before = _cpu(processes)
    count, latencies, failures = await drive([hub.port for hub in hubs], tokens, seconds)
    return count, latencies, failures, _cpu(processes) - before


def run(database_url: str, agents: int, seconds: float, *, thresholds: bool = False, replicas: int = 1) -> str:
    # Replicas share the key that seals the database's secrets.
    shared = {**HUB_SETTINGS, "secret_key": secrets.token_urlsafe(32)}
    with contextlib.ExitStack() as stack:
        hubs = [
            stack.enter_context(serving(database_url, stack.enter_context(tempfile.TemporaryDirectory()), **shared))
            for _ in range(replicas)
        ]
        results = asyncio.run(measure(hubs, agents, seconds, thresholds))
    lines = [summary(*result, seconds) for result in results]
    return lines[0] if len(lines) == 1 else f"{lines[0]}; with thresholds: {lines[1]}"


def summary(count: int, latencies: list[float], failures: int, hub_cpu_seconds: float, seconds: float) -> str:
    latencies.sort()
    rate = count / seconds
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    hub_cpu = hub_cpu_seconds / count * 1000
    return (
        f"{rate:,.0f} payloads/s p50 {p50:.1f} ms p99 {p99:.1f} ms failures {failures} hub-cpu {hub_cpu:.2f} ms/payload"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--thresholds", action="store_true", help="measure again with alert thresholds set")
    parser.add_argument("--replicas", type=int, default=1, help="hub processes on one PostgreSQL database")
    args = parser.parse_args()
    parts = []
    if args.replicas > 1:
        for replicas in (1, args.replicas):
            with postgres_database(args.postgres) as url:
                result = run(url, args.agents, args.seconds, thresholds=args.thresholds, replicas=replicas)
            print(f"postgresql x{replicas}: {result}", file=sys.stderr)
            parts.append(f"postgresql x{replicas}: {result}")
        print(f"ingest agents={args.agents} seconds={args.seconds:g} | " + " | ".join(parts))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            result = run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.agents, args.seconds, thresholds=args.thresholds)
            print(f"sqlite: {result}", file=sys.stderr)
            parts.append(f"sqlite: {result}")
        if args.only in (None, "postgresql"):
            with postgres_database(args.postgres) as url:
                parts.append(f"postgresql: {run(url, args.agents, args.seconds, thresholds=args.thresholds)}")
    print(f"ingest agents={args.agents} services=20 containers=20 seconds={args.seconds:g} | " + " | ".join(parts))


if __name__ == "__main__":
    main()
