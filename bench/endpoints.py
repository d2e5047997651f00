"""The endpoint scheduler at scale: 2,000 HTTP endpoints checked every 30 s against a local
server, on one hub.

The hub runs in this process (create_app served by uvicorn on uvloop, as `watchkeep serve`
runs it, with its every loop); the target server runs in a child process, so the CPU time
measured here is the hub's alone. The endpoints are created through the service, then the
hub runs one full interval to settle before the measured window.

    .venv/bin/python bench/endpoints.py [--endpoints 2000] [--interval 30] [--measure 60] [--postgres]

(`--postgres` makes a throwaway database on the local server, as bench/ping.py does.)

Prints one line: checks per second, the scheduling lag (how long after its due time each
check was started) p50 and p99, and the hub's CPU time as a share of one core over the
window. Target: lag p99 under 1 s using under 50 % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvicorn
import uvloop
from serve import postgres_database

from watchkeep.app import create_app
from watchkeep.core.config import Settings
from watchkeep.endpoints.schemas import EndpointWrite
from watchkeep.endpoints.service import EndpointService
from watchkeep.endpoints.worker import EndpointScheduler

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


async def _target_server() -> None:
    """A minimal keep-alive HTTP/1.1 server answering 200 to every request (child process)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(RESPONSE)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def _percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(share * len(ordered)))]) if ordered else float("nan")


async def _bench(args: argparse.Namespace, target_port: int, data_dir: Path, database_url: str) -> str:
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        admin_password="bench-password-1",
        self_monitor=False,
        log_level="warning",
        docker_host=f"unix://{data_dir / 'no-docker.sock'}",
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        service = EndpointService(app.state.hub)
        scheduler: EndpointScheduler = app.state.endpoint_scheduler
        bodies = [
            EndpointWrite(
                name=f"endpoint {n}",
                type="http",
                target=f"http://127.0.0.1:{target_port}/e/{n}",
                interval_seconds=args.interval,
                timeout_seconds=5,
            )
            for n in range(args.endpoints)
        ]
        for start in range(0, len(bodies), 200):
            await asyncio.gather(*(service.create(body) for body in bodies[start : start + 200]))
        await asyncio.sleep(args.interval + 5)  # every endpoint checked once: the steady state
        done, lags_from = scheduler.checks_done, len(scheduler.lags_ms)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(args.measure)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        checks = scheduler.checks_done - done
        lags = scheduler.lags_ms[lags_from:]
    finally:
        server.should_exit = True
        await task
    store = "postgresql" if args.postgres else "sqlite"
    return (
        f"endpoints ({store}): {args.endpoints} http every {args.interval} s · {checks / wall:,.1f} checks/s · "
        f"schedule lag p50 {statistics.median(lags) if lags else float('nan'):.0f} ms "
        f"p99 {_percentile(lags, 0.99):.0f} ms · hub CPU {100 * cpu / wall:.1f} % of one core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--measure", type=float, default=60)
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database instead of a SQLite file")
    parser.add_argument("--target-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.target_server:
        uvloop.run(_target_server())
        return
    target = subprocess.Popen(
        [sys.executable, __file__, "--target-server"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert target.stdout is not None
        port = int(target.stdout.readline())
        with tempfile.TemporaryDirectory() as data_dir, contextlib.ExitStack() as stack:
            database_url = f"sqlite:///{Path(data_dir) / 'watchkeep.db'}"
            if args.postgres:
                database_url = stack.enter_context(postgres_database())
            print(uvloop.run(_bench(args, port, Path(data_dir), database_url)), flush=True)
    finally:
        target.terminate()
        target.wait(10)


if __name__ == "__main__":
    main()
