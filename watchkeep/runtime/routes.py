"""`GET /api/v1/runtime/status`."""

from __future__ import annotations

from watchkeep.core.auth.deps import CanRead
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.schemas import ApiModel
from watchkeep.runtime.service import runtime_status
from watchkeep.runtime.watcher import Following

router = make_router(prefix="/api/v1", tags=["runtime"])


class RuntimeStatusOut(ApiModel):
    runtime: str
    connected: bool
    endpoint: str | None
    version: str | None
    api_version: str | None
    error: str | None
    # True while this hub follows the engine's events (its containers' transitions are live)
    following: bool = False


@router.get("/runtime/status", response_model=RuntimeStatusOut)
async def get_runtime_status(_: CanRead, hub: HubDep) -> RuntimeStatusOut:
    status = await runtime_status(hub.settings.docker_host)
    return RuntimeStatusOut(**status.__dict__, following=hub.local(Following).following)
