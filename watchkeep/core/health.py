"""`GET /api/v1/health` and `GET /api/v1/edition`."""

from __future__ import annotations

import logging

from fastapi import Request

from watchkeep import __version__
from watchkeep.core.errors import service_unavailable
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.schemas import ApiModel

log = logging.getLogger("watchkeep.health")

router = make_router(prefix="/api/v1", tags=["health"])

EDITION = "community"

# Every capability the product names, in the order the edition route lists them. A domain
# turns its capability on when its routes are mounted (`create_app`).
CAPABILITIES = (
    "users",
    "apiKeys",
    "idempotency",
    "rateLimiting",
    "dockerRuntime",
    "kubernetesRuntime",
    "agents",
    "containers",
    "resources",
    "endpoints",
    "heartbeats",
    "certificates",
    "alerts",
    "notificationChannels",
    "silences",
    "maintenanceWindows",
    "webhooks",
    "statusPage",
    "updates",
    "dashboard",
    "eventStream",
    "webUi",
)


class HealthOut(ApiModel):
    status: str
    version: str


class EditionOut(ApiModel):
    edition: str
    version: str
    features: dict[str, bool]


@router.get("/health", response_model=HealthOut)
async def health(hub: HubDep) -> HealthOut:
    try:
        await hub.store.ping()
    except Exception as exc:
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        raise service_unavailable("The database is unreachable", retry_after=5) from None
    return HealthOut(status="ok", version=__version__)


@router.get("/edition", response_model=EditionOut)
async def edition(request: Request) -> EditionOut:
    enabled: set[str] = request.app.state.capabilities
    return EditionOut(
        edition=EDITION,
        version=__version__,
        features={name: name in enabled for name in CAPABILITIES},
    )
