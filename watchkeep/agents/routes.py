"""The agent registry and what is stored for each agent, under /api/v1/agents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from fastapi import Query, Request, Response

from watchkeep.agents.schemas import AgentConfigUpdate, AgentCreate, AgentUpdate, config_update_decoder, decoded
from watchkeep.agents.service import AgentService
from watchkeep.core.auth.deps import CanRead, CanWrite, IsAdmin
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import not_found
from watchkeep.core.http.openapi import documented
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.idempotency.service import idempotent
from watchkeep.resources.schemas import HostThresholds
from watchkeep.resources.service import ResourceService
from watchkeep.resources.thresholds import HOST, ThresholdService

router = make_router(prefix="/api/v1/agents", tags=["agents"])


@router.post("", status_code=201)
@idempotent
async def create_agent(body: AgentCreate, _: IsAdmin, hub: HubDep) -> dict[str, Any]:
    service = AgentService(hub)
    created = await service.create(body)
    return {**service.out(created.row), "token": created.token, "agentKey": created.agent_key}


@router.get("")
async def list_agents(
    _: CanRead,
    hub: HubDep,
    response: Response,
    status: Literal["online", "delayed", "offline"] | None = None,
    platform: str | None = None,
    # 0: every agent, as agent-heartbeat.txt's list shows them all.
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    items, total = await AgentService(hub).list_agents(status=status, platform=platform, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return items


@router.get("/{agent_id}")
async def get_agent(agent_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    return await AgentService(hub).get(agent_id)


@router.patch("/{agent_id}")
async def update_agent(agent_id: str, body: AgentUpdate, _: CanWrite, hub: HubDep) -> dict[str, Any]:
    return await AgentService(hub).update(agent_id, body)


@router.post("/{agent_id}/token/rotate")
async def rotate_token(agent_id: str, _: IsAdmin, hub: HubDep) -> dict[str, Any]:
    rotated = await AgentService(hub).rotate(agent_id)
    return {"id": agent_id, "token": rotated.token, "agentKey": rotated.agent_key}


@router.delete("/{agent_id}", status_code=204)
async def delete_agent(agent_id: str, _: IsAdmin, hub: HubDep) -> Response:
    await AgentService(hub).delete(agent_id)
    return Response(status_code=204)


@router.get("/{agent_id}/config")
async def get_config(agent_id: str, _: CanRead, hub: HubDep) -> Response:
    service = AgentService(hub)
    config = service.config_of(await service.get_row(agent_id))
    return Response(msgspec.json.encode(config), media_type="application/json")


@router.put("/{agent_id}/config")
@documented(body=AgentConfigUpdate)
async def put_config(agent_id: str, request: Request, _: CanWrite, hub: HubDep) -> Response:
    body = decoded(config_update_decoder, await request.body())
    config = await AgentService(hub).set_config(agent_id, body)
    return Response(msgspec.json.encode(config), media_type="application/json")


@router.get("/{agent_id}/checks")
async def list_checks(agent_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    rows = await AgentService(hub).checks(agent_id)
    items = [
        {
            "kind": row["kind"],
            "containerName": row["container_name"],
            "target": row["target"],
            "name": row["name"],
            "success": row["success"],
            "statusCode": row["status_code"],
            "durationMs": row["duration_ms"],
            "checkedAt": rfc3339(row["checked_at"]),
            "error": row["error"],
            "expiresAt": row["expires_at"],
            "daysUntilExpiry": row["days_until_expiry"],
            "issuer": row["issuer"],
            "subject": row["subject"],
        }
        for row in rows
    ]
    return {"agentId": agent_id, "items": items}


@router.get("/{agent_id}/processes")
async def top_processes(agent_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    await AgentService(hub).get_row(agent_id)
    snapshot = await ResourceService(hub).processes(agent_id)
    if snapshot is None:
        raise not_found("process snapshot of agent", agent_id)
    return {"agentId": agent_id, **snapshot, "ts": rfc3339(snapshot["ts"])}


@router.get("/{agent_id}/metrics/current")
async def current_metrics(agent_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    await AgentService(hub).get_row(agent_id)
    current = await ResourceService(hub).current(agent_id)
    containers = [{**c, "sampledAt": rfc3339(c["sampledAt"])} for c in current["containers"]]
    nodes = [{**n, "sampledAt": rfc3339(n["sampledAt"])} for n in current["nodes"]]
    return {
        "agentId": agent_id,
        "sampledAt": rfc3339(current["hostSampledAt"]),
        "host": current["host"],
        "containers": containers,
        "nodes": nodes,
    }


@router.get("/{agent_id}/metrics/history")
async def metrics_history(
    agent_id: str,
    _: CanRead,
    hub: HubDep,
    range: Literal["1h", "6h", "24h", "7d", "30d"] = "1h",
    metric: str = "cpuPercent",
    container: str | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """A metric of the agent's host, of one of its containers (`container`), or of one of
    the nodes it reports (`node`)."""
    await AgentService(hub).get_row(agent_id)
    history = await ResourceService(hub).history(agent_id, range, metric, container, node=node)
    return {
        "agentId": agent_id,
        "range": range,
        "metric": metric,
        "container": container,
        "node": node,
        "bucketSeconds": history["bucketSeconds"],
        "points": [{"t": rfc3339(t), "v": round(v, 3), "max": round(m, 3)} for t, v, m in history["points"]],
    }


@router.get("/{agent_id}/resources/alerts")
async def get_host_thresholds(agent_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    """The host's alert thresholds (null: none) and, under `status`, where each stands."""
    await AgentService(hub).get_row(agent_id)
    return await ThresholdService(hub).get(HOST, agent_id)


@router.put("/{agent_id}/resources/alerts")
async def put_host_thresholds(agent_id: str, body: HostThresholds, _: CanWrite, hub: HubDep) -> dict[str, Any]:
    """Replace the host's alert thresholds; a metric left out or null has none."""
    row = await AgentService(hub).get_row(agent_id)
    return await ThresholdService(hub).put(HOST, agent_id, agent_id, row["name"], body)
