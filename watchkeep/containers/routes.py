"""Listing containers: those the agents report."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from watchkeep.containers.service import ContainerService, container_out
from watchkeep.core.auth.deps import CanRead
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep

router = make_router(prefix="/api/v1/containers", tags=["containers"])


@router.get("")
async def list_containers(
    _: CanRead, hub: HubDep, agent_id: str | None = Query(None, alias="agentId")
) -> dict[str, Any]:
    rows = await ContainerService(hub).list_containers(agent_id)
    return {"items": [container_out(row) for row in rows], "total": len(rows)}
