"""All of the status page's SQL. Reads return typed records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.statuspage.tables import (
    status_component_transitions,
    status_components,
    status_groups,
    status_incident_components,
    status_incident_updates,
    status_incidents,
    status_open_maintenance,
    status_page,
)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    description: str
    position: int
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    group_id: str | None
    name: str
    slug: str
    description: str
    position: int
    monitors: list[dict[str, str]]
    matches: list[dict[str, Any]]
    override_status: str | None
    auto_incident: bool
    status: str
    status_since: int
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    id: str
    incident_id: str
    status: str
    message: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    title: str
    impact: str
    status: str
    auto_component_id: str | None
    created_at: int
    updated_at: int
    resolved_at: int | None
    component_ids: tuple[str, ...]
    updates: tuple[IncidentUpdate, ...]  # newest first


@dataclass(frozen=True, slots=True)
class PageSettings:
    title: str
    description: str
    logo_url: str
    footer: str
    updated_at: int


def _group(row: Any) -> Group:
    return Group(row.id, row.name, row.description, row.position, row.created_at, row.updated_at)


def _component(row: Any) -> Component:
    return Component(
        id=row.id,
        group_id=row.group_id,
        name=row.name,
        slug=row.slug,
        description=row.description,
        position=row.position,
        monitors=json.loads(row.monitors),
        matches=json.loads(row.matches),
        override_status=row.override_status,
        auto_incident=bool(row.auto_incident),
        status=row.status,
        status_since=row.status_since,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def component_values(values: dict[str, Any]) -> dict[str, Any]:
    """Stored column values: the JSON columns as text."""
    out = dict(values)
    for key in ("monitors", "matches"):
        if key in out and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], separators=(",", ":"), sort_keys=True)
    return out


# Groups


async def list_groups(conn: AsyncConnection) -> list[Group]:
    query = select(status_groups).order_by(status_groups.c.position, status_groups.c.name)
    return [_group(row) for row in await conn.execute(query)]


async def group_by_id(conn: AsyncConnection, group_id: str) -> Group | None:
    row = (await conn.execute(select(status_groups).where(status_groups.c.id == group_id))).first()
    return None if row is None else _group(row)


async def group_by_name(conn: AsyncConnection, name: str) -> Group | None:
    row = (await conn.execute(select(status_groups).where(status_groups.c.name == name))).first()
    return None if row is None else _group(row)


async def insert_group(conn: AsyncConnection, row: dict[str, Any]) -> Group:
    return _group((await conn.execute(insert(status_groups).values(row).returning(status_groups))).one())


async def update_group(conn: AsyncConnection, group_id: str, values: dict[str, Any]) -> Group | None:
    query = update(status_groups).where(status_groups.c.id == group_id).values(values).returning(status_groups)
    row = (await conn.execute(query)).first()
    return None if row is None else _group(row)


async def delete_group(conn: AsyncConnection, group_id: str) -> int:
    # Its components stay, ungrouped (the foreign key says so; SQLite needs it said here too
    # for a connection that did not turn foreign keys on).
    await conn.execute(update(status_components).where(status_components.c.group_id == group_id).values(group_id=None))
    result = await conn.execute(delete(status_groups).where(status_groups.c.id == group_id))
    return int(result.rowcount or 0)


async def next_position(conn: AsyncConnection, table: str) -> int:
    target = status_groups if table == "groups" else status_components
    found = (await conn.execute(select(func.max(target.c.position)))).scalar_one()
    return 0 if found is None else int(found) + 1


# Components


async def list_components(conn: AsyncConnection) -> list[Component]:
    query = select(status_components).order_by(status_components.c.position, status_components.c.name)
    return [_component(row) for row in await conn.execute(query)]


async def component_by_id(conn: AsyncConnection, component_id: str) -> Component | None:
    row = (await conn.execute(select(status_components).where(status_components.c.id == component_id))).first()
    return None if row is None else _component(row)


async def component_by_slug(conn: AsyncConnection, slug: str) -> Component | None:
    row = (await conn.execute(select(status_components).where(status_components.c.slug == slug))).first()
    return None if row is None else _component(row)


async def insert_component(conn: AsyncConnection, row: dict[str, Any]) -> Component:
    query = insert(status_components).values(component_values(row)).returning(status_components)
    return _component((await conn.execute(query)).one())


async def update_component(conn: AsyncConnection, component_id: str, values: dict[str, Any]) -> Component | None:
    query = (
        update(status_components)
        .where(status_components.c.id == component_id)
        .values(component_values(values))
        .returning(status_components)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _component(row)


async def delete_component(conn: AsyncConnection, component_id: str) -> int:
    await conn.execute(
        delete(status_component_transitions).where(status_component_transitions.c.component_id == component_id)
    )
    await conn.execute(
        delete(status_incident_components).where(status_incident_components.c.component_id == component_id)
    )
    result = await conn.execute(delete(status_components).where(status_components.c.id == component_id))
    return int(result.rowcount or 0)


async def change_status(conn: AsyncConnection, component_id: str, old: str, new: str, now: int) -> bool:
    """Compare-and-set: only the replica that finds `old` still there records the change."""
    c = status_components.c
    result = await conn.execute(
        update(status_components)
        .where(c.id == component_id, c.status == old)
        .values(status=new, status_since=now, updated_at=now)
    )
    if not result.rowcount:
        return False
    await add_transition(conn, component_id, now, new)
    return True


async def add_transition(conn: AsyncConnection, component_id: str, at: int, status: str) -> None:
    await conn.execute(insert(status_component_transitions).values(component_id=component_id, at=at, status=status))


async def transitions_since(conn: AsyncConnection, since_ms: int) -> dict[str, list[tuple[int, str]]]:
    """Every component's transitions from the last one before `since_ms` on, in time order."""
    t = status_component_transitions.c
    before = (
        select(t.component_id, func.max(t.at).label("at")).where(t.at <= since_ms).group_by(t.component_id).subquery()
    )
    earlier = select(t.component_id, t.at, t.status, t.id).join(
        before, (before.c.component_id == t.component_id) & (before.c.at == t.at)
    )
    later = select(t.component_id, t.at, t.status, t.id).where(t.at > since_ms)
    found: dict[str, list[tuple[int, str]]] = {}
    rows = list(await conn.execute(earlier)) + list(await conn.execute(later))
    for row in sorted(rows, key=lambda r: (r.at, r.id)):
        found.setdefault(row.component_id, []).append((int(row.at), row.status))
    return found


