"""Everything watched, worst first: hosts and heartbeats in one list, each kind's status
mapped onto the same five states, searched, filtered and paged on the server."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import RowMapping

from watchkeep.agents.service import AgentService
from watchkeep.containers.service import ContainerService
from watchkeep.core.clock import rfc3339
from watchkeep.core.hub import Hub
from watchkeep.heartbeats.schedule import display_status
from watchkeep.heartbeats.service import HeartbeatService
from watchkeep.resources.service import ResourceService

# Worst first
STATES = ("down", "degraded", "pending", "up", "paused")
RANK = {state: position for position, state in enumerate(STATES)}
KINDS = ("host", "heartbeat")
HOST_STATE = {"offline": "down", "delayed": "degraded", "online": "up"}
HEARTBEAT_STATE = {
    "down": "down",
    "grace": "degraded",
    "new": "pending",
    "up": "up",
    "started": "up",
    "paused": "paused",
}
PAGE_SIZE = 50


@dataclass(frozen=True)
class Row:
    kind: str
    id: str
    name: str
    state: str
    status: str
    href: str
    # RFC 3339, shown in the browser's timezone
    last_seen: str | None = None
    next_due: str | None = None
    detail: str = ""
    # Host figures, in percent
    cpu: float | None = None
    memory: float | None = None
    disk: float | None = None


@dataclass
class Overview:
    rows: list[Row]
    counts: dict[str, int]
    total: int
    page: int
    pages: int
    search: str
    state: str | None
    kind: str | None
    active_alerts: list[dict[str, Any]] = field(default_factory=list)


def _statuses_for(state: str | None, mapping: dict[str, str]) -> list[str] | None:
    return None if state is None else [status for status, mapped in mapping.items() if mapped == state]


def _percent(used: Any, total: Any) -> float | None:
    if used is None or not total:
        return None
    return round(100.0 * float(used) / float(total), 1)


# What the merge of every kind sorts by: (rank of the state, lower-case name, kind, id)
Key = tuple[int, str, str, str]


async def _host_keys(
    hub: Hub, search: str, state: str | None, counts: dict[str, int]
) -> tuple[list[Key], dict[str, tuple[RowMapping, str]]]:
    needle = search.lower()
    keys: list[Key] = []
    facts: dict[str, tuple[RowMapping, str]] = {}
    for agent, status in await AgentService(hub).overview_facts():
        if needle and needle not in agent["name"].lower() and needle not in (agent["hostname"] or "").lower():
            continue
        mapped = HOST_STATE[status]
        counts[mapped] += 1
        if state is None or mapped == state:
            keys.append((RANK[mapped], agent["name"].lower(), "host", agent["id"]))
            facts[agent["id"]] = (agent, status)
    return keys, facts


async def build(
    hub: Hub, *, search: str = "", state: str | None = None, kind: str | None = None, page: int = 1
) -> Overview:
    """One page of everything watched. Each kind gives the keys of its first `page` pages,
    worst first; the merge of those keys decides the page; only its rows are loaded."""
    search = search.strip()[:200]
    state = state if state in RANK else None
    kind = kind if kind in KINDS else None
    page = max(page, 1)
    wanted = page * PAGE_SIZE
    counts = dict.fromkeys(STATES, 0)
    keys: list[Key] = []
    hosts: dict[str, tuple[RowMapping, str]] = {}
    total = 0
    if kind in (None, "host"):
        host_keys, hosts = await _host_keys(hub, search, state, counts)
        keys.extend(host_keys)
        total += len(host_keys)
    heartbeats = HeartbeatService(hub)
    if kind in (None, "heartbeat"):
        rank = {status: RANK[mapped] for status, mapped in HEARTBEAT_STATE.items()}
        found, by_status = await heartbeats.page_keys(
            search=search, statuses=_statuses_for(state, HEARTBEAT_STATE), rank=rank, limit=wanted
        )
        for status, count in by_status.items():
            mapped = HEARTBEAT_STATE.get(status, "pending")
            counts[mapped] += count
            if state is None or mapped == state:
                total += count
        keys.extend(
            (RANK[HEARTBEAT_STATE.get(status, "pending")], name.lower(), "heartbeat", id_)
            for status, name, id_ in found
        )
    keys.sort()
    shown = keys[(page - 1) * PAGE_SIZE : wanted]
    monitors = {row["id"]: row for row in await heartbeats.by_ids([k[3] for k in shown if k[2] == "heartbeat"])}
    host_ids = [k[3] for k in shown if k[2] == "host"]
    current = await ResourceService(hub).current_of(host_ids) if host_ids else {}
    now = hub.clock.now_ms()
    rows = [
        _host_row(*hosts[id_], current.get(id_)) if kind_ == "host" else _heartbeat_row(monitors[id_], now)
        for _, _, kind_, id_ in shown
    ]
    return Overview(
        rows=rows,
        counts=counts,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        search=search,
        state=state,
        kind=kind,
    )


def _host_row(agent: RowMapping, status: str, current: dict[str, Any] | None) -> Row:
    host = (current or {}).get("host") or {}
    return Row(
        kind="host",
        id=agent["id"],
        name=agent["name"],
        state=HOST_STATE[status],
        status=status,
        href=f"/hosts/{agent['id']}",
        last_seen=rfc3339(agent["last_seen_at"]),
        detail=agent["hostname"] or "",
        cpu=host.get("cpuPercent"),
        memory=host.get("memoryPercent") or _percent(host.get("memoryUsedMb"), host.get("memoryTotalMb")),
        disk=host.get("diskPercent") or _percent(host.get("diskUsedGb"), host.get("diskTotalGb")),
    )


def _heartbeat_row(monitor: RowMapping, now_ms: int) -> Row:
    shown = display_status(monitor, now_ms)
    return Row(
        kind="heartbeat",
        id=monitor["id"],
        name=monitor["name"],
        state=HEARTBEAT_STATE.get(shown, "pending"),
        status=shown,
        href=f"/heartbeats/{monitor['id']}",
        last_seen=rfc3339(monitor["last_ping_at"]),
        next_due=rfc3339(monitor["next_deadline_at"]),
        detail=monitor["cron"] or "",
    )


@dataclass(frozen=True)
class TopContainer:
    id: str | None
    name: str
    host: str
    cpu: float | None
    memory_mb: float | None


async def top_containers(hub: Hub, limit: int = 5) -> list[TopContainer]:
    """The containers using the most CPU now, across every host."""
    ranked = await ResourceService(hub).top_containers("cpu", limit)
    if not ranked:
        return []
    hosts = {agent["id"]: agent["name"] for agent, _ in await AgentService(hub).overview_facts()}
    ids = {(row["agent_id"], row["name"]): row["public_id"] for row in await ContainerService(hub).list_containers()}
    return [
        TopContainer(
            id=ids.get((agent_id, values["name"])),
            name=values["name"],
            host=hosts.get(agent_id, agent_id),
            cpu=values.get("cpuPercent"),
            memory_mb=values.get("memoryUsedMb"),
        )
        for _, agent_id, values in ranked
    ]
