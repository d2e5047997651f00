"""The container inventory: applied inside an agent payload's write unit, listed by the API."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers import repository as repo
from watchkeep.containers.model import ContainerInfo
from watchkeep.core.hub import Hub

_encoder = msgspec.json.Encoder()


def _json(value: object) -> str | None:
    return None if value is None else _encoder.encode(value).decode()


async def apply(
    conn: AsyncConnection,
    agent_id: str,
    containers: list[ContainerInfo],
    *,
    full: bool,
    at_ms: int,
    written: list[ContainerInfo] | None = None,
) -> list[ContainerInfo] | None:
    """Upsert the reported containers. A container reported by name only is matched to the
    known container of that name. With `full`, containers missing from the report are removed.

    Returns the inventory when `full` (None otherwise). `written` is the last full inventory
    written for the agent, when nothing else has changed its containers since: an equal
    inventory only marks the stored containers seen at `at_ms`, which leaves the same rows as
    writing it again."""
    inventory = containers if full else None
    if inventory is not None and inventory == written:
        await repo.mark_seen(conn, agent_id, at_ms)
        return inventory
    known: dict[str, str] | None = None
    rows: list[dict[str, Any]] = []
    for info in containers:
        container_id = info.id
        if container_id is None:
            if known is None:
                known = await repo.names_of(conn, agent_id)
            container_id = known.get(info.name, info.name)
        rows.append(
            {
                "agent_id": agent_id,
                "container_id": container_id,
                "name": info.name,
                "image": info.image,
                "image_id": info.image_id,
                "state": info.state,
                "status": info.status,
                "health": info.health,
                "restart_count": info.restart_count,
                "labels": _json(info.labels),
                "ports": _json(info.ports),
                "mounts": _json(info.mounts),
                "network_mode": info.network_mode,
                "created": info.created_ms,
                "first_seen_at": at_ms,
                "last_seen_at": at_ms,
            }
        )
    # Two entries for one container (a name reported twice) merge into the first row.
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        target = merged.setdefault(row["container_id"], row)
        if target is not row:
            for key, value in row.items():
                if value is not None and target.get(key) is None:
                    target[key] = value
    await repo.upsert(conn, list(merged.values()))
    if full:
        await repo.remove_unseen(conn, agent_id, at_ms)
    return inventory


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    await repo.delete_for_agent(conn, agent_id)


def container_out(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["container_id"],
        "name": row["name"],
        "agentId": row["agent_id"],
        "source": "agent",
        "image": row["image"],
        "imageId": row["image_id"],
        "state": row["state"],
        "status": row["status"],
        "health": row["health"],
        "restartCount": row["restart_count"],
        "labels": json.loads(row["labels"]) if row["labels"] else {},
        "ports": json.loads(row["ports"]) if row["ports"] else [],
        "mounts": json.loads(row["mounts"]) if row["mounts"] else [],
        "networkMode": row["network_mode"],
        "created": row["created"],
        "firstSeenAt": row["first_seen_at"],
        "lastSeenAt": row["last_seen_at"],
    }


class ContainerService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def list_containers(self, agent_id: str | None = None) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            return await repo.list_containers(conn, agent_id)

    async def counts_by_agent(self) -> dict[str, int]:
        async with self.hub.store.read() as conn:
            return await repo.counts_by_agent(conn)
