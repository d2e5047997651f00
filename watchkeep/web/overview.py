"""Everything watched, worst first: hosts and heartbeats in one list, each kind's status
mapped onto the same five states, searched, filtered and paged on the server."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from watchkeep.agents.service import AgentService
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

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (RANK[self.state], self.name.lower(), self.kind, self.id)


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


async def _hosts(hub: Hub, search: str, state: str | None) -> tuple[list[Row], dict[str, int]]:
    agents = AgentService(hub)
    rows, _ = await agents.list_agents(status=None, platform=None, limit=0, offset=0)
    needle = search.lower()
    found: list[Row] = []
    counts = dict.fromkeys(STATES, 0)
    for agent in rows:
        if needle and needle not in agent["name"].lower() and needle not in (agent["hostname"] or "").lower():
            continue
        mapped = HOST_STATE.get(agent["status"], "pending")
        counts[mapped] += 1
        if state is not None and mapped != state:
            continue
        found.append(
            Row(
                kind="host",
                id=agent["id"],
                name=agent["name"],
                state=mapped,
                status=agent["status"],
                href=f"/hosts/{agent['id']}",
                last_seen=agent["lastSeen"],
                detail=agent["hostname"] or "",
            )
        )
    return found, counts


async def build(
    hub: Hub, *, search: str = "", state: str | None = None, kind: str | None = None, page: int = 1
) -> Overview:
    search = search.strip()[:200]
    state = state if state in RANK else None
    kind = kind if kind in KINDS else None
    page = max(page, 1)
    wanted = page * PAGE_SIZE
    rows: list[Row] = []
    counts = dict.fromkeys(STATES, 0)
    total = 0
    if kind in (None, "host"):
        hosts, host_counts = await _hosts(hub, search, state)
        rows.extend(hosts)
        total += len(hosts)
        for name, count in host_counts.items():
            counts[name] += count
    if kind in (None, "heartbeat"):
        now = hub.clock.now_ms()
        rank = {status: RANK[mapped] for status, mapped in HEARTBEAT_STATE.items()}
        monitors, by_status = await HeartbeatService(hub).page(
            search=search, statuses=_statuses_for(state, HEARTBEAT_STATE), rank=rank, limit=wanted
        )
        for status, count in by_status.items():
            mapped = HEARTBEAT_STATE.get(status, "pending")
            counts[mapped] += count
            if state is None or mapped == state:
                total += count
        for monitor in monitors:
            shown = display_status(monitor, now)
            rows.append(
                Row(
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
            )
    rows.sort(key=lambda row: row.sort_key)
    shown_rows = rows[(page - 1) * PAGE_SIZE : wanted]
    hosts_shown = [row.id for row in shown_rows if row.kind == "host"]
    if hosts_shown:
        current = await ResourceService(hub).current_of(hosts_shown)
        shown_rows = [_with_figures(row, current.get(row.id)) for row in shown_rows]
    return Overview(
        rows=shown_rows,
        counts=counts,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        search=search,
        state=state,
        kind=kind,
    )


def _with_figures(row: Row, current: dict[str, Any] | None) -> Row:
    host = (current or {}).get("host")
    if not host:
        return row
    return dataclasses.replace(
        row,
        cpu=host.get("cpuPercent"),
        memory=host.get("memoryPercent") or _percent(host.get("memoryUsedMb"), host.get("memoryTotalMb")),
        disk=host.get("diskPercent") or _percent(host.get("diskUsedGb"), host.get("diskTotalGb")),
    )
