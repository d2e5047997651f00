"""`/api/v1/dashboard`: what the overview shows of every monitor at once."""

from __future__ import annotations

from typing import Any

from watchkeep.core.auth.deps import CanRead
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.dashboard.service import DashboardService

router = make_router(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("/sparklines")
async def sparklines(_: CanRead, hub: HubDep) -> dict[str, Any]:
    """The last hour of every host's and container's CPU and memory, 30 averages each (null:
    no sample in that bucket), oldest first; `endpoints` stays empty until endpoints exist."""
    return await DashboardService(hub).sparklines()
