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
from watchkeep.containers.model import (
    COMPOSE_PROJECT_LABEL,
    GROUP_LABEL,
    NAMESPACE_LABEL,
    REMOVED,
    ContainerInfo,
    public_id,
)
from watchkeep.containers.restarts import RestartRule
from watchkeep.containers.transitions import transition_between
from watchkeep.containers.uptime import UPTIME_WINDOWS, uptime_percent
from watchkeep.core.config import Settings
from watchkeep.core.errors import conflict, not_found
from watchkeep.core.events import Event
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
                "repo_digests": _json(info.repo_digests),
                "image_labels": _json(info.image_labels),
                "platform": info.platform,
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
        changes = [transition_between(row, before.get(cid), at_ms, reported.get(cid)) for cid, row in merged.items()]
    await repo.upsert(conn, list(merged.values()))
    if full:
        archived = await repo.archive_unseen(conn, agent_id, at_ms)
        if events is not None:
            changes += [
                transition_between({**row, "state": REMOVED, "agent_id": agent_id}, row, at_ms) for row in archived
            ]
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
