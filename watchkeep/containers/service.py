"""The container inventory: applied inside an agent payload's write unit, listed by the API."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers import log_repository as log_repo
from watchkeep.containers import repository as repo
from watchkeep.containers import restarts as restart_loops
from watchkeep.containers.exits import EXITED_STATES, exit_code_from_status, outcome
from watchkeep.containers.model import (
    COMPOSE_PROJECT_LABEL,
    GROUP_LABEL,
    NAMESPACE_LABEL,
    REMOVED,
    ContainerInfo,
    public_id,
)
from watchkeep.containers.restarts import RestartRule
from watchkeep.core.clock import rfc3339
from watchkeep.core.config import Settings
from watchkeep.core.errors import conflict, not_found
from watchkeep.core.events import ContainerHealthChanged, ContainerStateChanged, Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.endpoints import discovery
from watchkeep.resources import thresholds

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
    events: list[Event] | None = None,
    rule: RestartRule | None = None,
    local: bool = False,
) -> list[ContainerInfo] | None:
    """Upsert the reported containers. A container reported by name only is matched to the
    known container of that name; one labelled `watchkeep.ignore=true` is left out. With
    `full`, containers missing from the report are archived (their history stays).

    With `events` (a payload of the present, not a replay of the past), each change of state
    or health is recorded as a transition and its event added to `events`, and so is a growth
    of the restart count (`restarts`, counted towards restart loops by `rule`).

    Returns the inventory when `full` (None otherwise). `written` is the last full inventory
    written for the agent, when nothing else has changed its containers since: an equal
    inventory only marks the stored containers seen at `at_ms`, which leaves the same rows as
    writing it again.

    The endpoints the containers' labels declare follow in the same unit (endpoints/discovery.py):
    checked by the hub with `local` (the hub's own engine), else by the agent."""
    inventory = containers if full else None
    if inventory is not None and inventory == written:
        await repo.mark_seen(conn, agent_id, at_ms)
        return inventory
    known: dict[str, str] | None = None
    rows: list[dict[str, Any]] = []
    reported: dict[str, ContainerInfo] = {}
    for info in containers:
        if info.ignored:
            continue
        container_id = info.id
        if container_id is None:
            if known is None:
                known = await repo.names_of(conn, agent_id)
            container_id = known.get(info.name, info.name)
        reported.setdefault(container_id, info)
        rows.append(
            {
                "agent_id": agent_id,
                "container_id": container_id,
                "public_id": public_id(agent_id, container_id),
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
                "archived_at": None,
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
    changes: list[tuple[dict[str, Any], list[Event]] | None] = []
    if events is not None:
        before = await repo.states_of(conn, agent_id)
        changes = [_transition(row, before.get(cid), at_ms, reported.get(cid)) for cid, row in merged.items()]
    await repo.upsert(conn, list(merged.values()))
    if full:
        archived = await repo.archive_unseen(conn, agent_id, at_ms)
        if events is not None:
            changes += [_transition({**row, "state": REMOVED, "agent_id": agent_id}, row, at_ms) for row in archived]
    if events is not None:
        found = [change for change in changes if change is not None]
        await repo.insert_transitions(conn, [row for row, _ in found])
        events.extend(event for _, transition_events in found for event in transition_events)
        names = {row["public_id"]: row["name"] for row in merged.values()}
        for row, _ in found:
            if row["to_state"] == REMOVED:
                events.extend(await restart_loops.end_on_removal(conn, row["public_id"], at_ms))
            elif row["restarts"]:
                name = names.get(row["public_id"], "")
                loop_rule = rule or RestartRule()
                events.extend(
                    await restart_loops.after_restart(conn, row["public_id"], agent_id, name, at_ms, loop_rule)
                )
    await discovery.sync(conn, await repo.discovery_facts(conn, agent_id), "hub" if local else agent_id, at_ms)
    return inventory


def _transition(
    now: dict[str, Any], before: RowMapping | None, at_ms: int, info: ContainerInfo | None = None
) -> tuple[dict[str, Any], list[Event]] | None:
    """The transition from what was stored to what is reported, and its events; None when
    neither the state nor the health changed nor the restart count grew (a field not reported
    keeps its value). An entry into an exited state carries how it exited (containers/exits.py)."""
    was_state = None if before is None else (REMOVED if before["archived_at"] is not None else before["state"])
    was_health = None if before is None else before["health"]
    state = now["state"] if now["state"] is not None else was_state
    health = now["health"] if now["health"] is not None else was_health
    was_count = None if before is None else before["restart_count"]
    count = now.get("restart_count")
    restarts = count - was_count if count is not None and was_count is not None and count > was_count else 0
    if before is None and state is None:
        return None  # nothing known of it yet: its first state makes its first transition
    if before is not None and state == was_state and health == was_health and not restarts:
        return None
    exit_code = oom_killed = result = log_tail = None
    # A container's first report says nothing about how it got there: only a change is an exit.
    if before is not None and state in EXITED_STATES and state != was_state:
        exit_code = info.exit_code if info is not None else None
        if exit_code is None:
            exit_code = exit_code_from_status(now.get("status"))
        oom_killed = info.oom_killed if info is not None else None
        requested = info.requested_stop if info is not None else None
        result = outcome(exit_code, oom_killed=oom_killed, requested_stop=requested)
        if info is not None and info.log_tail is not None:
            log_tail = json.dumps(info.log_tail)
    common = {"container_id": now["public_id"], "agent_id": now["agent_id"], "name": now["name"], "at_ms": at_ms}
    found: list[Event] = []
    if before is None or state != was_state:
        found.append(
            ContainerStateChanged(
                previous=was_state,
                state=state,
                exit_code=exit_code,
                oom_killed=oom_killed,
                outcome=result,
                container_id=now["public_id"],
                agent_id=now["agent_id"],
                name=now["name"],
                at_ms=at_ms,
            )
        )
    if before is not None and health != was_health:
        found.append(ContainerHealthChanged(previous=was_health, health=health, **common))
    row = {
        "public_id": now["public_id"],
        "at": at_ms,
        "from_state": was_state,
        "to_state": state,
        "from_health": was_health,
        "to_health": health,
        "exit_code": exit_code,
        "oom_killed": oom_killed,
        "outcome": result,
        "log_tail": log_tail,
        "restarts": restarts or None,
    }
    return row, found


def restart_rule(settings: Settings) -> RestartRule:
    return RestartRule(settings.container_restart_threshold, settings.container_restart_window_seconds * 1000)


async def delete_for_agent(conn: AsyncConnection, agent_id: str, now_ms: int = 0) -> list[Event]:
    """Everything stored of the agent's containers; the events of their endpoints' deletion."""
    events: list[Event] = []
    for row in await repo.discovery_facts(conn, agent_id):
        events += await discovery.delete_for_container(conn, row["public_id"], now_ms)
    events += await discovery.forget_location(conn, agent_id, now_ms)
    await log_repo.delete_for_agent(conn, agent_id)
    await repo.delete_for_agent(conn, agent_id)
    return events


def container_out(row: RowMapping, local_agent_id: str | None = None) -> dict[str, Any]:
    """The API's container; `source` is local for the containers of this hub's own engine."""
    return {
        "id": row["public_id"],
        "containerId": row["container_id"],
        "name": row["name"],
        "agentId": row["agent_id"],
        "source": "local" if local_agent_id is not None and row["agent_id"] == local_agent_id else "agent",
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
        "archived": row["archived_at"] is not None,
        "archivedAt": rfc3339(row["archived_at"]),
    }


def transition_out(row: RowMapping) -> dict[str, Any]:
    return {
        "at": rfc3339(row["at"]),
        "previousState": row["from_state"],
        "state": row["to_state"],
        "previousHealth": row["from_health"],
        "health": row["to_health"],
        "exitCode": row["exit_code"],
        "oomKilled": row["oom_killed"],
        "outcome": row["outcome"],
        "restarts": row["restarts"] or 0,
        "logTail": json.loads(row["log_tail"]) if row["log_tail"] else None,
    }


def restart_loop_out(row: RowMapping | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "since": rfc3339(row["started_at"]),
        "restarts": row["restarts"],
        "threshold": row["threshold"],
        "windowSeconds": row["window_ms"] // 1000,
    }


def group_of(row: RowMapping, by: str, host_names: dict[str, str]) -> tuple[str, str]:
    """(kind, name) of the group a container belongs to: by host, or by its `watchkeep.group`
    label, else its compose project, else its Kubernetes namespace, else its host."""
    host = ("host", host_names.get(row["agent_id"], row["agent_id"]))
    if by == "host":
        return host
    labels: dict[str, str] = json.loads(row["labels"]) if row["labels"] else {}
    if labels.get(GROUP_LABEL):
        return ("group", labels[GROUP_LABEL])
    if labels.get(COMPOSE_PROJECT_LABEL):
        return ("project", labels[COMPOSE_PROJECT_LABEL])
    if labels.get(NAMESPACE_LABEL):
        return ("namespace", labels[NAMESPACE_LABEL])
    return host


def is_up(state: str | None, health: str | None) -> bool:
    """Up: running, and not reported unhealthy."""
    return state == "running" and health != "unhealthy"


def uptime_percent(
    start_state: RowMapping | None, transitions: list[RowMapping], since_ms: int, now_ms: int
) -> float | None:
    """Time-weighted uptime over [since_ms, now_ms] from the transition in force at `since_ms`
    and the ones after it (oldest first). Time before a container was first seen, and after
    it was removed, counts neither way; None when no time counts."""
    state = None if start_state is None else start_state["to_state"]
    health = None if start_state is None else start_state["to_health"]
    at = since_ms
    up = watched = 0
    for transition in [*transitions, None]:
        until = now_ms if transition is None else max(at, min(transition["at"], now_ms))
        if state is not None and state != REMOVED:
            watched += until - at
            if is_up(state, health):
                up += until - at
        if transition is not None:
            at, state, health = until, transition["to_state"], transition["to_health"]
    return None if watched == 0 else round(100.0 * up / watched, 3)


UPTIME_WINDOWS = {"24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000}


class ContainerService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def list_containers(self, agent_id: str | None = None, *, archived: bool = False) -> list[RowMapping]:
        async with self.hub.store.read() as conn:
            return await repo.list_containers(conn, agent_id, archived=archived)

    async def counts_by_agent(self) -> dict[str, int]:
        async with self.hub.store.read() as conn:
            return await repo.counts_by_agent(conn)

    async def grouped(
        self, *, agent_id: str | None, state: str | None, archived: bool, by: str, host_names: dict[str, str]
    ) -> tuple[list[RowMapping], list[dict[str, Any]]]:
        """The containers, and their groups (see `group_of`), each with its counts per state
        and its containers' ids; groups of labels first, then hosts, by name."""
        rows = await self.list_containers(agent_id, archived=archived)
        if state is not None:
            rows = [row for row in rows if row["state"] == state]
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            kind, name = group_of(row, by, host_names)
            group = groups.setdefault((kind, name), {"kind": kind, "name": name, "counts": {}, "containers": []})
            row_state = row["state"] or "unknown"
            group["counts"][row_state] = group["counts"].get(row_state, 0) + 1
            group["containers"].append(row["public_id"])
        ordered = sorted(groups.values(), key=lambda g: (g["kind"] == "host", g["name"].lower()))
        return rows, ordered

    async def get(self, container_id: str) -> RowMapping:
        async with self.hub.store.read() as conn:
            row = await repo.by_public_id(conn, container_id)
        if row is None:
            raise not_found("container", container_id)
        return row

    async def transitions(self, container_id: str, limit: int) -> list[RowMapping]:
        await self.get(container_id)
        async with self.hub.store.read() as conn:
            return await repo.transitions_of(conn, container_id, limit=limit)

    async def uptime(self, container_id: str) -> dict[str, float | None]:
        """Time-weighted uptime over each window, from the container's transitions."""
        now = self.hub.clock.now_ms()
        longest = max(UPTIME_WINDOWS.values())
        async with self.hub.store.read() as conn:
            recent = (await repo.transitions_of(conn, container_id, since_ms=now - longest))[::-1]
            before = await repo.state_before(conn, container_id, now - longest - 1)
        out: dict[str, float | None] = {}
        for name, span in UPTIME_WINDOWS.items():
            since = now - span
            start = before
            for transition in recent:
                if transition["at"] <= since:
                    start = transition
            later = [t for t in recent if t["at"] > since]
            out[name] = uptime_percent(start, later, since, now)
        return out

    async def restart_loop(self, container_id: str) -> RowMapping | None:
        """The container's restart loop while one lasts."""
        async with self.hub.store.read() as conn:
            return await repo.loop_of(conn, container_id)

    async def record(self, agent_id: str, containers: list[ContainerInfo], *, full: bool) -> None:
        """Apply what the local runtime saw now, with its transitions and their events."""
        at_ms = self.hub.clock.now_ms()
        rule = restart_rule(self.hub.settings)

        async def unit(conn: AsyncConnection) -> list[Event]:
            events: list[Event] = []
            await apply(conn, agent_id, containers, full=full, at_ms=at_ms, events=events, rule=rule, local=True)
            return await append(conn, events)

        logged = await self.hub.store.write(unit)
        if logged:
            await self.hub.bus.publish(*logged)

    async def check_restart_loops(self) -> bool:
        """One step of the restart loops' deadline loop: True when it ended some."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            return await append(conn, await restart_loops.check_due(conn, now))

        logged = await self.hub.store.write(unit)
        if logged:
            await self.hub.bus.publish(*logged)
        return bool(logged)

    async def delete(self, container_id: str) -> None:
        """Forget an archived container and its history; one that exists is a conflict."""
        row = await self.get(container_id)
        if row["archived_at"] is None:
            raise conflict("only an archived container can be deleted; it is still reported", "id")

        async def unit(conn: AsyncConnection) -> list[Event]:
            # thresholds first: that locks the agent's row before the container's, as ingest does
            recovered = await thresholds.delete_for_container(conn, container_id, self.hub.clock.now_ms())
            await log_repo.delete_for_container(conn, container_id)
            recovered += await discovery.delete_for_container(conn, container_id, self.hub.clock.now_ms())
            await repo.delete_container(conn, container_id)
            return await append(conn, recovered)

        events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
