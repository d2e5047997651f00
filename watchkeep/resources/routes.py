"""The resource routes of the spec: a container's current values and history, the top
consumers across every host, and a summary per host and overall."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Query

from watchkeep.agents.service import AgentService
from watchkeep.containers.service import ContainerService
from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import not_found
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.resources.schemas import ContainerThresholds
from watchkeep.resources.service import ResourceService
from watchkeep.resources.thresholds import CONTAINER, ThresholdService

router = make_router(prefix="/api/v1", tags=["resources"])

Range = Literal["1h", "6h", "24h", "7d", "30d"]


@router.get("/containers/{container_id}/resources/current")
async def container_current(container_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    """The container's latest sampled values (CPU, memory, network, I/O)."""
    row = await ContainerService(hub).get(container_id)
    current = await ResourceService(hub).current(row["agent_id"])
    for values in current["containers"]:
        if values["name"] == row["name"]:
            sampled = values.pop("sampledAt")
            values.pop("name")
            return {"id": container_id, "name": row["name"], "sampledAt": rfc3339(sampled), "values": values}
    raise not_found("resource sample of container", container_id)


@router.get("/containers/{container_id}/resources/history")
async def container_history(
    container_id: str,
    _: CanRead,
    hub: HubDep,
    range: Range = "24h",
    metric: str = Query("cpuPercent", max_length=64),
) -> dict[str, Any]:
    """A metric's points over the range from the range's tier: `{t, v, max}` per bucket."""
    row = await ContainerService(hub).get(container_id)
    history = await ResourceService(hub).history(row["agent_id"], range, metric, row["name"])
    return {
        "id": container_id,
        "range": range,
        "metric": metric,
        "bucketSeconds": history["bucketSeconds"],
        "points": [{"t": rfc3339(t), "v": round(v, 3), "max": round(m, 3)} for t, v, m in history["points"]],
    }


async def _latest(hub: HubDep) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    agents = {row["id"]: row for row, _ in await AgentService(hub).overview_facts()}
    return agents, await ResourceService(hub).current_of(list(agents))


@router.get("/resources/top")
async def top_consumers(
    _: CanRead,
    hub: HubDep,
    sort: Literal["cpu", "memory", "network", "io"] = "cpu",
    limit: int = Query(10, ge=1, le=100),
) -> dict[str, Any]:
    """The containers using the most of `sort` now, across every host."""
    hosts = {row["id"]: row["name"] for row, _ in await AgentService(hub).overview_facts()}
    ids = {(row["agent_id"], row["name"]): row["public_id"] for row in await ContainerService(hub).list_containers()}
    items = [
        {
            "id": ids.get((agent_id, values["name"])),
            "name": values["name"],
            "agentId": agent_id,
            "host": hosts.get(agent_id, agent_id),
            "value": round(score, 3),
            "sampledAt": rfc3339(values["sampledAt"]),
            **{key: values.get(key) for key in ("cpuPercent", "memoryUsedMb", "memoryLimitMb")},
        }
        for score, agent_id, values in await ResourceService(hub).top_containers(sort, limit)
    ]
    return {"sort": sort, "items": items}


_HOST_KEYS = ("cpuPercent", "memoryUsedMb", "memoryTotalMb", "diskUsedGb", "diskTotalGb")


@router.get("/resources/summary")
async def summary(_: CanRead, hub: HubDep) -> dict[str, Any]:
    """Each host's latest CPU, memory and disk with its containers' totals, and the sum over
    every host. The nodes an agent reports (a cluster's) are hosts of their own, named by
    `node`; their pods are counted as the agent's containers."""
    agents, current = await _latest(hub)
    hosts = []
    for agent_id, latest in current.items():
        for node in latest["nodes"]:
            hosts.append(
                {
                    "agentId": agent_id,
                    "name": node["name"],
                    "node": node["name"],
                    "ready": node["ready"],
                    "sampledAt": rfc3339(node["sampledAt"]),
                    **{key: node.get(key) for key in _HOST_KEYS},
                    "containers": node["pods"] or 0,
                    "containersCpuPercent": None,
                    "containersMemoryUsedMb": None,
                }
            )
        host = latest["host"] or {}
        containers = latest["containers"]
        hosts.append(
            {
                "agentId": agent_id,
                "name": agents[agent_id]["name"],
                "sampledAt": rfc3339(latest["hostSampledAt"]),
                "node": None,
                **{key: host.get(key) for key in _HOST_KEYS},
                "containers": len(containers),
                "containersCpuPercent": round(sum(c.get("cpuPercent") or 0 for c in containers), 3),
                "containersMemoryUsedMb": round(sum(c.get("memoryUsedMb") or 0 for c in containers), 3),
            }
        )
    reporting = [h for h in hosts if h["sampledAt"] is not None]

    def total(key: str) -> float:
        return round(sum(h[key] or 0 for h in reporting), 3)

    overall = {
        "hosts": len(hosts),
        "reporting": len(reporting),
        "containers": sum(h["containers"] for h in hosts if h["node"] is None),
        "memoryUsedMb": total("memoryUsedMb"),
        "memoryTotalMb": total("memoryTotalMb"),
        "diskUsedGb": total("diskUsedGb"),
        "diskTotalGb": total("diskTotalGb"),
        "cpuPercent": round(total("cpuPercent") / len(reporting), 3) if reporting else None,
    }
    return {"overall": overall, "hosts": sorted(hosts, key=lambda h: h["name"].lower())}


@router.get("/containers/{container_id}/resources/alerts")
async def get_container_thresholds(container_id: str, _: CanRead, hub: HubDep) -> dict[str, Any]:
    """The container's alert thresholds (null: none) and, under `status`, where each stands."""
    await ContainerService(hub).get(container_id)
    return await ThresholdService(hub).get(CONTAINER, container_id)


@router.put("/containers/{container_id}/resources/alerts")
async def put_container_thresholds(
    container_id: str, body: ContainerThresholds, _: CanWrite, hub: HubDep
) -> dict[str, Any]:
    """Replace the container's alert thresholds; a metric left out or null has none."""
    row = await ContainerService(hub).get(container_id)
    return await ThresholdService(hub).put(CONTAINER, container_id, row["agent_id"], row["name"], body)
