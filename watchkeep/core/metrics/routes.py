"""`GET /metrics`: behind an API key with the `metrics` scope (or a signed-in user), or open
to anyone with `WATCHKEEP_METRICS_PUBLIC=true`."""

from __future__ import annotations

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from watchkeep.core.auth.deps import authenticate, check_access
from watchkeep.core.auth.model import Scope
from watchkeep.core.http.openapi import USER_OR_KEY, documented
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.metrics import exposition

router = make_router(tags=["metrics"])


@router.get("/metrics", response_class=Response)
@documented(
    security=USER_OR_KEY,
    responses={"200": ("The Prometheus text exposition", CONTENT_TYPE_LATEST, None)},
)
async def metrics(request: Request, hub: HubDep) -> Response:
    """The Prometheus text exposition of the hub's internals and its monitors' states."""
    if not hub.settings.metrics_public:
        check_access(await authenticate(request, hub), Scope.METRICS)
    body = await exposition(hub, request.app.state.request_metrics, request.app.state.metric_sources)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