# Incidents


async def _incidents(conn: AsyncConnection, rows: Sequence[Any]) -> list[Incident]:
    ids = [row.id for row in rows]
    if not ids:
        return []
    links: dict[str, list[str]] = {}
    query = select(status_incident_components).where(status_incident_components.c.incident_id.in_(ids))
    for link in await conn.execute(query):
        links.setdefault(link.incident_id, []).append(link.component_id)
    updates: dict[str, list[IncidentUpdate]] = {}
    u = status_incident_updates.c
    query2 = select(status_incident_updates).where(u.incident_id.in_(ids)).order_by(u.created_at.desc(), u.id.desc())
    for row in await conn.execute(query2):
        updates.setdefault(row.incident_id, []).append(
            IncidentUpdate(row.id, row.incident_id, row.status, row.message, row.created_at)
        )
    return [
        Incident(
            id=row.id,
            title=row.title,
            impact=row.impact,
            status=row.status,
            auto_component_id=row.auto_component_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            resolved_at=row.resolved_at,
            component_ids=tuple(sorted(links.get(row.id, []))),
            updates=tuple(updates.get(row.id, [])),
        )
        for row in rows
    ]


async def list_incidents(conn: AsyncConnection, *, since_ms: int | None = None, limit: int = 200) -> list[Incident]:
    """Newest first: every unresolved one, and those resolved since `since_ms`."""
    i = status_incidents.c
    query = select(status_incidents).order_by(i.created_at.desc(), i.id.desc()).limit(limit)
    if since_ms is not None:
        query = query.where(i.resolved_at.is_(None) | (i.resolved_at >= since_ms))
    return await _incidents(conn, list(await conn.execute(query)))


