"""What the benchmarks share: a real `watchkeep serve` process on a free loopback port, and a
throwaway PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx2
from sqlalchemy.engine import make_url

WATCHKEEP = str(Path(sys.executable).with_name("watchkeep"))
ADMIN_PASSWORD = "bench-password-1"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    database_url: str
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(database_url: str, data_dir: str | Path, **settings: str) -> Iterator[Serve]:
    """`watchkeep serve` on `database_url`, healthy before this yields, stopped after.
    `settings` are WATCHKEEP_* variables by their lower-case names (`log_level="warning"`)."""
    port = free_port()
    env = {
        **os.environ,
        "WATCHKEEP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WATCHKEEP_DATA_DIR": str(data_dir),
        "WATCHKEEP_DOCKER_HOST": f"unix://{Path(data_dir) / 'no-docker.sock'}",
        **{f"WATCHKEEP_{name.upper()}": value for name, value in settings.items()},
    }
    command = [WATCHKEEP, "serve", "--port", str(port), "--database-url", database_url]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        yield Serve(process, url, port, database_url, env)
    finally:
        process.terminate()
        process.wait(30)


def _wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            pass  # not listening yet
        time.sleep(0.05)
    raise TimeoutError(f"the hub at {url} did not start")


@contextmanager
def admin_client(url: str) -> Iterator[httpx2.Client]:
    """A client of the hub at `url`, logged in as the first-start admin."""
    with httpx2.Client(base_url=url, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        login.raise_for_status()
        client.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        yield client


def create_heartbeats(client: httpx2.Client, count: int) -> list[str]:
    """`count` heartbeat monitors; their ping uuids."""
    uuids = []
    for i in range(count):
        created = client.post("/api/v1/heartbeats", json={"name": f"bench-{i}"})
        created.raise_for_status()
        uuids.append(created.json()["uuid"])
    return uuids


@contextmanager
def postgres_database(admin_url: str = DEFAULT_POSTGRES) -> Iterator[str]:
    """The URL of a new, empty database on that server, dropped afterwards."""
    name = f"wk_bench_{secrets.token_hex(4)}"
    asyncio.run(_execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
