"""SIGTERM during a burst of writes loses no acknowledged write."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx2

from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import start_serve


async def _admin_session(url: str) -> httpx2.AsyncClient:
    client = httpx2.AsyncClient(base_url=url, timeout=10)
    response = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200
    client.headers["X-CSRF-Token"] = response.json()["csrfToken"]
    return client


async def test_every_write_acknowledged_before_sigterm_is_there_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    hub = start_serve(tmp_path, database_url, name="first")
    acknowledged: list[str] = []
    try:
        hub.wait_healthy()
        client = await _admin_session(hub.url)
        stop = asyncio.Event()

        async def writer(worker: int) -> None:
            n = 0
            while not stop.is_set():
                name = f"w{worker}-{n}"
                n += 1
                try:
                    response = await client.post("/api/v1/keys", json={"name": name, "scopes": ["read"]})
                except httpx2.HTTPError:
                    return
                if 200 <= response.status_code < 300:
                    acknowledged.append(name)

        writers = [asyncio.create_task(writer(i)) for i in range(16)]
        deadline = time.monotonic() + 10
        while len(acknowledged) < 100 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(hub.terminate)
        stop.set()
        await asyncio.gather(*writers)
        await client.aclose()
    finally:
        hub.terminate()
    assert hub.process.returncode in (0, -15)  # uvicorn re-raises SIGTERM after a clean stop
    assert len(acknowledged) >= 100
    assert "every acknowledged write is committed" in hub.stderr()

    again = start_serve(tmp_path, database_url, name="second")
    try:
        again.wait_healthy()
        client = await _admin_session(again.url)
        stored = {k["name"] for k in (await client.get("/api/v1/keys")).json()}
        await client.aclose()
    finally:
        again.terminate()
    missing = [name for name in acknowledged if name not in stored]
    assert missing == []
