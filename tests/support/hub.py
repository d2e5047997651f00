"""A real hub on loopback for tests: uvicorn serving `create_app` in the test's event loop,
on a fresh database, with personas and clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import uvicorn
from fastapi import FastAPI

from watchkeep.app import create_app
from watchkeep.core.auth.service import AuthService
from watchkeep.core.clock import Clock
from watchkeep.core.config import Settings
from watchkeep.core.hub import Hub

ADMIN_PASSWORD = "admin-password-1"


@dataclass
class RunningHub:
    app: FastAPI
    hub: Hub
    url: str
    admin_key: str = ""
    _clients: list[httpx2.AsyncClient] = field(default_factory=list)

    def client(self, key: str | None = None, **kwargs: Any) -> httpx2.AsyncClient:
        """An HTTP client for this hub; `key` goes in X-API-Key."""
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["X-API-Key"] = key
        client = httpx2.AsyncClient(base_url=self.url, headers=headers, timeout=30, **kwargs)
        self._clients.append(client)
        return client

    @property
    def admin(self) -> httpx2.AsyncClient:
        return self.client(self.admin_key)

    async def user_key(self, username: str, role: str, scopes: list[str]) -> str:
        """Create a user (if new) and an API key acting as them."""
        service = AuthService(self.hub)
        try:
            user = await service.user_by_username(username)
        except Exception:
            user = await service.create_user(username, f"{username}-password-1", role)
        return (await service.create_key(user["id"], f"{username} key", scopes)).key


@contextlib.asynccontextmanager
async def running_hub(
    settings: Settings, *, clock: Clock | None = None, app: FastAPI | None = None, port: int = 0
) -> AsyncIterator[RunningHub]:
    """Serve `app` (default: `create_app(settings, clock=clock)`); pass an app built beforehand
    to subscribe to its events before it starts. `port` 0 picks a free one; a test restarting
    "the same" hub passes the earlier port."""
    app = app or create_app(settings, clock=clock)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
        access_log=False,
        # The app reads X-Forwarded-For itself, from its trusted proxies only (as `watchkeep serve`).
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("hub did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    running = RunningHub(app=app, hub=app.state.hub, url=f"http://127.0.0.1:{port}")
    running.admin_key = await running.user_key("admin", "admin", ["admin"])
    try:
        yield running
    finally:
        for client in running._clients:
            await client.aclose()
        server.should_exit = True
        await task