async def incident_by_id(conn: AsyncConnection, incident_id: str) -> Incident | None:
    rows = list(await conn.execute(select(status_incidents).where(status_incidents.c.id == incident_id)))
    found = await _incidents(conn, rows)
    return found[0] if found else None


async def open_auto_incident(conn: AsyncConnection, component_id: str) -> Incident | None:
    i = status_incidents.c
    query = select(status_incidents).where(i.auto_component_id == component_id, i.resolved_at.is_(None))
    found = await _incidents(conn, list(await conn.execute(query)))
    return found[0] if found else None


async def insert_incident(conn: AsyncConnection, row: dict[str, Any], component_ids: Sequence[str]) -> None:
    await conn.execute(insert(status_incidents).values(row))
    await set_incident_components(conn, row["id"], component_ids)


async def set_incident_components(conn: AsyncConnection, incident_id: str, component_ids: Sequence[str]) -> None:
    await conn.execute(
        delete(status_incident_components).where(status_incident_components.c.incident_id == incident_id)
    )
    if component_ids:
        await conn.execute(
            insert(status_incident_components),
            [{"incident_id": incident_id, "component_id": cid} for cid in dict.fromkeys(component_ids)],
        )


async def update_incident(conn: AsyncConnection, incident_id: str, values: dict[str, Any]) -> int:
    result = await conn.execute(update(status_incidents).where(status_incidents.c.id == incident_id).values(values))
    return int(result.rowcount or 0)


async def insert_update(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(status_incident_updates).values(row))


async def delete_incident(conn: AsyncConnection, incident_id: str) -> int:
    await conn.execute(delete(status_incident_updates).where(status_incident_updates.c.incident_id == incident_id))
    await conn.execute(
        delete(status_incident_components).where(status_incident_components.c.incident_id == incident_id)
    )
    result = await conn.execute(delete(status_incidents).where(status_incidents.c.id == incident_id))
    return int(result.rowcount or 0)


async def latest_updates(conn: AsyncConnection, limit: int) -> list[tuple[IncidentUpdate, str]]:
    """The newest incident updates with their incident's title."""
    u = status_incident_updates.c
    query = (
        select(status_incident_updates, status_incidents.c.title)
        .join(status_incidents, status_incidents.c.id == u.incident_id)
        .order_by(u.created_at.desc(), u.id.desc())
        .limit(limit)
    )
    return [
        (IncidentUpdate(row.id, row.incident_id, row.status, row.message, row.created_at), row.title)
        for row in await conn.execute(query)
    ]


# The page


async def page_settings(conn: AsyncConnection) -> PageSettings:
    row = (await conn.execute(select(status_page).where(status_page.c.id == 1))).one()
    return PageSettings(row.title, row.description, row.logo_url, row.footer, row.updated_at)


async def update_page_settings(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(update(status_page).where(status_page.c.id == 1).values(values))


# Maintenance windows seen open


async def open_maintenance(conn: AsyncConnection) -> dict[str, str]:
    """The windows announced open: id → name."""
    rows = await conn.execute(select(status_open_maintenance))
    return {row.window_id: row.name for row in rows}


async def mark_maintenance_open(conn: AsyncConnection, window_id: str, name: str, now: int) -> bool:
    """Whether this call marked it (another replica may have, a moment before)."""
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(status_open_maintenance)
        .values(window_id=window_id, name=name, opened_at=now)
        .on_conflict_do_nothing(index_elements=["window_id"])
    )
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def mark_maintenance_closed(conn: AsyncConnection, window_id: str) -> bool:
    result = await conn.execute(delete(status_open_maintenance).where(status_open_maintenance.c.window_id == window_id))
    return bool(result.rowcount)
