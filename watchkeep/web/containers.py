"""The container pages: every container grouped (label, compose project or host) with its
state, and a container's page with its uptime, charts and transitions; both live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.agents.service import AgentService
from watchkeep.containers.schemas import container_out, restart_loop_out, transition_out
from watchkeep.containers.service import ContainerService
from watchkeep.core.hub import HubDep
from watchkeep.resources.thresholds import CONTAINER
from watchkeep.updates.service import UpdateService
from watchkeep.web import thresholds
from watchkeep.web.responses import see_other
from watchkeep.web.session import EditorChange, User
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)

CHARTS = [
    ("cpuPercent", "CPU", "%"),
    ("memoryPercent", "Memory", "%"),
    ("networkRxBytesPerSec", "Network in", "B/s"),
    ("networkTxBytesPerSec", "Network out", "B/s"),
    ("blockReadMb", "Disk read", "MB"),
    ("blockWriteMb", "Disk write", "MB"),
]


@router.get("/containers")
async def containers_page(request: Request, user: User, hub: HubDep) -> Response:
    query = request.query_params
    state = query.get("state") or None
    archived = query.get("archived") == "true"
    by = "host" if query.get("groupBy") == "host" else "auto"
    hosts = {agent["id"]: agent["name"] for agent, _ in await AgentService(hub).overview_facts()}
    rows, groups = await ContainerService(hub).grouped(
        agent_id=None, state=state, archived=archived, by=by, host_names=hosts
    )
    items = {row["public_id"]: container_out(row) for row in rows}
    updates = {v.container_id: v for v in await UpdateService(hub).verdicts(status="available")}
    template = "_containers.html" if query.get("fragment") == "containers" else "containers.html"
    return page(
        request,
        template,
        groups=groups,
        items=items,
        hosts=hosts,
        updates=updates,
        state=state,
        archived=archived,
        by=by,
    )


@router.get("/containers/{container_id}")
async def container_page(container_id: str, request: Request, user: User, hub: HubDep) -> Response:
    service = ContainerService(hub)
    container = container_out(await service.get(container_id))
    context: dict[str, Any] = {
        "container": container,
        "uptime": await service.uptime(container_id),
        "transitions": [transition_out(row) for row in await service.transitions(container_id, 50)],
        "restart_loop": restart_loop_out(await service.restart_loop(container_id)),
    }
    if request.query_params.get("fragment") == "state":
        return page(request, "_container_state.html", **context)
    host = await AgentService(hub).get(container["agentId"])
    action = f"/containers/{container_id}/thresholds"
    context.update(await thresholds.context(hub, CONTAINER, container_id, action))
    return page(request, "container.html", host=host, charts=CHARTS, **context)


@router.post("/containers/{container_id}/delete")
async def delete_container(container_id: str, user: EditorChange, hub: HubDep) -> Response:
    await ContainerService(hub).delete(container_id)
    return see_other("/containers?archived=true")
