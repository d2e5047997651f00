"""create_app(): the routers, the middleware, and the lifespan that starts the workers."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from watchkeep import __version__
from watchkeep.agents import protocol_routes as agent_protocol_routes
from watchkeep.agents import routes as agent_routes
from watchkeep.agents.selfmonitor import SelfMonitor
from watchkeep.agents.worker import AgentStatusWorker
from watchkeep.containers import routes as container_routes
from watchkeep.core import health
from watchkeep.core.auth import routes as auth_routes
from watchkeep.core.auth.service import AuthService
from watchkeep.core.clock import Clock, SystemClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate
from watchkeep.core.housekeeping import housekeeping_step
from watchkeep.core.http.errors import install_error_handlers
from watchkeep.core.http.middleware import RequestContextMiddleware
from watchkeep.core.http.openapi import install_openapi
from watchkeep.core.hub import Hub
from watchkeep.core.scheduler import Scheduler
from watchkeep.runtime import routes as runtime_routes

log = logging.getLogger("watchkeep")


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    store = Store(settings.database_url, batch_size=settings.write_batch_size)
    hub = Hub(settings=settings, store=store, clock=clock or SystemClock())
    scheduler = Scheduler()

    async def housekeeping() -> bool:
        return await housekeeping_step(hub)

    scheduler.add("housekeeping", housekeeping, interval=3600)

    # Agents: status loop
    scheduler.add("agent-status", AgentStatusWorker(hub).step, interval=settings.agent_status_interval_seconds)

    # Self-monitoring: the agent's collectors for the hub's own host
    self_monitor = SelfMonitor(hub) if settings.self_monitor else None
    if self_monitor is not None:
        scheduler.add("self-monitor", self_monitor.step, interval=settings.agent_push_interval_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.start()
        await migrate(store, lock_timeout=settings.migrate_lock_timeout_seconds)
        password = await AuthService(hub).ensure_admin()
        if password is not None:
            _announce_admin_password(password)
        scheduler.start()
        log.info("watchkeep %s serving at %s", __version__, settings.base_url)
        try:
            yield
        finally:
            await scheduler.stop()
            if self_monitor is not None:
                await self_monitor.aclose()
            await store.close()
            log.info("watchkeep stopped; every acknowledged write is committed")

    app = FastAPI(
        title="watchkeep",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.hub = hub
    app.state.capabilities = {"users", "apiKeys", "idempotency", "rateLimiting", "dockerRuntime", "agents"}
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    for router in (health.router, auth_routes.router, runtime_routes.router):
        app.include_router(router)
    # Agents, their containers and resources
    for router in (agent_protocol_routes.router, agent_routes.router, container_routes.router):
        app.include_router(router)
    return app


def _announce_admin_password(password: str) -> None:
    banner = (
        "\n"
        "  watchkeep created the user 'admin' with this password (shown only now):\n"
        f"\n      {password}\n\n"
        "  Change it with: watchkeep user passwd admin\n"
    )
    print(banner, file=sys.stdout, flush=True)
