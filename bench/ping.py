"""Ping throughput of one hub process: concurrent keep-alive clients send
`GET /ping/{uuid}` over 100 monitors to a real `watchkeep serve`, on SQLite and on
PostgreSQL, side by side.

    .venv/bin/python bench/ping.py [--seconds 10] [--connections 32] [--monitors 100]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--log-level info]

The load comes from this process (raw HTTP/1.1 on asyncio streams, so the client costs as
little as possible); the hub runs in its own process with the given log level.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import uvloop
from serve import DEFAULT_POSTGRES, admin_client, create_heartbeats, postgres_database, serving
from sqlalchemy.engine import make_url


async def _client(
    host: str, port: int, uuids: list[str], offset: int, stop_at: float, record_from: float, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    requests = [f"GET /ping/{u} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode() for u in uuids]
    i = offset
    try:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200") or body != b"OK":
                raise RuntimeError(f"unexpected answer: {head[:40]!r} {body[:40]!r}")
            if started >= record_from:
                latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _drive(url: str, uuids: list[str], seconds: float, connections: int) -> tuple[float, float, float]:
    target = make_url(url)
    latencies: list[float] = []
    now = time.perf_counter()
    warmup = 1.0
    record_from, stop_at = now + warmup, now + warmup + seconds
    await asyncio.gather(
        *(
            _client(target.host or "", target.port or 80, uuids, k * 7, stop_at, record_from, latencies)
            for k in range(connections)
        )
    )
    latencies.sort()
    return len(latencies) / seconds, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000


def run(database_url: str, data_dir: Path, args: argparse.Namespace) -> tuple[float, float, float]:
    # The single benchmark client would hit the per-address ping limit.
    limits = {"heartbeat_ping_rate_limit_per_minute": "100000000"}
    with serving(database_url, data_dir, log_level=args.log_level, **limits) as hub:
        with admin_client(hub.url) as client:
            uuids = create_heartbeats(client, args.monitors)
        # uvloop keeps the client's own cost low: it shares the machine with the hub.
        return uvloop.run(_drive(hub.url, uuids, args.seconds, args.connections))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            rate, p50, p99 = run(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)
            parts.append(f"sqlite: {rate:,.0f} pings/s p50 {p50:.1f} ms p99 {p99:.1f} ms")
        if args.only in (None, "postgresql"):
            with postgres_database(args.postgres) as url:
                rate, p50, p99 = run(url, Path(tmp), args)
            parts.append(f"postgresql: {rate:,.0f} pings/s p50 {p50:.1f} ms p99 {p99:.1f} ms")
    print(
        f"ping monitors={args.monitors} connections={args.connections} seconds={args.seconds:g} | " + " | ".join(parts)
    )


if __name__ == "__main__":
    main()
