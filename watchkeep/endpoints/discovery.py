"""Endpoints discovered from container labels (labels.py), kept in step with the container
inventory inside the write unit that changes it (containers.service.apply).

A declared endpoint is created with source `discovered`, linked to its container and key;
a label change updates it in place (status and history stay); a container that is not
running suspends it (no checks, shown unknown: a stopped container is no outage); a removed
container, or a declaration taken off the labels, makes it inactive (history kept) until it
is declared again. Endpoints of an agent's containers are checked by that agent; those of the
hub's own engine by the hub."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import EndpointDeleted, Event
from watchkeep.core.ids import new_id
from watchkeep.endpoints import repository as repo
from watchkeep.endpoints.labels import Declared, declared
from watchkeep.endpoints.records import EndpointRecord

log = logging.getLogger("watchkeep.endpoints.discovery")

FIRST_CHECK_SPREAD_MS = 5_000


def _desired(item: Declared, location: str) -> dict[str, Any]:
    body = item.body
    return {
        "name": body.name,
        "type": body.type,
        "target": body.target,
        "interval_seconds": body.interval_seconds,
        "timeout_seconds": body.timeout_seconds,
        "failure_threshold": body.failure_threshold,
        "recovery_threshold": body.recovery_threshold,
        # Labels never carry headers, so there is nothing to seal.
        "config": json.dumps(body.settings(), separators=(",", ":")),
        "locations": json.dumps([location]),
    }


def _due(now: int, location: str) -> int | None:
    return now + random.randrange(FIRST_CHECK_SPREAD_MS) if location == "hub" else None


async def sync(conn: AsyncConnection, containers: list[RowMapping], location: str, now: int) -> list[str]:
    """Bring the discovered endpoints of `containers` (containers.repository.discovery_facts)
    in line with their labels and states. `location` checks them ("hub" or the agent's id).
    Returns the ids of the endpoints created or changed."""
    existing: dict[tuple[str, str], EndpointRecord] = {
        (row.container_id or "", row.discovery_key or ""): row
        for row in await repo.discovered_for(conn, [c["public_id"] for c in containers])
    }
    touched: list[str] = []
    for container in containers:
        public_id, name = container["public_id"], container["name"]
        labels = json.loads(container["labels"]) if container["labels"] else {}
        found, errors = declared(name, labels)
        for error in errors:
            log.warning("container %s (%s): endpoint label skipped: %s", name, public_id, error)
        removed = container["archived_at"] is not None
        # A state not reported yet is no reason to stop checking.
        running = container["state"] in (None, "running")
        wanted = {} if removed else {item.key: item for item in found}
        for key, item in wanted.items():
            current = existing.pop((public_id, key), None)
            values = _desired(item, location)
            if current is None:
                row = await repo.insert_endpoint(conn, _new_row(public_id, key, values, running, now))
                touched.append(row.id)
                continue
            changes = {k: v for k, v in values.items() if getattr(current, k) != v}
            if not current.active:
                changes["active"] = True
            if current.suspended == running:
                changes["suspended"] = not running
            if changes:
                changes.update(_schedule(current, running, location, now))
                changes["updated_at"] = now
                await repo.update_endpoint(conn, current.id, changes)
                touched.append(current.id)
    # Whatever is left is no longer declared: its container went away or its labels did.
    for row in existing.values():
        if row.active:
            await repo.update_endpoint(
                conn, row.id, {"active": False, "next_check_at": None, "lease_until": None, "updated_at": now}
            )
            touched.append(row.id)
    return touched


def _schedule(current: EndpointRecord, running: bool, location: str, now: int) -> dict[str, Any]:
    """The due time for an endpoint after a change; fresh counters when it comes back (active
    again, or its container running again), as a resume gives."""
    if not running:
        return {"next_check_at": None, "lease_until": None}
    was_checked = current.active and not current.suspended
    values: dict[str, Any] = {}
    if current.paused or location != "hub":
        values["next_check_at"] = None
    elif not was_checked or current.next_check_at is None:
        values["next_check_at"] = _due(now, location)
    if not was_checked:
        values.update(consecutive_failures=0, consecutive_successes=0)
    return values


def _new_row(public_id: str, key: str, values: dict[str, Any], running: bool, now: int) -> dict[str, Any]:
    location = json.loads(values["locations"])[0]
    return {
        **values,
        "id": new_id("ep"),
        "paused": False,
        "status": "unknown",
        "consecutive_failures": 0,
        "consecutive_successes": 0,
        "status_since": now,
        "recent": "[]",
        "next_check_at": _due(now, location) if running else None,
        "created_at": now,
        "updated_at": now,
        "source": "discovered",
        "container_id": public_id,
        "discovery_key": key,
        "active": True,
        "suspended": not running,
        "location_rule": "any",
    }


async def delete_for_container(conn: AsyncConnection, public_id: str, now: int) -> list[Event]:
    """A container forgotten (deleted once archived): its discovered endpoints go with it,
    and endpoint.deleted resolves any alert of theirs (to be appended by the caller)."""
    events: list[Event] = []
    for row in await repo.of_container(conn, public_id):
        if row.source == "discovered" and await repo.delete_endpoint(conn, row.id) is not None:
            events.append(EndpointDeleted(endpoint_id=row.id, name=row.name, target=row.target, at_ms=now))
    return events


async def forget_location(conn: AsyncConnection, agent_id: str, now: int) -> list[Event]:
    """A deleted agent checks nothing any more: it leaves every endpoint's locations (one it
    alone checked is checked by the hub from now on)."""
    for row in await repo.checked_by(conn, agent_id, 10_000, every=True):
        remaining = [place for place in row.location_list if place != agent_id] or ["hub"]
        values: dict[str, Any] = {"locations": json.dumps(remaining), "updated_at": now}
        if "hub" in remaining and row.next_check_at is None and row.schedulable:
            values["next_check_at"] = _due(now, "hub")
        await repo.update_endpoint(conn, row.id, values)
        await repo.drop_locations_except(conn, row.id, remaining)
    return []
