"""create_app(): the routers, the middleware, and the lifespan that starts the workers."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from prometheus_client.metrics_core import Metric

from watchkeep import __version__
from watchkeep.agents import protocol_routes as agent_protocol_routes
from watchkeep.agents import routes as agent_routes
from watchkeep.agents.auth import caller_of
from watchkeep.agents.metrics import metric_families as agent_metrics
from watchkeep.agents.selfmonitor import SelfMonitor
from watchkeep.agents.service import AgentService
from watchkeep.agents.worker import AgentStatusWorker
from watchkeep.alerts import routes as alerts_routes
from watchkeep.alerts.metrics import metric_families as alert_metrics
from watchkeep.alerts.service import AlertService
from watchkeep.alerts.sources import SOURCES, AlertSources
from watchkeep.certificates import routes as certificate_routes
from watchkeep.certificates.metrics import metric_families as certificate_metrics
from watchkeep.certificates.worker import CertificateWorker
from watchkeep.containers import routes as container_routes
from watchkeep.containers.metrics import metric_families as container_metrics
from watchkeep.containers.service import ContainerService
from watchkeep.core import health
from watchkeep.core.auth import routes as auth_routes
from watchkeep.core.auth.service import AuthService
from watchkeep.core.backup import scheduled_backup_step
from watchkeep.core.clock import Clock, SystemClock
from watchkeep.core.config import Settings
from watchkeep.core.crypto import SecretKeyError
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate
from watchkeep.core.events import routes as event_routes
from watchkeep.core.events.consumers import Consumer
from watchkeep.core.events.metrics import metric_families as event_metrics
from watchkeep.core.events.retention import retention_step
from watchkeep.core.events.streams import EventStreams
from watchkeep.core.files import warn_if_wider
from watchkeep.core.housekeeping import housekeeping_step
from watchkeep.core.http.docs import install_docs
from watchkeep.core.http.errors import install_error_handlers
from watchkeep.core.http.middleware import RequestContextMiddleware
from watchkeep.core.http.openapi import install_openapi
from watchkeep.core.http.security import SecurityHeadersMiddleware
from watchkeep.core.hub import Hub
from watchkeep.core.jobs import claimed
from watchkeep.core.metrics import RequestMetrics, gauge, store_metrics
from watchkeep.core.metrics import routes as metrics_routes
from watchkeep.core.scheduler import Scheduler
from watchkeep.dashboard import routes as dashboard_routes
from watchkeep.endpoints import routes as endpoint_routes
from watchkeep.endpoints.metrics import metric_families as endpoint_metrics
from watchkeep.endpoints.service import EndpointService
from watchkeep.endpoints.worker import EndpointScheduler
from watchkeep.endpoints.worker import retention_step as endpoint_retention_step
from watchkeep.heartbeats import ping_routes as heartbeat_ping_routes
from watchkeep.heartbeats import routes as heartbeat_routes
from watchkeep.heartbeats.metrics import metric_families as heartbeat_metrics
from watchkeep.heartbeats.pings import PingRecorder
from watchkeep.heartbeats.worker import DeadlineWorker
from watchkeep.heartbeats.worker import retention_step as heartbeat_retention_step
from watchkeep.notify import routes as notify_routes
from watchkeep.notify.metrics import metric_families as notify_metrics
from watchkeep.notify.runtime import NotifyRuntime
from watchkeep.notify.service import ChannelService
from watchkeep.resources import routes as resource_routes
from watchkeep.resources.rollups import retention_step as metric_retention_step
from watchkeep.resources.rollups import rollup_step
from watchkeep.runtime import routes as runtime_routes
from watchkeep.runtime.stats import RuntimeStats
from watchkeep.runtime.watcher import RuntimeWatcher
from watchkeep.statuspage import public_routes as status_public_routes
from watchkeep.statuspage import routes as status_routes
from watchkeep.statuspage.cache import PublicCache
from watchkeep.statuspage.metrics import metric_families as status_metrics
from watchkeep.statuspage.worker import AutoIncidents, StatusRefresher
from watchkeep.updates import routes as update_routes
from watchkeep.updates.metrics import metric_families as update_metrics
from watchkeep.updates.worker import UpdateScanWorker, schedule_step
from watchkeep.web.routes import install_web
from watchkeep.webhooks import routes as webhooks_routes
from watchkeep.webhooks.service import WebhookDeliverer, WebhookService

log = logging.getLogger("watchkeep")


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    store = Store(settings.database_url, batch_size=settings.write_batch_size)
    hub = Hub(settings=settings, store=store, clock=clock or SystemClock())
    scheduler = Scheduler()
    relay = None
    if not store.is_sqlite:
        from watchkeep.core.events.relay import PostgresEventRelay  # asyncpg: the postgres extra

        relay = PostgresEventRelay(settings.database_url, hub.bus)

    # The event log: its consumers react to logged events, its streams serve SSE clients.
    streams = EventStreams(hub)
    consumers = [
        Consumer(hub, "alerts", AlertSources(hub).react, types=SOURCES),
        Consumer(hub, "webhooks", WebhookService(hub).react),
        # Every type, as the webhooks: its cursor keeps up with the log (reacting only to
        # status.component_changed), so nothing waits on it for the poll.
        Consumer(hub, "status-incidents", AutoIncidents(hub).react),
    ]
    for consumer in consumers:
        hub.bus.listen(consumer.notice)
        scheduler.add(f"consumer-{consumer.name}", consumer.step, settings.event_poll_seconds, wake=consumer.wake)
    scheduler.add("event-retention", claimed(hub, "event-retention", 600, partial(retention_step, hub)), interval=60)

    async def housekeeping() -> bool:
        return await housekeeping_step(hub)

    scheduler.add("housekeeping", housekeeping, interval=3600)
    if settings.backup_interval_hours > 0:
        every = settings.backup_interval_hours * 3600
        scheduler.add("backup", claimed(hub, "backup", every, partial(scheduled_backup_step, hub)), interval=60)

    # Heartbeats
    deadlines = DeadlineWorker(hub)

    async def heartbeat_retention() -> bool:
        return await heartbeat_retention_step(hub)

    scheduler.add("heartbeat-deadlines", deadlines.step, interval=settings.heartbeat_deadline_interval_seconds)
    scheduler.add("heartbeat-retention", heartbeat_retention, interval=600)

    # Certificates
    certificate_checks = CertificateWorker(hub)
    scheduler.add("certificate-checks", certificate_checks.step, interval=settings.certificate_check_interval_seconds)

    # Image updates: queued scans (woken when one is queued here) and the scan schedule
    update_scans = UpdateScanWorker(hub)
    scheduler.add("update-scans", update_scans.step, interval=settings.updates_poll_seconds, wake=update_scans.wake)
    scheduled_scans = schedule_step(hub)
    if scheduled_scans is not None:
        scheduler.add("update-scan-schedule", scheduled_scans, interval=60)

    # Endpoints: the checks' scheduler and the retention of their results
    endpoint_scheduler = EndpointScheduler(hub)
    scheduler.add("endpoint-checks", endpoint_scheduler.step, interval=settings.endpoint_poll_seconds)
    scheduler.add(
        "endpoint-retention",
        claimed(hub, "endpoint-retention", 600, partial(endpoint_retention_step, hub)),
        interval=60,
    )

    # Agents: status loop; metric rollup tiers and their retention
    scheduler.add("agent-status", AgentStatusWorker(hub).step, interval=settings.agent_status_interval_seconds)
    scheduler.add("metric-rollups", claimed(hub, "metric-rollups", 60, partial(rollup_step, hub)), interval=15)
    scheduler.add(
        "metric-retention", claimed(hub, "metric-retention", 600, partial(metric_retention_step, hub)), interval=60
    )

    # Alerts, notifications and webhooks
    notify = NotifyRuntime(hub)
    notify.add_deliverer("webhook", WebhookDeliverer(hub, notify.http))
    scheduler.add("outbox", notify.worker.step, interval=settings.outbox_poll_seconds)
    scheduler.add("alerts-evaluate", AlertService(hub).evaluate, interval=settings.alerts_evaluate_seconds)

    # The status page: component statuses follow their monitors; the public view's cache
    status_refresher = StatusRefresher(hub)
    hub.bus.listen(status_refresher.notice)
    hub.bus.listen(hub.local(PublicCache).notice)
    scheduler.add(
        "status-page", status_refresher.step, interval=settings.status_page_refresh_seconds, wake=status_refresher.wake
    )

    # Self-monitoring: the agent's collectors for the hub's own host
    self_monitor = SelfMonitor(hub) if settings.self_monitor else None
    if self_monitor is not None:
        scheduler.add("self-monitor", self_monitor.step, interval=settings.agent_push_interval_seconds)

    # The local runtime: this host's Docker engine, followed on every replica; restart loops
    runtime_watcher = RuntimeWatcher(hub)
    scheduler.add("runtime-stats", RuntimeStats(hub, runtime_watcher).step, interval=settings.docker_stats_interval)
    scheduler.add("container-restart-loops", ContainerService(hub).check_restart_loops, interval=5)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warn_if_wider(settings.data_dir, 0o700)
        await store.start()
        await migrate(store, lock_timeout=settings.migrate_lock_timeout_seconds)
        await _seal_stored_secrets(hub)
        password = await AuthService(hub).ensure_admin()
        if password is not None:
            _announce_admin_password(password)
        if relay is not None:
            await relay.start()
        for consumer in consumers:
            await consumer.register()
        await streams.start()
        scheduler.start()
        runtime_watcher.start()
        # What start-up allocated lives as long as the process: keep it out of the
        # collector's generations, so collections stay short on the hot paths.
        gc.freeze()
        # Requests allocate many short-lived objects (a payload decodes into hundreds): collect
        # the young generation every 20,000 allocations instead of 700, which keeps the
        # collector's share of a request small; reference counting frees nearly all of them.
        gc.set_threshold(20_000, 50, 100)
        log.info("watchkeep %s serving at %s", __version__, settings.base_url)
        try:
            yield
        finally:
            await runtime_watcher.stop()
            await scheduler.stop()
            for consumer in consumers:
                with contextlib.suppress(Exception):
                    await consumer.release()
            await streams.close()
            if relay is not None:
                await relay.close()
            await notify.close()
            await endpoint_scheduler.aclose()
            if self_monitor is not None:
                await self_monitor.aclose()
            await store.close()
            log.info("watchkeep stopped; every acknowledged write is committed")

    app = FastAPI(
        title="watchkeep",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        # Served by core/http/docs.py: pinned assets with Subresource Integrity and a CSP.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.hub = hub
    app.state.idempotency_caller = caller_of
    app.state.event_streams = streams
    app.state.event_consumers = consumers
    app.state.heartbeat_deadlines = deadlines
    app.state.certificate_checks = certificate_checks
    app.state.endpoint_scheduler = endpoint_scheduler
    app.state.ping_recorder = PingRecorder(hub)
    app.state.notify = notify
    app.state.runtime_watcher = runtime_watcher
    app.state.capabilities = {
        *("users", "apiKeys", "idempotency", "rateLimiting", "dockerRuntime"),
        *("agents", "heartbeats", "certificates", "endpoints", "imageUpdates"),
        *("alerts", "notificationChannels", "silences", "maintenanceWindows", "webhooks"),
        "statusPage",
    }
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.state.request_metrics = RequestMetrics()
    app.state.metric_sources = [
        store_metrics,
        partial(_stream_metrics, streams),
        event_metrics,
        agent_metrics,
        container_metrics,
        heartbeat_metrics,
        endpoint_metrics,
        certificate_metrics,
        update_metrics,
        alert_metrics,
        notify_metrics,
        status_metrics,
    ]
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
        metrics=app.state.request_metrics,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # Heartbeats: the ping routes first, as the router tries routes in order and they are the hot path.
    app.router.routes.extend(heartbeat_ping_routes.routes)
    # Agents: the native ingest route next, for the same reason.
    app.router.routes.extend(agent_protocol_routes.routes)
    app.include_router(heartbeat_routes.router)
    app.include_router(endpoint_routes.router)
    app.include_router(certificate_routes.router)
    app.include_router(update_routes.router)
    for router in (
        health.router,
        auth_routes.router,
        runtime_routes.router,
        event_routes.router,
        metrics_routes.router,
    ):
        app.include_router(router)
    # Agents, their containers and resources
    for router in (agent_protocol_routes.router, agent_routes.router, container_routes.router, resource_routes.router):
        app.include_router(router)
    for router in (alerts_routes.router, notify_routes.router, webhooks_routes.router):
        app.include_router(router)
    app.include_router(dashboard_routes.router)
    app.include_router(status_routes.router)
    app.include_router(status_public_routes.router)
    # The web UI last: its pages never shadow an API route.
    install_web(app)
    return app


async def _stream_metrics(streams: EventStreams, _: Hub) -> list[Metric]:
    return [
        gauge(
            "watchkeep_sse_clients", "Event stream clients connected to this replica.", (), [((), len(streams.clients))]
        )
    ]


async def _seal_stored_secrets(hub: Hub) -> None:
    """Encrypt what older versions stored in the clear, and make sure this hub's key opens
    what is stored encrypted: with the wrong key the hub stops here, before sending anything."""
    try:
        await ChannelService(hub).seal_stored()
        await WebhookService(hub).seal_stored()
        await AgentService(hub).seal_signing_key()
        await EndpointService(hub).check_stored_secrets()
    except SecretKeyError as exc:
        log.error("cannot start: %s", exc)
        raise


def _announce_admin_password(password: str) -> None:
    banner = (
        "\n"
        "  watchkeep created the user 'admin' with this password (shown only now):\n"
        f"\n      {password}\n\n"
        "  Change it with: watchkeep user passwd admin\n"
    )
    print(banner, file=sys.stdout, flush=True)
