"""`/api/v1/containers`: the containers the agents report, grouped, with their details,
uptime and transitions; archived ones on request, deleted only once archived."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Header, Query, Request, Response

from watchkeep.agents.selfmonitor import own_agent_id
from watchkeep.agents.service import AgentService
from watchkeep.containers.logs import ContainerLogService, parse_filter
from watchkeep.containers.schemas import container_out, restart_loop_out, transition_out
from watchkeep.containers.service import ContainerService, group_of
from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.events.streams import EventStreamResponse, EventStreams, parse_last_event_id
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.endpoints.labels import declared
from watchkeep.endpoints.service import EndpointService

router = make_router(prefix="/api/v1/containers", tags=["containers"])


@router.get("")
async def list_containers(
    _: CanRead,
    hub: HubDep,
    agent_id: str | None = Query(None, alias="agentId"),
    state: str | None = Query(None, max_length=32),
    archived: bool = False,
    group_by: Literal["auto", "host"] = Query("auto", alias="groupBy"),
) -> dict[str, Any]:
    """Containers (the archived ones with `archived=true`), and their groups: by the
    `watchkeep.group` label, else the compose project, else the host (`groupBy=host`: by host
    only), each with its counts per state."""
    hosts = {agent["id"]: agent["name"] for agent, _ in await AgentService(hub).overview_facts()}
    rows, groups = await ContainerService(hub).grouped(
        agent_id=agent_id, state=state, archived=archived, by=group_by, host_names=hosts
    )
    local = own_agent_id(hub)
    items = [{**container_out(row, local), "group": group_of(row, group_by, hosts)[1]} for row in rows]
    return {"items": items, "total": len(items), "groups": groups}


@router.get("/{container_id}")
async def get_container(container_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    service = ContainerService(hub)
    row = await service.get(container_id)
    loop = restart_loop_out(await service.restart_loop(container_id))
    return {**container_out(row, own_agent_id(hub)), "uptime": await service.uptime(container_id), "restartLoop": loop}


@router.get("/{container_id}/transitions")
async def list_transitions(
    container_id: str, _: CanRead, hub: HubDep, limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    rows = await ContainerService(hub).transitions(container_id, limit)
    return {"items": [transition_out(row) for row in rows]}


@router.get("/{container_id}/endpoints")
async def list_container_endpoints(container_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    """The endpoints linked to the container (discovered from its labels, inactive ones too),
    and why any endpoint label of it was skipped."""
    row = await ContainerService(hub).get(container_id)
    service = EndpointService(hub)
    items = [service.out(endpoint).model_dump(by_alias=True) for endpoint in await service.of_container(container_id)]
    labels = json.loads(row["labels"]) if row["labels"] else {}
    return {"items": items, "discoveryErrors": declared(row["name"], labels)[1]}


@router.delete("/{container_id}", status_code=204)
async def delete_container(container_id: str, _: CanWrite, hub: HubDep) -> Response:
    await ContainerService(hub).delete(container_id)
    return Response(status_code=204)


_LOG_FILTERS = (
    "`?tail=` (lines, 0 to 5000, default 100), `?since=` (RFC 3339 or epoch seconds), "
    "`?stream=stdout|stderr` (both when omitted)"
)
_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "Log lines."}
}


@router.get(
    "/{container_id}/logs", description=f"Recent log lines `{{stream, at, text}}`, oldest first; {_LOG_FILTERS}."
)
async def container_logs(
    container_id: str,
    _: CanRead,
    hub: HubDep,
    tail: str | None = Query(None),
    since: str | None = Query(None),
    stream: str | None = Query(None),
) -> dict[str, Any]:
    wanted = parse_filter(tail, since, stream)
    return (await ContainerLogService(hub).read(container_id, wanted)).body()


@router.get(
    "/{container_id}/logs/stream",
    response_class=Response,
    responses=_STREAM,
    description=f"Server-sent events: the last lines, then each new one as an `event: log` frame; {_LOG_FILTERS}.",
)
async def container_log_stream(
    container_id: str,
    _: CanRead,
    request: Request,
    hub: HubDep,
    tail: str | None = Query(None),
    since: str | None = Query(None),
    stream: str | None = Query(None),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
) -> Response:
    wanted = parse_filter(tail, since, stream)
    after = parse_last_event_id(last_event_id, None)
    streams: EventStreams = request.app.state.event_streams
    frames = await ContainerLogService(hub).stream(streams, container_id, wanted, after)
    return EventStreamResponse(frames, stall_seconds=max(2 * hub.settings.sse_keepalive_seconds, 1.0))
